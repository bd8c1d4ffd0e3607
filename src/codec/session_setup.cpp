// SESSION_SETUP request (MS-SMB2 2.2.5) and response (2.2.6).
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

// 2.2.5 body: StructureSize 0 (25), Flags 2, SecurityMode 3, Capabilities 4, Channel 8,
// SecurityBufferOffset 12, SecurityBufferLength 14, PreviousSessionId 16, Buffer 24 (0x58).
Result<SessionSetupRequest> decode_session_setup_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 25)) return NtStatus::invalid_parameter;
  SessionSetupRequest req;
  req.flags = r.u8();
  req.security_mode = r.u8();
  req.capabilities = r.u32();
  req.channel = r.u32();
  const std::uint16_t offset = r.u16();
  const std::uint16_t length = r.u16();
  req.previous_session_id = r.u64();
  if (!r.ok() || !detail::buffer(msg, r.pos(), offset, length, req.security_buffer))
    return NtStatus::invalid_parameter;
  return req;
}

// 2.2.6 body: StructureSize 0 (9), SessionFlags 2, SecurityBufferOffset 4, SecurityBufferLength 6,
// Buffer 8 (0x48).
void encode_session_setup_response(ByteWriter& w, std::size_t hdr, const SessionSetupResponse& r) {
  w.u16(9);
  w.u16(r.session_flags);
  w.u16(detail::u16_of(w.size() + 4 - hdr));
  w.u16(detail::u16_of(r.security_buffer.size()));
  detail::variable_part(w, r.security_buffer);
}

}  // namespace smbsrv::codec
