// SET_INFO buffer parsers and wildcard_match. The first byte selects the parser; for
// wildcard_match the rest is "pattern\0name". Every input also goes through the decoders of
// LocalVfs's DOS record (user.smbsrv.dos) and of Samba's user.DOSATTRIB string, of a
// FILE_NOTIFY_INFORMATION chain, and of the extended attribute lists (FILE_FULL_EA_INFORMATION,
// FILE_GET_EA_INFORMATION) and of a self-relative security descriptor (SET_INFO security, the
// SecD create context); what these decode must encode back to something that decodes the same.
// A decoded descriptor also goes through the stored-descriptor policy (merge, inheritance).
// The whole input, as a name, also goes through split_stream_name: a stream it accepts is a valid
// stream name, and its file part has no ':'.
#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "codec/ea.hpp"
#include "codec/fscc.hpp"
#include "codec/messages.hpp"
#include "codec/security_descriptor.hpp"
#include "engine/sd_policy.hpp"
#include "engine/stream_name.hpp"
#include "vfs/dos_record.hpp"

using namespace smbsrv;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Bytes b(data + 1, size - 1);
  (void)detail::decode_dos_record(Bytes(data, size));
  (void)detail::parse_samba_dosattrib(Bytes(data, size));
  if (auto chain = codec::decode_notify_information(Bytes(data, size))) {
    std::vector<std::uint8_t> again;
    ByteWriter w(again);
    codec::encode_notify_information(w, *chain);
    auto back = codec::decode_notify_information(again);
    if (!back || *back != *chain || again.size() != codec::notify_information_size(*chain)) std::abort();
  }
  if (auto eas = codec::decode_full_ea_list(Bytes(data, size))) {
    const auto again = codec::decode_full_ea_list(codec::encode_full_ea_list(*eas));
    if (!again || *again != *eas) __builtin_trap();
  }
  if (auto sn = engine::split_stream_name(std::string_view(reinterpret_cast<const char*>(data), size))) {
    if (sn->file.find(':') != std::string_view::npos) std::abort();
    if (sn->kind == engine::StreamName::Kind::named && !engine::valid_stream_name(sn->stream)) std::abort();
    if (sn->kind != engine::StreamName::Kind::named && !sn->stream.empty()) std::abort();
  }
  if (auto names = codec::decode_get_ea_list(Bytes(data, size))) {
    const auto again = codec::decode_get_ea_list(codec::encode_get_ea_list(*names));
    if (!again || *again != *names) __builtin_trap();
  }
  if (auto sd = codec::decode_security_descriptor(Bytes(data, size))) {
    const auto again = codec::decode_security_descriptor(codec::encode_security_descriptor(*sd));
    if (!again || *again != *sd) __builtin_trap();
    const codec::Sid owner = sd->owner ? *sd->owner : codec::everyone_sid();
    const auto merged = engine::merge_security(*sd, *sd, data[0]);
    (void)codec::encode_security_descriptor(merged);
    const auto child = engine::create_security(*sd, std::nullopt, (data[0] & 1) != 0, owner, owner);
    if (codec::acls_fit(child)) (void)codec::encode_security_descriptor(child);
  }
  switch (data[0] % 9) {
    case 0: (void)fscc::decode_basic_info(b); break;
    case 1: (void)fscc::decode_rename_info(b, false); break;
    case 2: (void)fscc::decode_rename_info(b, true); break;
    case 3: (void)fscc::decode_u64_info(b); break;
    case 4: (void)fscc::decode_disposition_info(b, false); break;
    case 5: (void)fscc::decode_disposition_info(b, true); break;
    case 6: (void)fscc::decode_mode_info(b); break;
    default: {
      const auto* s = reinterpret_cast<const char*>(b.data());
      const std::string_view all(s, b.size());
      const std::size_t nul = all.find('\0');
      const std::string_view pattern = all.substr(0, nul);
      const std::string_view name = nul == std::string_view::npos ? std::string_view{} : all.substr(nul + 1);
      (void)fscc::wildcard_match(pattern, name, data[0] % 9 == 8);
      break;
    }
  }
  return 0;
}
