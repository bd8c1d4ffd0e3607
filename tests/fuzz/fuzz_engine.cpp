// A whole connection. Input: one mode byte, then frames as [u16 little-endian length][bytes].
// Mode bit 0: first drive a real NEGOTIATE + SESSION_SETUP (NTLMv2, unsigned: the server does not
// require signing) + TREE_CONNECT \\srv\share with deterministic clock and randomness, so the
// frames reach the post-authentication handlers; bits 2-3 pick its dialect (3.1.1, 3.0.2, 2.1,
// 2.0.2). Bit 1: rewrite every message's SessionId, TreeId and MessageId to the live ones.
// Everything runs in the target: no production code switch.
#include "fuzz/fuzz_support.hpp"

using namespace smbsrv;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  fuzz::quiet_logs();
  const std::uint8_t mode = data[0];
  fuzz::LiveConnection live;
  if ((mode & 1) && !live.setup(fuzz::setup_dialect(mode))) __builtin_trap();  // the setup must work
  fuzz::Chunks chunks(data + 1, size - 1);
  fuzz::Vec frame;
  for (int i = 0; i < 64 && chunks.next(frame); ++i) {
    if (mode & 2) live.patch(frame);
    auto out = live.conn.on_message(frame);
    if (out.disposition != engine::Disposition::keep) break;
  }
  live.conn.shutdown();
  return 0;
}
