// IOCTL request (MS-SMB2 2.2.31) and response (2.2.32), and the FSCTL payloads the server reads
// or writes: VALIDATE_NEGOTIATE_INFO (2.2.31.4, 2.2.32.6) and FILE_OBJECTID_BUFFER (MS-FSCC 2.1.3).
#include <cstring>

#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.31 body: StructureSize 0 (57), Reserved 2, CtlCode 4, FileId 8, InputOffset 24,
// InputCount 28, MaxInputResponse 32, OutputOffset 36, OutputCount 40, MaxOutputResponse 44,
// Flags 48, Reserved2 52, Buffer 56 (0x78).
Result<IoctlRequest> decode_ioctl_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 57)) return NtStatus::invalid_parameter;
  IoctlRequest req;
  r.skip(2);
  req.ctl_code = r.u32();
  req.file_id = detail::read_file_id(r);
  const std::uint32_t input_offset = r.u32();
  const std::uint32_t input_count = r.u32();
  req.max_input_response = r.u32();
  const std::uint32_t output_offset = r.u32();
  const std::uint32_t output_count = r.u32();
  req.max_output_response = r.u32();
  req.flags = r.u32();
  r.skip(4);
  if (!r.ok()) return NtStatus::invalid_parameter;
  const std::size_t fixed_end = r.pos();
  Bytes output;  // a request's output buffer is never used, but it must lie inside the message
  if (!detail::buffer(msg, fixed_end, input_offset, input_count, req.input) ||
      !detail::buffer(msg, fixed_end, output_offset, output_count, output))
    return NtStatus::invalid_parameter;
  return req;
}

// 2.2.32 body: StructureSize 0 (49), Reserved 2, CtlCode 4, FileId 8, InputOffset 24,
// InputCount 28, OutputOffset 32, OutputCount 36, Flags 40, Reserved2 44, Buffer 48 (0x70).
void encode_ioctl_response(ByteWriter& w, std::size_t hdr, const IoctlResponse& r) {
  w.u16(49);
  w.u16(0);
  w.u32(r.ctl_code);
  detail::write_file_id(w, r.file_id);
  const std::uint32_t buffer_offset = detail::u32_of(w.size() + 24 - hdr);  // 0x70
  w.u32(buffer_offset);
  w.u32(0);
  w.u32(buffer_offset);
  w.u32(detail::u32_of(r.output.size()));
  w.u32(r.flags);
  w.u32(0);
  detail::variable_part(w, r.output);
}

// 2.2.31.4 VALIDATE_NEGOTIATE_INFO request: Capabilities 0, Guid 4, SecurityMode 20,
// DialectCount 22, Dialects 24 (2 bytes each).
Result<ValidateNegotiateInfo> decode_validate_negotiate_info(Bytes input) {
  ByteReader r(input);
  ValidateNegotiateInfo v;
  v.capabilities = r.u32();
  const Bytes guid = r.bytes(16);
  v.security_mode = r.u16();
  const std::uint16_t count = r.u16();
  if (!r.ok() || count == 0 || r.remaining() / 2 < count) return NtStatus::invalid_parameter;
  std::memcpy(v.guid.data(), guid.data(), guid.size());
  v.dialects.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) v.dialects.push_back(r.u16());
  if (!r.ok()) return NtStatus::invalid_parameter;
  return v;
}

// 2.2.31.3 NETWORK_RESILIENCY_REQUEST: Timeout 0, Reserved 4.
Result<NetworkResiliencyRequest> decode_network_resiliency_request(Bytes input) {
  ByteReader r(input);
  NetworkResiliencyRequest q;
  q.timeout_ms = r.u32();
  r.skip(4);
  if (!r.ok()) return NtStatus::invalid_parameter;
  return q;
}

// 2.2.32.6 VALIDATE_NEGOTIATE_INFO response: Capabilities 0, Guid 4, SecurityMode 20, Dialect 22.
void encode_validate_negotiate_response(ByteWriter& w, std::uint32_t capabilities,
                                        const std::array<std::uint8_t, 16>& guid,
                                        std::uint16_t security_mode, std::uint16_t dialect) {
  w.u32(capabilities);
  w.bytes(guid);
  w.u16(security_mode);
  w.u16(dialect);
}

// MS-SMB2 2.2.32.5: Next 0, IfIndex 4, Capability 8, Reserved 12, LinkSpeed 16,
// SockAddr_Storage 24 (128 bytes: Family, then SOCKADDR_IN {Port, IPv4Address, Reserved[8]} or
// SOCKADDR_IN6 {Port, FlowInfo, IPv6Address, ScopeId}, the rest zero).
void encode_network_interface_info(ByteWriter& w, std::span<const NetworkInterfaceInfo> list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& n = list[i];
    const std::size_t start = w.size();
    w.u32(i + 1 < list.size() ? static_cast<std::uint32_t>(kNetworkInterfaceInfoSize) : 0);
    w.u32(n.if_index);
    w.u32(n.capability);
    w.u32(0);
    w.u64(n.link_speed);
    if (n.ipv6) {
      w.u16(0x0017);
      w.u16(0);  // Port
      w.u32(0);  // FlowInfo
      w.bytes(n.address);
      w.u32(n.scope_id);
    } else {
      w.u16(0x0002);
      w.u16(0);
      w.bytes(std::span<const std::uint8_t>(n.address.data(), 4));
    }
    w.zeros(kNetworkInterfaceInfoSize - (w.size() - start));
  }
}

// MS-FSCC 2.1.3.1 FILE_OBJECTID_BUFFER Type 1: ObjectId 0, BirthVolumeId 16, BirthObjectId 32,
// DomainId 48.
void encode_object_id_buffer(ByteWriter& w, const std::array<std::uint8_t, 16>& object_id) {
  w.bytes(object_id);
  w.zeros(kObjectIdBufferSize - object_id.size());
}

std::array<std::uint8_t, 16> object_id_of(std::uint64_t file_id) {
  constexpr std::uint64_t kMarker = 0x736D6273727600ULL;  // "smbsrv" marker
  std::array<std::uint8_t, 16> id{};
  for (std::size_t i = 0; i < 8; ++i) {
    id[i] = static_cast<std::uint8_t>(file_id >> (8 * i));
    id[8 + i] = static_cast<std::uint8_t>(kMarker >> (8 * i));
  }
  return id;
}

}  // namespace smbsrv::codec
