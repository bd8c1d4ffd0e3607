// FLUSH request (MS-SMB2 2.2.17) and response (2.2.18).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.17 body: StructureSize 0 (24), Reserved1 2, Reserved2 4, FileId 8.
Result<FlushRequest> decode_flush_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 24)) return NtStatus::invalid_parameter;
  FlushRequest req;
  r.skip(6);
  req.file_id = detail::read_file_id(r);
  if (!r.ok()) return NtStatus::invalid_parameter;
  return req;
}

// 2.2.18 body: StructureSize 0 (4), Reserved 2.
void encode_flush_response(ByteWriter& w) {
  w.u16(4);
  w.u16(0);
}

}  // namespace smbsrv::codec
