// libFuzzer target: the deterministic simulation (sim.hpp) with the input as its source of
// choices. The first byte picks the number of clients (2 + byte % 7: 2..8); the rest is a
// ByteSource: the set-up (weights, faults, dialects), then one step after another until the bytes
// run out (at most 1200 steps), then the final checks. A violated invariant aborts with its
// description (fewer clients and steps than the ctest runs: under ASan+UBSan a step costs ~10x).
#include <cstdio>
#include <cstdlib>

#include "sim/sim.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace smbsrv::sim;
  quiet_logs();
  if (size < 2) return 0;
  ByteSource src(data + 1, size - 1);
  SimOptions o;
  o.clients = 2 + data[0] % 7;
  o.steps = 1200;
  // SMBSRV_SIM_TRACE=1: every step (reproducing a crash with fuzz_replay_sim).
  static const bool trace = std::getenv("SMBSRV_SIM_TRACE") != nullptr;
  o.trace = trace;
  const SimResult r = run_simulation(o, src);
  // SMBSRV_SIM_PRINT=1: one line per input (comparing builds: a schedule must not depend on the
  // compiler).
  static const bool print = std::getenv("SMBSRV_SIM_PRINT") != nullptr;
  if (print) std::printf("%d clients, %s, %s\n", o.clients, r.ok ? "ok" : r.failure.c_str(), r.stats.summary().c_str());
  if (!r.ok) {
    std::fprintf(stderr, "sim invariant violated at step %llu: %s\n", static_cast<unsigned long long>(r.step),
                 r.failure.c_str());
    std::abort();
  }
  return 0;
}
