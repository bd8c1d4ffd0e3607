// LOCK request (MS-SMB2 2.2.26, elements 2.2.26.1) and response (2.2.27).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {
namespace {
constexpr std::size_t kLockElementSize = 24;  // Offset 8, Length 8, Flags 4, Reserved 4
}

// 2.2.26 body: StructureSize 0 (48), LockCount 2, LockSequenceNumber/Index 4, FileId 8,
// Locks 24 (StructureSize counts the first element).
Result<LockRequest> decode_lock_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 48)) return NtStatus::invalid_parameter;
  LockRequest req;
  const std::uint16_t count = r.u16();
  req.lock_sequence = r.u32();
  req.file_id = detail::read_file_id(r);
  if (!r.ok() || count == 0 || r.remaining() / kLockElementSize < count)
    return NtStatus::invalid_parameter;
  req.locks.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) {
    LockElement e;
    e.offset = r.u64();
    e.length = r.u64();
    e.flags = r.u32();
    r.skip(4);
    req.locks.push_back(e);
  }
  if (!r.ok()) return NtStatus::invalid_parameter;
  return req;
}

// 2.2.27 body: StructureSize 0 (4), Reserved 2.
void encode_lock_response(ByteWriter& w) {
  w.u16(4);
  w.u16(0);
}

}  // namespace smbsrv::codec
