// Server-side copy input (MS-SMB2 2.2.31.1): the whole input is an IOCTL input buffer for
// decode_srv_copychunk_copy. A decoded request must account for every chunk it claims.
#include <cstdint>

#include "codec/copychunk.hpp"

using namespace smbsrv;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in(data, size);
  if (auto r = codec::decode_srv_copychunk_copy(in)) {
    if (codec::kCopychunkCopyFixedSize + r->chunks.size() * codec::kCopychunkSize > size) __builtin_trap();
  }
  return 0;
}
