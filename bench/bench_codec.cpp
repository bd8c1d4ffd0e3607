// Header decode and compound walking (BM_HeaderDecode, BM_CompoundWalk).
#include <benchmark/benchmark.h>

#include <vector>

#include "codec/messages.hpp"

namespace {

std::vector<std::uint8_t> message(smbsrv::codec::Command cmd, std::uint32_t next) {
  std::vector<std::uint8_t> buf;
  smbsrv::ByteWriter w(buf);
  smbsrv::codec::Header h;
  h.command = cmd;
  h.next_command = next;
  smbsrv::codec::encode_header(w, h);
  smbsrv::codec::encode_echo_response(w);
  w.align(8);
  return buf;
}

void BM_HeaderDecode(benchmark::State& state) {
  const auto msg = message(smbsrv::codec::Command::echo, 0);
  for (auto _ : state) benchmark::DoNotOptimize(smbsrv::codec::decode_header(msg));
}
BENCHMARK(BM_HeaderDecode);

void BM_CompoundWalk(benchmark::State& state) {
  std::vector<std::uint8_t> frame;
  for (int i = 0; i < 3; ++i) {
    auto m = message(smbsrv::codec::Command::echo, i < 2 ? 72 : 0);
    m.resize(72);
    frame.insert(frame.end(), m.begin(), m.end());
  }
  for (auto _ : state) benchmark::DoNotOptimize(smbsrv::codec::split_compound(frame));
}
BENCHMARK(BM_CompoundWalk);

}  // namespace
