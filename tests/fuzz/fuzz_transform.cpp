// decode_transform_header over a frame.
#include "codec/messages.hpp"

using namespace smbsrv;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto t = codec::decode_transform_header(Bytes(data, size));
  if (t && size - codec::kTransformHeaderSize != t->original_message_size) __builtin_trap();
  return 0;
}
