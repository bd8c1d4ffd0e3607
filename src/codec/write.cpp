// WRITE request (MS-SMB2 2.2.21) and response (2.2.22).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.21 body: StructureSize 0 (49), DataOffset 2, Length 4, Offset 8, FileId 16, Channel 32,
// RemainingBytes 36, WriteChannelInfoOffset 40, WriteChannelInfoLength 42, Flags 44,
// Buffer 48 (0x70).
Result<WriteRequest> decode_write_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 49)) return NtStatus::invalid_parameter;
  WriteRequest req;
  const std::uint16_t data_offset = r.u16();
  const std::uint32_t length = r.u32();
  req.offset = r.u64();
  req.file_id = detail::read_file_id(r);
  req.channel = r.u32();
  req.remaining_bytes = r.u32();
  const std::uint16_t info_offset = r.u16();
  const std::uint16_t info_length = r.u16();
  req.flags = r.u32();
  if (!r.ok()) return NtStatus::invalid_parameter;
  const std::size_t fixed_end = r.pos();
  if (!detail::buffer(msg, fixed_end, data_offset, length, req.data) ||
      !detail::buffer(msg, fixed_end, info_offset, info_length, req.write_channel_info))
    return NtStatus::invalid_parameter;
  return req;
}

// 2.2.22 body: StructureSize 0 (17), Reserved 2, Count 4, Remaining 8,
// WriteChannelInfoOffset 12, WriteChannelInfoLength 14.
void encode_write_response(ByteWriter& w, const WriteResponse& r) {
  w.u16(17);
  w.u16(0);
  w.u32(r.count);
  w.u32(r.remaining);
  w.u16(0);
  w.u16(0);
}

}  // namespace smbsrv::codec
