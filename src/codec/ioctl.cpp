// IOCTL request (MS-SMB2 2.2.31) and response (2.2.32).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.31 body: StructureSize 0 (57), Reserved 2, CtlCode 4, FileId 8, InputOffset 24,
// InputCount 28, MaxInputResponse 32, OutputOffset 36, OutputCount 40, MaxOutputResponse 44,
// Flags 48, Reserved2 52, Buffer 56 (0x78).
Result<IoctlRequest> decode_ioctl_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 57)) return NtStatus::invalid_parameter;
  IoctlRequest req;
  r.skip(2);
  req.ctl_code = r.u32();
  req.file_id = detail::read_file_id(r);
  const std::uint32_t input_offset = r.u32();
  const std::uint32_t input_count = r.u32();
  req.max_input_response = r.u32();
  const std::uint32_t output_offset = r.u32();
  const std::uint32_t output_count = r.u32();
  req.max_output_response = r.u32();
  req.flags = r.u32();
  r.skip(4);
  if (!r.ok()) return NtStatus::invalid_parameter;
  const std::size_t fixed_end = r.pos();
  Bytes output;  // a request's output buffer is never used, but it must lie inside the message
  if (!detail::buffer(msg, fixed_end, input_offset, input_count, req.input) ||
      !detail::buffer(msg, fixed_end, output_offset, output_count, output))
    return NtStatus::invalid_parameter;
  return req;
}

// 2.2.32 body: StructureSize 0 (49), Reserved 2, CtlCode 4, FileId 8, InputOffset 24,
// InputCount 28, OutputOffset 32, OutputCount 36, Flags 40, Reserved2 44, Buffer 48 (0x70).
void encode_ioctl_response(ByteWriter& w, std::size_t hdr, const IoctlResponse& r) {
  w.u16(49);
  w.u16(0);
  w.u32(r.ctl_code);
  detail::write_file_id(w, r.file_id);
  const std::uint32_t buffer_offset = detail::u32_of(w.size() + 24 - hdr);  // 0x70
  w.u32(buffer_offset);
  w.u32(0);
  w.u32(buffer_offset);
  w.u32(detail::u32_of(r.output.size()));
  w.u32(r.flags);
  w.u32(0);
  detail::variable_part(w, r.output);
}

}  // namespace smbsrv::codec
