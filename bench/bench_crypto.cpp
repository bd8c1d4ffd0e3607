// Signing throughput by algorithm and message size (BM_Sign_<alg>/<bytes>).
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/crypto.hpp"

namespace {

using smbsrv::crypto::SigningAlgorithm;

void sign(benchmark::State& state, SigningAlgorithm alg) {
  std::vector<std::uint8_t> msg(static_cast<std::size_t>(state.range(0)) + 64, 0x5A);
  msg[0] = 0xFE;
  const std::vector<std::uint8_t> key(16, 0x11);
  for (auto _ : state) {
    smbsrv::crypto::smb2_sign(alg, key, msg);
    benchmark::DoNotOptimize(msg.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Sign_HmacSha256(benchmark::State& s) { sign(s, SigningAlgorithm::hmac_sha256); }
void BM_Sign_Cmac(benchmark::State& s) { sign(s, SigningAlgorithm::aes_cmac); }
void BM_Sign_Gmac(benchmark::State& s) { sign(s, SigningAlgorithm::aes_gmac); }
BENCHMARK(BM_Sign_HmacSha256)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_Sign_Cmac)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_Sign_Gmac)->Arg(4096)->Arg(65536)->Arg(1 << 20);

}  // namespace
