// The deterministic simulation (ctest label `sim`): the real engine (engine::Connection) and NT
// core over a MemoryVfs share wrapped in FaultVfs, driven by N simulated clients, each with its
// own Connection, all on one thread. A Source (rng.hpp: a seed, or a fuzz input) picks every
// step: which client sends which request, which handed-out Work runs, which finished Work is
// handed back through on_complete() (a distinct step, so completions are delayed and reordered;
// FaultVfs can hold one back longer), which connection's wake is delivered, disconnects and
// reconnects, and the clock (NtCore::tick()). After every step the invariants (sim.cpp, "Checks")
// are checked; at the end the simulation quiesces and checks that everything was answered and
// that the core is empty once every client has gone.
#pragma once

#include <cstdint>
#include <string>

#include "sim/rng.hpp"

namespace smbsrv::sim {

struct SimOptions {
  std::uint64_t seed = 1;  // only for the replay line; the Source is what decides
  int clients = 8;
  int steps = 400;
  bool trace = false;  // print every step and every message to stdout
  /// Some single-range LOCKs wait (no FAIL_IMMEDIATELY): they may answer STATUS_PENDING and end
  /// once granted, cancelled or their handle closes. Off by default so that the seeds of the
  /// driver before blocking locks (regression_seeds.txt, sim.fixed_*) keep their schedules; the
  /// sim.blocking_* ctests run their own seed range with it on.
  bool blocking_locks = false;
};

/// What happened, summed over seeds for the coverage line of smbsrv_sim.
struct SimStats {
  std::uint64_t steps = 0, requests = 0, responses = 0, interims = 0, cancels_sent = 0, cancelled = 0,
                oplock_breaks = 0, lease_breaks = 0, acks = 0, jobs = 0, held_jobs = 0, vfs_failures = 0,
                disconnects = 0, logoffs = 0, tree_disconnects = 0, compounds = 0, sharing_violations = 0,
                lock_conflicts = 0, probes = 0, blocks_checked = 0, exact_blocks = 0, timeouts_ticks = 0,
                zombie_frames = 0, late_interims = 0, creates_ok = 0, reads_ok = 0, writes_ok = 0,
                lock_waits = 0, lock_waits_granted = 0, sessions_replaced = 0;
  void add(const SimStats& o);
  std::string summary() const;
};

struct SimResult {
  bool ok = true;
  std::string failure;     // what the first violated invariant said
  std::uint64_t step = 0;  // at which step (steps + 1: in the final checks)
  SimStats stats;
};

SimResult run_simulation(const SimOptions& options, Source& source);

/// The one-line command that replays `o` with the binary `argv0`.
std::string replay_command(const std::string& argv0, const SimOptions& o);

/// Silences the library's logging (once per process).
void quiet_logs();

}  // namespace smbsrv::sim
