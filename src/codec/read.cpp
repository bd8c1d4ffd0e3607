// READ request (MS-SMB2 2.2.19) and response (2.2.20).
#include <array>

#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.19 body: StructureSize 0 (49), Padding 2, Flags 3, Length 4, Offset 8, FileId 16,
// MinimumCount 32, Channel 36, RemainingBytes 40, ReadChannelInfoOffset 44,
// ReadChannelInfoLength 46, Buffer 48 (0x70; the one Buffer byte may be absent).
Result<ReadRequest> decode_read_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 49)) return NtStatus::invalid_parameter;
  ReadRequest req;
  req.padding = r.u8();
  req.flags = r.u8();
  req.length = r.u32();
  req.offset = r.u64();
  req.file_id = detail::read_file_id(r);
  req.minimum_count = r.u32();
  req.channel = r.u32();
  req.remaining_bytes = r.u32();
  const std::uint16_t info_offset = r.u16();
  const std::uint16_t info_length = r.u16();
  if (!r.ok() || !detail::buffer(msg, r.pos(), info_offset, info_length, req.read_channel_info))
    return NtStatus::invalid_parameter;
  return req;
}

// 2.2.20 body: StructureSize 0 (17), DataOffset 2 (1 byte), Reserved 3, DataLength 4,
// DataRemaining 8, Flags/Reserved2 12, Buffer 16 (0x50).
void encode_read_response_header(ByteWriter& w, std::uint32_t data_length, std::uint32_t data_remaining) {
  std::array<std::uint8_t, 16> fixed;
  put_read_response_header(fixed, data_length, data_remaining);
  w.bytes(fixed);
}

void put_read_response_header(std::span<std::uint8_t, 16> out, std::uint32_t data_length,
                              std::uint32_t data_remaining) {
  auto le32 = [&](std::size_t at, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) out[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  out[0] = 17;
  out[1] = 0;
  out[2] = static_cast<std::uint8_t>(kHeaderSize + 16);  // DataOffset
  out[3] = 0;
  le32(4, data_length);
  le32(8, data_remaining);
  le32(12, 0);
}

void encode_read_response(ByteWriter& w, Bytes data) {
  encode_read_response_header(w, detail::u32_of(data.size()));
  detail::variable_part(w, data);
}

}  // namespace smbsrv::codec
