// split_compound over a transport frame, then decode_header of every message.
#include "codec/messages.hpp"

using namespace smbsrv;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes frame(data, size);
  auto msgs = codec::split_compound(frame);
  if (!msgs) return 0;
  for (const Bytes m : *msgs) {
    if (m.data() < frame.data() || m.data() + m.size() > frame.data() + frame.size()) __builtin_trap();
    auto h = codec::decode_header(m);
    if (h) (void)codec::command_name(h->command);
  }
  return 0;
}
