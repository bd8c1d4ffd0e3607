// TREE_DISCONNECT request (MS-SMB2 2.2.11) and response (2.2.12): StructureSize 4, Reserved 2.
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

Result<void> decode_tree_disconnect_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 4)) return NtStatus::invalid_parameter;
  r.skip(2);  // Reserved
  if (!r.ok()) return NtStatus::invalid_parameter;
  return {};
}

void encode_tree_disconnect_response(ByteWriter& w) {
  w.u16(4);
  w.u16(0);
}

}  // namespace smbsrv::codec
