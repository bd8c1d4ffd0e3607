// QUERY_INFO request (MS-SMB2 2.2.37) and response (2.2.38).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.37 body: StructureSize 0 (41), InfoType 2, FileInfoClass 3, OutputBufferLength 4,
// InputBufferOffset 8, Reserved 10, InputBufferLength 12, AdditionalInformation 16, Flags 20,
// FileId 24, Buffer 40 (0x68).
Result<QueryInfoRequest> decode_query_info_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 41)) return NtStatus::invalid_parameter;
  QueryInfoRequest req;
  req.info_type = r.u8();
  req.file_info_class = r.u8();
  req.output_buffer_length = r.u32();
  const std::uint16_t input_offset = r.u16();
  r.skip(2);
  const std::uint32_t input_length = r.u32();
  req.additional_information = r.u32();
  req.flags = r.u32();
  req.file_id = detail::read_file_id(r);
  if (!r.ok() || !detail::buffer(msg, r.pos(), input_offset, input_length, req.input))
    return NtStatus::invalid_parameter;
  return req;
}

// 2.2.38 body: StructureSize 0 (9), OutputBufferOffset 2, OutputBufferLength 4, Buffer 8 (0x48).
void encode_query_info_response(ByteWriter& w, std::size_t hdr, Bytes output) {
  w.u16(9);
  w.u16(detail::u16_of(w.size() + 6 - hdr));
  w.u32(detail::u32_of(output.size()));
  detail::variable_part(w, output);
}

}  // namespace smbsrv::codec
