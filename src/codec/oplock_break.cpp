// OPLOCK_BREAK acknowledgment (MS-SMB2 2.2.24.1) and lease break acknowledgment (2.2.24.2).
#include <cstring>

#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.24.1 body: StructureSize 0 (24), OplockLevel 2, Reserved 3, Reserved2 4, FileId 8.
// 2.2.24.2 body: StructureSize 0 (36), Reserved 2, Flags 4, LeaseKey 8, LeaseState 24,
// LeaseDuration 28.
Result<OplockBreakAck> decode_oplock_break_ack(Bytes msg) {
  ByteReader r(msg);
  r.seek(kHeaderSize);
  const std::uint16_t structure_size = r.u16();
  if (!r.ok() || (structure_size != 24 && structure_size != 36)) return NtStatus::invalid_parameter;
  if (!detail::open_body(msg, r, structure_size)) return NtStatus::invalid_parameter;
  OplockBreakAck ack;
  if (structure_size == 24) {
    ack.oplock_level = r.u8();
    r.skip(1 + 4);
    ack.file_id = detail::read_file_id(r);
  } else {
    ack.is_lease = true;
    r.skip(2 + 4);  // Reserved, Flags
    const Bytes key = r.bytes(16);
    ack.lease_state = r.u32();
    r.skip(8);  // LeaseDuration
    if (r.ok()) std::memcpy(ack.lease_key.data(), key.data(), key.size());
  }
  if (!r.ok()) return NtStatus::invalid_parameter;
  return ack;
}

}  // namespace smbsrv::codec
