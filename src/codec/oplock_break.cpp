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

namespace smbsrv::codec {

Result<LeaseContext> decode_lease_context(Bytes data) {
  if (data.size() != 32 && data.size() != 52) return NtStatus::invalid_parameter;
  ByteReader r(data);
  LeaseContext l;
  l.version = data.size() == 52 ? 2 : 1;
  const Bytes key = r.bytes(16);
  std::memcpy(l.key.data(), key.data(), key.size());
  l.state = r.u32();
  l.flags = r.u32();
  r.skip(8);  // LeaseDuration
  if (l.version == 2) {
    const Bytes parent = r.bytes(16);
    std::memcpy(l.parent_key.data(), parent.data(), parent.size());
    l.epoch = r.u16();
    r.skip(2);
  }
  if (!r.ok()) return NtStatus::invalid_parameter;
  return l;
}

std::vector<std::uint8_t> encode_lease_context(const LeaseContext& l) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.bytes(l.key);
  w.u32(l.state);
  w.u32(l.flags);
  w.u64(0);  // LeaseDuration
  if (l.version == 2) {
    w.bytes(l.parent_key);
    w.u16(l.epoch);
    w.u16(0);
  }
  return out;
}

void encode_oplock_break(ByteWriter& w, std::uint8_t oplock_level, const FileId& file_id) {
  w.u16(24);
  w.u8(oplock_level);
  w.u8(0);
  w.u32(0);
  detail::write_file_id(w, file_id);
}

void encode_lease_break_notification(ByteWriter& w, const LeaseBreakNotification& n) {
  w.u16(44);
  w.u16(n.new_epoch);
  w.u32(n.flags);
  w.bytes(n.key);
  w.u32(n.current_state);
  w.u32(n.new_state);
  w.zeros(12);  // BreakReason, AccessMaskHint, ShareMaskHint
}

void encode_lease_break_response(ByteWriter& w, const std::array<std::uint8_t, 16>& key, std::uint32_t state) {
  w.u16(36);
  w.u16(0);
  w.u32(0);  // Flags
  w.bytes(key);
  w.u32(state);
  w.u64(0);  // LeaseDuration
}

}  // namespace smbsrv::codec
