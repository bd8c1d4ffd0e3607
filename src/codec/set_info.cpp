// SET_INFO request (MS-SMB2 2.2.39) and response (2.2.40).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.39 body: StructureSize 0 (33), InfoType 2, FileInfoClass 3, BufferLength 4,
// BufferOffset 8, Reserved 10, AdditionalInformation 12, FileId 16, Buffer 32 (0x60).
Result<SetInfoRequest> decode_set_info_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 33)) return NtStatus::invalid_parameter;
  SetInfoRequest req;
  req.info_type = r.u8();
  req.file_info_class = r.u8();
  const std::uint32_t length = r.u32();
  const std::uint16_t offset = r.u16();
  r.skip(2);
  req.additional_information = r.u32();
  req.file_id = detail::read_file_id(r);
  if (!r.ok() || !detail::buffer(msg, r.pos(), offset, length, req.buffer))
    return NtStatus::invalid_parameter;
  return req;
}

// 2.2.40 body: StructureSize 0 (2).
void encode_set_info_response(ByteWriter& w) { w.u16(2); }

}  // namespace smbsrv::codec
