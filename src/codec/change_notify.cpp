// CHANGE_NOTIFY request (MS-SMB2 2.2.35) and response (2.2.36).
#include "codec/messages.hpp"
#include "codec/wire.hpp"
#include "util/utf16.hpp"

namespace smbsrv::codec {

// 2.2.35 body: StructureSize 0 (32), Flags 2, OutputBufferLength 4, FileId 8,
// CompletionFilter 24, Reserved 28.
Result<ChangeNotifyRequest> decode_change_notify_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 32)) return NtStatus::invalid_parameter;
  ChangeNotifyRequest req;
  req.flags = r.u16();
  req.output_buffer_length = r.u32();
  req.file_id = detail::read_file_id(r);
  req.completion_filter = r.u32();
  r.skip(4);
  if (!r.ok()) return NtStatus::invalid_parameter;
  return req;
}

// 2.2.36 body: StructureSize 0 (9), OutputBufferOffset 2, OutputBufferLength 4, Buffer 8 (0x48).
void encode_change_notify_response(ByteWriter& w, std::size_t hdr, Bytes output) {
  w.u16(9);
  w.u16(detail::u16_of(w.size() + 6 - hdr));
  w.u32(detail::u32_of(output.size()));
  detail::variable_part(w, output);
}

}  // namespace smbsrv::codec

namespace smbsrv::codec {

namespace {

constexpr std::size_t kNotifyEntryFixed = 12;  // NextEntryOffset, Action, FileNameLength

constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

}  // namespace

std::size_t notify_information_size(std::span<const NotifyEntry> entries) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::size_t one = kNotifyEntryFixed + to_utf16le(entries[i].name).size();
    total += i + 1 < entries.size() ? align4(one) : one;
  }
  return total;
}

// MS-FSCC 2.4.42: NextEntryOffset 0, Action 4, FileNameLength 8, FileName 12.
void encode_notify_information(ByteWriter& w, std::span<const NotifyEntry> entries) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto name = to_utf16le(entries[i].name);
    const std::size_t one = kNotifyEntryFixed + name.size();
    const bool last = i + 1 == entries.size();
    w.u32(last ? 0 : detail::u32_of(align4(one)));
    w.u32(entries[i].action);
    w.u32(detail::u32_of(name.size()));
    w.bytes(name);
    if (!last) w.zeros(align4(one) - one);
  }
}

Result<std::vector<NotifyEntry>> decode_notify_information(Bytes buf) {
  std::vector<NotifyEntry> out;
  std::size_t at = 0;
  while (true) {
    if (buf.size() - at < kNotifyEntryFixed) return NtStatus::invalid_parameter;
    ByteReader r(buf.subspan(at));
    const std::uint32_t next = r.u32();
    NotifyEntry e;
    e.action = r.u32();
    const std::uint32_t len = r.u32();
    if (len % 2 != 0 || r.remaining() < len) return NtStatus::invalid_parameter;
    auto name = utf16le_to_utf8(r.bytes(len));
    if (!r.ok() || !name) return NtStatus::invalid_parameter;
    e.name = std::move(*name);
    out.push_back(std::move(e));
    if (next == 0) return out;
    // The next entry starts past this one's name, on a 4-byte boundary, inside the buffer.
    if (next % 4 != 0 || next < kNotifyEntryFixed + len || next > buf.size() - at) return NtStatus::invalid_parameter;
    at += next;
  }
}

}  // namespace smbsrv::codec
