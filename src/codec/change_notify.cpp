// CHANGE_NOTIFY request (MS-SMB2 2.2.35) and response (2.2.36).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

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
