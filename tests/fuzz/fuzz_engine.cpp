// A whole connection. Input: one mode byte, then frames as [u16 little-endian length][bytes].
// Mode bit 0: start from the state a real NEGOTIATE + SESSION_SETUP (NTLMv2, unsigned: the server
// does not require signing) + TREE_CONNECT \\srv\share leaves, with deterministic clock and
// randomness, so the frames reach the post-authentication handlers; bits 2-3 pick its dialect
// (3.1.1, 3.0.2, 2.1, 2.0.2). Bit 1: rewrite every message's SessionId, TreeId and MessageId to
// the live ones.
//
// The handshake costs several times what a typical input's own frames do (and the same for every
// input), so each process runs it once per dialect and every input gets a fresh ServerState and
// Connection holding a copy of the resulting state (FuzzConnectionCopier, which Connection only
// declares a friend): inputs stay independent and reproducible. The replay build
// (SMBSRV_FUZZ_REPLAY: ctest, reproducing a crash) also runs each input after a real handshake and
// traps unless both runs answer byte for byte the same.
#include <array>
#include <cstdio>
#include <memory>

#include "fuzz/fuzz_support.hpp"

using namespace smbsrv;

namespace {

/// The connection after a real handshake in the dialect `mode` selects, made once per process.
const fuzz::LiveConnection& handshake_done(std::uint8_t mode) {
  static std::array<std::unique_ptr<fuzz::LiveConnection>, 4> done;
  auto& d = done[(mode >> 2) & 3];
  if (!d) {
    d = std::make_unique<fuzz::LiveConnection>();
    if (!d->setup(fuzz::setup_dialect(mode))) __builtin_trap();  // the setup must work
  }
  return *d;
}

/// Every response frame and the final disposition, for the replay comparison.
struct Transcript {
  std::vector<fuzz::Vec> frames;
  engine::Disposition last = engine::Disposition::keep;
  bool operator==(const Transcript&) const = default;
};

/// Feeds the input's frames; records what came back when `t` is given.
void run(fuzz::LiveConnection& live, std::uint8_t mode, const std::uint8_t* data, std::size_t size,
         Transcript* t) {
  fuzz::Chunks chunks(data, size);
  fuzz::Vec frame;
  for (int i = 0; i < 64 && chunks.next(frame); ++i) {
    if (mode & 2) live.patch(frame);
    engine::Disposition last = engine::Disposition::keep;
    auto frames = live.drive(live.conn.on_message(frame), &last);
    for (auto& f : live.pump()) frames.push_back(std::move(f));
    if (t) {
      t->frames.insert(t->frames.end(), frames.begin(), frames.end());
      t->last = last;
    }
    if (last != engine::Disposition::keep) break;
  }
  (void)live.drive(live.conn.shutdown());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  fuzz::quiet_logs();
  const std::uint8_t mode = data[0];
  fuzz::LiveConnection live;
  if (mode & 1) live.copy_from(handshake_done(mode));
#ifndef SMBSRV_FUZZ_REPLAY
  run(live, mode, data + 1, size - 1, nullptr);
#else
  Transcript copied, direct;
  run(live, mode, data + 1, size - 1, &copied);
  fuzz::LiveConnection real;
  if ((mode & 1) && !real.setup(fuzz::setup_dialect(mode))) __builtin_trap();
  run(real, mode, data + 1, size - 1, &direct);
  if (!(direct == copied)) {  // the copy is not faithful: say where, then fail like a crash
    std::size_t i = 0;
    while (i < direct.frames.size() && i < copied.frames.size() && direct.frames[i] == copied.frames[i]) ++i;
    std::fprintf(stderr, "copied state diverges: response frame %zu of %zu/%zu\n", i, direct.frames.size(),
                 copied.frames.size());
    if (i < direct.frames.size() && i < copied.frames.size()) {
      const auto& a = direct.frames[i];
      const auto& b = copied.frames[i];
      std::size_t k = 0;
      while (k < a.size() && k < b.size() && a[k] == b[k]) ++k;
      std::fprintf(stderr, "  at byte %zu (sizes %zu/%zu)\n", k, a.size(), b.size());
    }
    __builtin_trap();
  }
#endif
  return 0;
}
