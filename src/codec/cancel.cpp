// CANCEL request (MS-SMB2 2.2.30): StructureSize 4, Reserved 2. There is no response.
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

Result<void> decode_cancel_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 4)) return NtStatus::invalid_parameter;
  r.skip(2);  // Reserved
  if (!r.ok()) return NtStatus::invalid_parameter;
  return {};
}

}  // namespace smbsrv::codec
