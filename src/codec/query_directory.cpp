// QUERY_DIRECTORY request (MS-SMB2 2.2.33) and response (2.2.34).
#include "codec/messages.hpp"
#include "codec/wire.hpp"
#include "util/utf16.hpp"

namespace smbsrv::codec {

// 2.2.33 body: StructureSize 0 (33), FileInformationClass 2, Flags 3, FileIndex 4, FileId 8,
// FileNameOffset 24, FileNameLength 26, OutputBufferLength 28, Buffer 32 (0x60).
Result<QueryDirectoryRequest> decode_query_directory_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 33)) return NtStatus::invalid_parameter;
  QueryDirectoryRequest req;
  req.file_information_class = r.u8();
  req.flags = r.u8();
  req.file_index = r.u32();
  req.file_id = detail::read_file_id(r);
  const std::uint16_t name_offset = r.u16();
  const std::uint16_t name_length = r.u16();
  req.output_buffer_length = r.u32();
  Bytes name;
  if (!r.ok() || !detail::buffer(msg, r.pos(), name_offset, name_length, name))
    return NtStatus::invalid_parameter;
  auto utf8 = utf16le_to_utf8(name);
  if (!utf8) return NtStatus::invalid_parameter;
  req.file_name = std::move(*utf8);
  return req;
}

// 2.2.34 body: StructureSize 0 (9), OutputBufferOffset 2, OutputBufferLength 4, Buffer 8 (0x48).
void encode_query_directory_response(ByteWriter& w, std::size_t hdr, Bytes output) {
  w.u16(9);
  w.u16(detail::u16_of(w.size() + 6 - hdr));
  w.u32(detail::u32_of(output.size()));
  detail::variable_part(w, output);
}

}  // namespace smbsrv::codec
