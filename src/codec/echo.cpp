// ECHO request (MS-SMB2 2.2.28) and response (2.2.29): StructureSize 4, Reserved 2.
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

Result<void> decode_echo_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 4)) return NtStatus::invalid_parameter;
  r.skip(2);  // Reserved
  if (!r.ok()) return NtStatus::invalid_parameter;
  return {};
}

void encode_echo_response(ByteWriter& w) {
  w.u16(4);
  w.u16(0);
}

}  // namespace smbsrv::codec
