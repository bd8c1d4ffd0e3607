// Apple's AAPL create context and AFP_AfpInfo stream (codec/aapl.hpp).
#include "codec/aapl.hpp"

#include <algorithm>
#include <cstring>

#include "util/byte_writer.hpp"
#include "util/utf16.hpp"

namespace smbsrv::codec {

Result<AaplQuery> decode_aapl_query(Bytes data) {
  ByteReader r(data);
  const std::uint32_t command = r.u32();
  r.skip(4);  // Reserved
  AaplQuery q;
  q.request_bitmap = r.u64();
  q.client_caps = r.u64();
  if (!r.ok() || command != kAaplServerQuery) return NtStatus::invalid_parameter;
  return q;
}

std::vector<std::uint8_t> encode_aapl_reply(const AaplReply& r) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u32(kAaplServerQuery);
  w.u32(0);
  w.u64(r.reply_bitmap);
  if (r.reply_bitmap & kAaplServerCaps) w.u64(r.server_caps);
  if (r.reply_bitmap & kAaplVolumeCaps) w.u64(r.volume_caps);
  if (r.reply_bitmap & kAaplModelInfo) {
    const auto model = to_utf16le(r.model);
    w.u32(0);
    w.u32(static_cast<std::uint32_t>(model.size()));
    w.bytes(model);
  }
  return out;
}

namespace {
constexpr std::array<std::uint8_t, 8> kAfpHeader{'A', 'F', 'P', 0, 0, 0, 1, 0};  // Signature, Version
}

AfpInfo default_afp_info() {
  AfpInfo a{};
  std::copy(kAfpHeader.begin(), kAfpHeader.end(), a.begin());
  a[12] = 0x80;  // BackupTime 0x80000000 (big-endian): never backed up
  return a;
}

bool valid_afp_info(Bytes data) {
  return data.size() == kAfpInfoSize && std::equal(kAfpHeader.begin(), kAfpHeader.end(), data.begin());
}

bool empty_afp_info(Bytes data) {
  if (!valid_afp_info(data)) return false;
  const auto fi = data.subspan(kAfpFinderInfoOffset, kAfpFinderInfoSize);
  return std::all_of(fi.begin(), fi.end(), [](std::uint8_t b) { return b == 0; });
}

std::array<std::uint8_t, 16> listing_finder_info(Bytes afp_info, bool is_directory) {
  std::array<std::uint8_t, 16> out{};
  if (!valid_afp_info(afp_info)) return out;
  const auto fi = afp_info.subspan(kAfpFinderInfoOffset, kAfpFinderInfoSize);
  if (!is_directory) std::copy_n(fi.begin(), 8, out.begin());  // fdType, fdCreator
  std::copy_n(fi.begin() + 8, 2, out.begin() + 8);              // fdFlags
  std::copy_n(fi.begin() + 24, 2, out.begin() + 10);            // the extended flags (FXInfo)
  return out;
}

void patch_id_both_entry(std::span<std::uint8_t> entry, const AaplDirExtras& x) {
  // MS-FSCC 2.4.17 offsets: EaSize 64, ShortNameLength 68, Reserved1 69, ShortName 70 (24),
  // Reserved2 94, FileId 96.
  if (entry.size() < 104) return;
  const auto put = [&](std::size_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) entry[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  put(64, x.max_access, 4);
  entry[68] = 24;  // macOS's client sends and expects 24 here (the whole ShortName is data)
  entry[69] = 0;
  put(70, x.resource_fork_size, 8);
  std::copy(x.finder_info.begin(), x.finder_info.end(), entry.begin() + 78);
  if (x.zero_file_id) put(96, 0, 8);
}

}  // namespace smbsrv::codec
