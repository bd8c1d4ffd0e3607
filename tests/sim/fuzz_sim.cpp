// libFuzzer target: the deterministic simulation (sim.hpp) with the input bytes as its source of
// choices (ByteSource: set-up, then one step after another until the bytes run out, then the
// final checks). 8 clients, at most 3000 steps. A violated invariant aborts with its description.
#include <cstdio>
#include <cstdlib>

#include "sim/sim.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace smbsrv::sim;
  quiet_logs();
  if (size == 0) return 0;
  ByteSource src(data, size);
  SimOptions o;
  o.clients = 8;
  o.steps = 3000;
  const SimResult r = run_simulation(o, src);
  if (!r.ok) {
    std::fprintf(stderr, "sim invariant violated at step %llu: %s\n", static_cast<unsigned long long>(r.step),
                 r.failure.c_str());
    std::abort();
  }
  return 0;
}
