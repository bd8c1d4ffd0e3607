// TREE_CONNECT request (MS-SMB2 2.2.9, extension 2.2.9.1) and response (2.2.10).
#include "codec/messages.hpp"
#include "codec/wire.hpp"
#include "util/utf16.hpp"

namespace smbsrv::codec {
namespace {
constexpr std::size_t kExtensionSize = 16;  // TreeConnectContextOffset 4, Count 2, Reserved 10
}

// 2.2.9 body: StructureSize 0 (9), Flags/Reserved 2, PathOffset 4, PathLength 6, Buffer 8 (0x48).
// With EXTENSION_PRESENT the Buffer begins with the 2.2.9.1 extension and PathOffset/PathLength
// locate its PathName, which follows the extension's 16-byte fixed part.
Result<TreeConnectRequest> decode_tree_connect_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 9)) return NtStatus::invalid_parameter;
  TreeConnectRequest req;
  req.flags = r.u16();
  const std::uint16_t offset = r.u16();
  const std::uint16_t length = r.u16();
  if (!r.ok()) return NtStatus::invalid_parameter;
  std::size_t min_offset = r.pos();
  if (req.flags & kTreeConnectFlagExtensionPresent) {
    Bytes ext;
    if (!slice(msg, min_offset, kExtensionSize, ext)) return NtStatus::invalid_parameter;
    min_offset += kExtensionSize;  // tree connect contexts are ignored
  }
  Bytes path;
  if (!detail::buffer(msg, min_offset, offset, length, path)) return NtStatus::invalid_parameter;
  auto utf8 = utf16le_to_utf8(path);
  if (!utf8) return NtStatus::invalid_parameter;
  req.path = std::move(*utf8);
  return req;
}

// 2.2.10 body: StructureSize 0 (16), ShareType 2, Reserved 3, ShareFlags 4, Capabilities 8,
// MaximalAccess 12.
void encode_tree_connect_response(ByteWriter& w, const TreeConnectResponse& r) {
  w.u16(16);
  w.u8(r.share_type);
  w.u8(0);
  w.u32(r.share_flags);
  w.u32(r.capabilities);
  w.u32(r.maximal_access);
}

}  // namespace smbsrv::codec
