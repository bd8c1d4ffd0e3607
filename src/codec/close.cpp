// CLOSE request (MS-SMB2 2.2.15) and response (2.2.16).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.15 body: StructureSize 0 (24), Flags 2, Reserved 4, FileId 8.
Result<CloseRequest> decode_close_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 24)) return NtStatus::invalid_parameter;
  CloseRequest req;
  req.flags = r.u16();
  r.skip(4);
  req.file_id = detail::read_file_id(r);
  if (!r.ok()) return NtStatus::invalid_parameter;
  return req;
}

// 2.2.16 body: StructureSize 0 (60), Flags 2, Reserved 4, CreationTime 8, LastAccessTime 16,
// LastWriteTime 24, ChangeTime 32, AllocationSize 40, EndofFile 48, FileAttributes 56.
void encode_close_response(ByteWriter& w, const CloseResponse& r) {
  w.u16(60);
  w.u16(r.flags);
  w.u32(0);
  w.u64(r.creation_time);
  w.u64(r.last_access_time);
  w.u64(r.last_write_time);
  w.u64(r.change_time);
  w.u64(r.allocation_size);
  w.u64(r.end_of_file);
  w.u32(r.file_attributes);
}

}  // namespace smbsrv::codec
