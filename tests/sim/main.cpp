// smbsrv_sim: runs the deterministic simulation (sim.hpp) for one seed or a range of seeds.
//
//   smbsrv_sim --seed 12345 --clients 8 --steps 400 [--trace]
//   smbsrv_sim --seeds 1..2000 [--clients 8] [--steps 400] [--quarantine tests/sim/quarantine.txt]
//   smbsrv_sim --seed-list 3,17,42
//
// Every failing seed prints what failed and, on the next line, the command that replays it.
// --quarantine names a file of "seed reason..." lines (# comments): those seeds are skipped
// (and listed) so a known engine bug does not hide new ones. Exit status 1 when a seed failed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sim/sim.hpp"

using namespace smbsrv::sim;

namespace {

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s (--seed N | --seeds A..B | --seed-list A,B,...) [--clients N] [--steps N] [--trace]\n"
               "          [--blocking-locks]\n"
               "          [--quarantine FILE] [--stats] [--stop-after N]\n",
               argv0);
  return 2;
}

bool parse_u64(const std::string& s, std::uint64_t& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtoull(s.c_str(), &end, 10);
  return end && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  quiet_logs();
  SimOptions base;
  std::vector<std::uint64_t> seeds;
  std::map<std::uint64_t, std::string> quarantine;
  bool stats = false;
  std::uint64_t stop_after = 20;  // failing seeds reported before giving up
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    std::uint64_t v = 0;
    if (a == "--seed") {
      if (!parse_u64(value(), v)) return usage(argv[0]);
      seeds.push_back(v);
    } else if (a == "--seeds") {
      const std::string r = value();
      const auto dots = r.find("..");
      std::uint64_t lo = 0, hi = 0;
      if (dots == std::string::npos || !parse_u64(r.substr(0, dots), lo) || !parse_u64(r.substr(dots + 2), hi) || hi < lo)
        return usage(argv[0]);
      for (std::uint64_t s = lo; s <= hi; ++s) seeds.push_back(s);
    } else if (a == "--seed-list") {
      std::stringstream ss(value());
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (!parse_u64(item, v)) return usage(argv[0]);
        seeds.push_back(v);
      }
    } else if (a == "--clients") {
      if (!parse_u64(value(), v) || v < 1 || v > 64) return usage(argv[0]);
      base.clients = static_cast<int>(v);
    } else if (a == "--steps") {
      if (!parse_u64(value(), v) || v > 10'000'000) return usage(argv[0]);
      base.steps = static_cast<int>(v);
    } else if (a == "--blocking-locks") {
      base.blocking_locks = true;
    } else if (a == "--trace") {
      base.trace = true;
    } else if (a == "--stats") {
      stats = true;
    } else if (a == "--stop-after") {
      if (!parse_u64(value(), stop_after)) return usage(argv[0]);
    } else if (a == "--quarantine") {
      const std::string path = value();
      std::ifstream in(path);
      if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        return 2;
      }
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::stringstream ls(line);
        std::string seed;
        ls >> seed;
        std::string reason;
        std::getline(ls, reason);
        if (parse_u64(seed, v)) quarantine[v] = reason;
      }
    } else {
      return usage(argv[0]);
    }
  }
  if (seeds.empty()) return usage(argv[0]);

  const auto t0 = std::chrono::steady_clock::now();
  SimStats total;
  std::uint64_t failed = 0, ran = 0, skipped = 0;
  for (std::uint64_t seed : seeds) {
    if (seeds.size() > 1 && quarantine.count(seed)) {
      ++skipped;
      std::printf("sim: seed %llu quarantined:%s\n", static_cast<unsigned long long>(seed), quarantine[seed].c_str());
      continue;
    }
    SimOptions o = base;
    o.seed = seed;
    SeededSource src(seed);
    const SimResult r = run_simulation(o, src);
    ++ran;
    total.add(r.stats);
    if (!r.ok) {
      ++failed;
      std::printf("sim: seed %llu FAILED at step %llu: %s\n%s\n", static_cast<unsigned long long>(seed),
                  static_cast<unsigned long long>(r.step), r.failure.c_str(), replay_command(argv[0], o).c_str());
      std::fflush(stdout);
      if (failed >= stop_after) {
        std::printf("sim: stopping after %llu failing seeds\n", static_cast<unsigned long long>(failed));
        break;
      }
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("sim: %llu seeds, %llu failed, %llu quarantined, %.1f s (%d clients, %d steps)\n",
              static_cast<unsigned long long>(ran), static_cast<unsigned long long>(failed),
              static_cast<unsigned long long>(skipped), secs, base.clients, base.steps);
  if (stats || seeds.size() == 1) std::printf("sim: %s\n", total.summary().c_str());
  return failed ? 1 : 0;
}
