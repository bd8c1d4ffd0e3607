// Durable-handle create contexts (MS-SMB2 2.2.13.2.3/.4/.11/.12 requests, 2.2.14.2.3/.12
// responses). The structures have fixed sizes; anything else is refused with invalid_parameter,
// as Windows and Samba do.
#include <algorithm>

#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

Result<void> decode_durable_request(Bytes data) {
  if (data.size() != 16) return NtStatus::invalid_parameter;
  return {};
}

Result<FileId> decode_durable_reconnect(Bytes data) {
  if (data.size() != 16) return NtStatus::invalid_parameter;
  ByteReader r(data);
  const FileId f = detail::read_file_id(r);
  if (!r.ok()) return NtStatus::invalid_parameter;
  return f;
}

// Timeout 0, Flags 4, Reserved 8, CreateGuid 16 (32 bytes).
Result<DurableRequestV2> decode_durable_request_v2(Bytes data) {
  if (data.size() != 32) return NtStatus::invalid_parameter;
  ByteReader r(data);
  DurableRequestV2 d;
  d.timeout_ms = r.u32();
  d.flags = r.u32();
  r.skip(8);
  const Bytes guid = r.bytes(16);
  if (!r.ok()) return NtStatus::invalid_parameter;
  std::copy(guid.begin(), guid.end(), d.create_guid.begin());
  return d;
}

// FileId 0, CreateGuid 16, Flags 32 (36 bytes).
Result<DurableReconnectV2> decode_durable_reconnect_v2(Bytes data) {
  if (data.size() != 36) return NtStatus::invalid_parameter;
  ByteReader r(data);
  DurableReconnectV2 d;
  d.file_id = detail::read_file_id(r);
  const Bytes guid = r.bytes(16);
  d.flags = r.u32();
  if (!r.ok()) return NtStatus::invalid_parameter;
  std::copy(guid.begin(), guid.end(), d.create_guid.begin());
  return d;
}

// StructureSize 0 (20), Reserved 2, AppInstanceId 4 (20 bytes). The server may check
// StructureSize (3.3.5.9.13); a context of another size is malformed either way.
Result<std::array<std::uint8_t, 16>> decode_app_instance_id(Bytes data) {
  if (data.size() != 20) return NtStatus::invalid_parameter;
  ByteReader r(data);
  const std::uint16_t size = r.u16();
  r.skip(2);
  const Bytes id = r.bytes(16);
  if (!r.ok() || size != 20) return NtStatus::invalid_parameter;
  std::array<std::uint8_t, 16> out{};
  std::copy(id.begin(), id.end(), out.begin());
  return out;
}

// StructureSize 0 (24), Reserved 2, Padding 4, High 8, Low 16 (24 bytes).
Result<AppInstanceVersion> decode_app_instance_version(Bytes data) {
  if (data.size() != 24) return NtStatus::invalid_parameter;
  ByteReader r(data);
  const std::uint16_t size = r.u16();
  r.skip(6);
  AppInstanceVersion v;
  v.high = r.u64();
  v.low = r.u64();
  if (!r.ok() || size != 24) return NtStatus::invalid_parameter;
  return v;
}

std::vector<std::uint8_t> encode_durable_response() { return std::vector<std::uint8_t>(8, 0); }

std::vector<std::uint8_t> encode_durable_response_v2(std::uint32_t timeout_ms, std::uint32_t flags) {
  std::vector<std::uint8_t> out;
  out.reserve(8);
  ByteWriter w(out);
  w.u32(timeout_ms);
  w.u32(flags);
  return out;
}

}  // namespace smbsrv::codec
