// Signing throughput by algorithm and message size (BM_Sign_<alg>/<bytes>) and AEAD encryption
// throughput by cipher and payload size (BM_Encrypt_<cipher>/<bytes>).
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

using smbsrv::crypto::Cipher;

// In-place seal of one payload, as Connection::encrypt does for a response: the AAD is the
// 32 bytes of the transform header after the signature; the nonce changes every message.
void encrypt(benchmark::State& state, Cipher c) {
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0x5A);
  const std::vector<std::uint8_t> key(smbsrv::crypto::key_length(c), 0x22);
  std::vector<std::uint8_t> aad(32, 0x33);
  std::uint8_t nonce[16] = {};
  std::uint8_t tag[16] = {};
  std::uint64_t n = 0;
  for (auto _ : state) {
    for (int i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(n >> (8 * i));
    ++n;
    if (!smbsrv::crypto::aead_encrypt(c, key, {nonce, smbsrv::crypto::nonce_length(c)}, aad, data,
                                      std::span<std::uint8_t, 16>(tag))) {
      state.SkipWithError("aead_encrypt failed");
      break;
    }
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(tag);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Encrypt_Aes128Ccm(benchmark::State& s) { encrypt(s, Cipher::aes128_ccm); }
void BM_Encrypt_Aes128Gcm(benchmark::State& s) { encrypt(s, Cipher::aes128_gcm); }
void BM_Encrypt_Aes256Ccm(benchmark::State& s) { encrypt(s, Cipher::aes256_ccm); }
void BM_Encrypt_Aes256Gcm(benchmark::State& s) { encrypt(s, Cipher::aes256_gcm); }
BENCHMARK(BM_Encrypt_Aes128Ccm)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_Encrypt_Aes128Gcm)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_Encrypt_Aes256Ccm)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_Encrypt_Aes256Gcm)->Arg(4096)->Arg(65536)->Arg(1 << 20);

}  // namespace
