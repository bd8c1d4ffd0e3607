#include "crypto/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string_view>

#include "crypto/evp.hpp"

namespace smbsrv::crypto {
namespace {

using evp::algorithms;
using evp::fatal;

// OpenSSL wants a non-null pointer even for empty inputs in a few places.
const std::uint8_t kEmpty[1] = {0};
const unsigned char* ptr(Bytes b) { return b.empty() ? kEmpty : b.data(); }

template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md, std::initializer_list<Bytes> parts) {
  if (md == nullptr) fatal("digest algorithm unavailable (legacy provider not loaded?)");
  evp::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) fatal("EVP_DigestInit_ex2");
  for (Bytes p : parts) {
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) fatal("EVP_DigestUpdate");
  }
  std::array<std::uint8_t, N> out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != N) fatal("EVP_DigestFinal_ex");
  return out;
}

// One MAC computation over EVP_MAC. `params` must be terminated by OSSL_PARAM_construct_end().
// One EVP_MAC_CTX per algorithm and thread, re-initialised for every computation (EVP_MAC_init
// takes the new key and parameters), so that signing a message allocates nothing.
// `setup` names the algorithm parameters (cipher or digest): they are set only when they differ
// from the last computation in that context (setting them again fetches the cipher anew).
struct MacSlot {
  EVP_MAC* alg = nullptr;
  evp::MacCtx ctx;
  std::string_view setup;  // points to a string literal
};
MacSlot& reusable_mac_ctx(EVP_MAC* alg) {
  thread_local std::array<MacSlot, 4> slots;
  for (auto& s : slots) {
    if (s.alg == alg && s.ctx) return s;
    if (s.alg == nullptr) {
      s.ctx.reset(EVP_MAC_CTX_new(alg));
      if (!s.ctx) fatal("EVP_MAC_CTX_new");
      s.alg = alg;
      return s;
    }
  }
  fatal("reusable_mac_ctx: more MAC algorithms than slots");
}

/// `setup_params` (the cipher or digest, named `setup`) are applied when the context last used
/// other ones; `params` (a nonce) on every call. Both end with OSSL_PARAM_construct_end().
template <std::size_t N>
std::array<std::uint8_t, N> mac(EVP_MAC* alg, std::string_view setup, const OSSL_PARAM* setup_params,
                                Bytes key, const OSSL_PARAM* params, std::initializer_list<Bytes> parts) {
  MacSlot& slot = reusable_mac_ctx(alg);
  EVP_MAC_CTX* ctx = slot.ctx.get();
  if (slot.setup != setup) {
    slot.setup = {};
    if (EVP_MAC_CTX_set_params(ctx, setup_params) != 1) fatal("EVP_MAC_CTX_set_params");
    slot.setup = setup;
  }
  if (EVP_MAC_init(ctx, ptr(key), key.size(), params) != 1) fatal("EVP_MAC_init");
  for (Bytes p : parts) {
    if (!p.empty() && EVP_MAC_update(ctx, p.data(), p.size()) != 1) fatal("EVP_MAC_update");
  }
  std::array<std::uint8_t, N> out{};
  std::size_t len = 0;
  if (EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1 || len != N) fatal("EVP_MAC_final");
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> hmac(const char* md_name, Bytes key, std::initializer_list<Bytes> parts) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(md_name), 0),
      OSSL_PARAM_construct_end()};
  return mac<N>(algorithms().hmac, md_name, params, key, nullptr, parts);
}

const EVP_CIPHER* aead_cipher(Cipher c) {
  const auto& a = algorithms();
  switch (c) {
    case Cipher::aes128_ccm: return a.aes128_ccm;
    case Cipher::aes256_ccm: return a.aes256_ccm;
    case Cipher::aes128_gcm: return a.aes128_gcm;
    case Cipher::aes256_gcm: return a.aes256_gcm;
  }
  return nullptr;
}

bool is_ccm(Cipher c) { return c == Cipher::aes128_ccm || c == Cipher::aes256_ccm; }

// One EVP_CIPHER_CTX per direction and thread. When it last ran the same cipher, the next message
// only sets key and nonce (EVP_CipherInit_ex2 without a cipher keeps the provider context), so
// sealing or opening a message allocates nothing. After any failure the context is reset.
struct ReusableCipherCtx {
  evp::CipherCtx ctx{EVP_CIPHER_CTX_new()};
  std::optional<Cipher> cipher;  // what the context last ran
};

// Resets a reused cipher context unless `ok` was set: a failure leaves the context in an
// unknown state, so the next message starts afresh.
struct ResetUnlessOk {
  ReusableCipherCtx& r;
  bool ok = false;
  ~ResetUnlessOk() {
    if (!ok && r.ctx) {
      EVP_CIPHER_CTX_reset(r.ctx.get());
      r.cipher.reset();
    }
  }
};

ReusableCipherCtx& reusable_cipher_ctx(int enc) {
  thread_local ReusableCipherCtx ctxs[2];
  return ctxs[enc ? 1 : 0];
}

// Feeds `in` to EVP_CipherUpdate in int-sized chunks (GCM); `out` may equal `in`.
bool cipher_update(EVP_CIPHER_CTX* ctx, const std::uint8_t* in, std::uint8_t* out, std::size_t n) {
  while (n > 0) {
    const std::size_t chunk = std::min<std::size_t>(n, INT_MAX / 2);
    int outl = 0;
    if (EVP_CipherUpdate(ctx, out, &outl, in, static_cast<int>(chunk)) != 1) return false;
    if (static_cast<std::size_t>(outl) != chunk) return false;
    in += chunk;
    out += chunk;
    n -= chunk;
  }
  return true;
}

// Common setup of an AEAD context; for CCM the tag (decrypt) and total length are handled here.
bool aead_init(EVP_CIPHER_CTX* ctx, Cipher c, Bytes key, Bytes nonce, int enc, std::size_t data_len,
               const std::uint8_t* expected_tag, bool same_cipher = false) {
  const EVP_CIPHER* cipher = aead_cipher(c);
  if (cipher == nullptr || key.size() != key_length(c) || nonce.size() != nonce_length(c)) return false;
  if (!same_cipher && EVP_CipherInit_ex2(ctx, cipher, nullptr, nullptr, enc, nullptr) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1)
    return false;
  if (is_ccm(c)) {
    // CCM: the tag length (and, when decrypting, the expected tag) come before the key.
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16,
                            enc ? nullptr : const_cast<std::uint8_t*>(expected_tag)) != 1)
      return false;
  }
  if (EVP_CipherInit_ex2(ctx, nullptr, key.data(), nonce.data(), enc, nullptr) != 1) return false;
  if (is_ccm(c)) {
    if (data_len > INT_MAX) return false;
    int outl = 0;
    if (EVP_CipherUpdate(ctx, nullptr, &outl, nullptr, static_cast<int>(data_len)) != 1) return false;
  }
  return true;
}

bool aead_aad(EVP_CIPHER_CTX* ctx, Cipher c, Bytes aad) {
  if (aad.empty()) return true;
  if (is_ccm(c)) {  // CCM takes the AAD in a single call
    if (aad.size() > INT_MAX) return false;
    int outl = 0;
    return EVP_CipherUpdate(ctx, nullptr, &outl, aad.data(), static_cast<int>(aad.size())) == 1;
  }
  std::size_t n = aad.size();
  const std::uint8_t* p = aad.data();
  while (n > 0) {
    const std::size_t chunk = std::min<std::size_t>(n, INT_MAX / 2);
    int outl = 0;
    if (EVP_CipherUpdate(ctx, nullptr, &outl, p, static_cast<int>(chunk)) != 1) return false;
    p += chunk;
    n -= chunk;
  }
  return true;
}

}  // namespace

bool legacy_available() { return algorithms().md4 != nullptr && algorithms().rc4 != nullptr; }

Digest16 md4(Bytes data) { return digest<16>(algorithms().md4, {data}); }
Digest16 md5(Bytes data) { return digest<16>(algorithms().md5, {data}); }
Digest64 sha512(std::initializer_list<Bytes> parts) { return digest<64>(algorithms().sha512, parts); }

Digest16 hmac_md5(Bytes key, std::initializer_list<Bytes> parts) { return hmac<16>("MD5", key, parts); }
Digest32 hmac_sha256(Bytes key, std::initializer_list<Bytes> parts) {
  return hmac<32>("SHA256", key, parts);
}

Digest16 aes_cmac(Bytes key, std::initializer_list<Bytes> parts) {
  if (key.size() != 16) fatal("aes_cmac: key must be 16 bytes");
  static const char kCipher[] = "AES-128-CBC";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, const_cast<char*>(kCipher), 0),
                         OSSL_PARAM_construct_end()};
  return mac<16>(algorithms().cmac, kCipher, params, key, nullptr, parts);
}

Digest16 aes_gmac(Bytes key, Bytes nonce12, std::initializer_list<Bytes> parts) {
  if (key.size() != 16 || nonce12.size() != 12) fatal("aes_gmac: key must be 16 bytes, nonce 12");
  static const char kCipher[] = "AES-128-GCM";
  OSSL_PARAM setup[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, const_cast<char*>(kCipher), 0),
                        OSSL_PARAM_construct_end()};
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_IV, const_cast<std::uint8_t*>(nonce12.data()),
                                        nonce12.size()),
      OSSL_PARAM_construct_end()};
  return mac<16>(algorithms().gmac, kCipher, setup, key, params, parts);
}

void rc4(Bytes key, Bytes in, std::span<std::uint8_t> out) {
  const EVP_CIPHER* cipher = algorithms().rc4;
  if (cipher == nullptr) fatal("RC4 unavailable (legacy provider not loaded)");
  if (out.size() != in.size() || key.empty() || key.size() > 256) fatal("rc4: bad arguments");
  evp::CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_key_length(ctx.get(), static_cast<int>(key.size())) != 1 ||
      EVP_EncryptInit_ex2(ctx.get(), nullptr, key.data(), nullptr, nullptr) != 1) {
    fatal("RC4 init");
  }
  if (!in.empty() && !cipher_update(ctx.get(), in.data(), out.data(), in.size())) fatal("RC4 update");
}

std::vector<std::uint8_t> kdf_sp800_108(Bytes key, Bytes label, Bytes context, std::size_t out_len) {
  std::vector<std::uint8_t> out(out_len);
  if (out_len == 0) return out;
  evp::KdfCtx ctx(EVP_KDF_CTX_new(algorithms().kbkdf));
  if (!ctx) fatal("EVP_KDF_CTX_new");
  char mode[] = "counter";
  char macname[] = "HMAC";
  char md[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, mode, 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, macname, 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(ptr(key)), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(ptr(label)), label.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<unsigned char*>(ptr(context)), context.size()),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) fatal("EVP_KDF_derive (KBKDF)");
  return out;
}

bool equal_ct(Bytes a, Bytes b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void random_bytes(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const std::size_t chunk = std::min<std::size_t>(out.size(), 1u << 20);
    if (RAND_bytes_ex(algorithms().ctx, out.data(), chunk, 0) != 1) fatal("RAND_bytes_ex");
    out = out.subspan(chunk);
  }
}

// ---- SMB2 signing ----

Digest16 smb2_signature(SigningAlgorithm alg, Bytes key, Bytes message) {
  Digest16 sig{};
  if (message.size() < 64) return sig;
  static constexpr std::uint8_t kZero16[16] = {};
  const Bytes head = message.first(48);
  const Bytes zero(kZero16, 16);
  const Bytes tail = message.subspan(64);
  switch (alg) {
    case SigningAlgorithm::hmac_sha256: {
      const Digest32 full = hmac_sha256(key, {head, zero, tail});
      std::memcpy(sig.data(), full.data(), 16);
      return sig;
    }
    case SigningAlgorithm::aes_cmac:
      if (key.size() != 16) return sig;
      return aes_cmac(key, {head, zero, tail});
    case SigningAlgorithm::aes_gmac: {
      if (key.size() != 16) return sig;
      std::uint8_t nonce[12] = {};
      std::memcpy(nonce, message.data() + 24, 8);  // MessageId, little-endian as on the wire
      const std::uint32_t flags = static_cast<std::uint32_t>(message[16]) |
                                  (static_cast<std::uint32_t>(message[17]) << 8) |
                                  (static_cast<std::uint32_t>(message[18]) << 16) |
                                  (static_cast<std::uint32_t>(message[19]) << 24);
      const std::uint16_t command = static_cast<std::uint16_t>(message[12] | (message[13] << 8));
      std::uint32_t role = 0;
      if (flags & 0x1u) role |= 0x1u;        // SMB2_FLAGS_SERVER_TO_REDIR
      if (command == 0x000C) role |= 0x2u;   // SMB2 CANCEL
      nonce[8] = static_cast<std::uint8_t>(role);
      nonce[9] = static_cast<std::uint8_t>(role >> 8);
      nonce[10] = static_cast<std::uint8_t>(role >> 16);
      nonce[11] = static_cast<std::uint8_t>(role >> 24);
      return aes_gmac(key, Bytes(nonce, 12), {head, zero, tail});
    }
  }
  return sig;
}

void smb2_sign(SigningAlgorithm alg, Bytes key, std::span<std::uint8_t> message) {
  if (message.size() < 64) return;
  const Digest16 sig = smb2_signature(alg, key, message);
  std::memcpy(message.data() + 48, sig.data(), sig.size());
}

bool smb2_verify(SigningAlgorithm alg, Bytes key, Bytes message) {
  if (message.size() < 64) return false;
  if ((alg == SigningAlgorithm::aes_cmac || alg == SigningAlgorithm::aes_gmac) && key.size() != 16)
    return false;
  const Digest16 sig = smb2_signature(alg, key, message);
  return equal_ct(sig, message.subspan(48, 16));
}

// ---- AEAD ----

bool aead_encrypt(Cipher c, Bytes key, Bytes nonce, Bytes aad, Bytes in, std::span<std::uint8_t> out,
                  std::span<std::uint8_t, 16> tag) {
  if (out.size() != in.size()) return false;
  auto& r = reusable_cipher_ctx(1);
  ResetUnlessOk guard{r};
  auto& ctx = r.ctx;
  if (!ctx || !aead_init(ctx.get(), c, key, nonce, 1, in.size(), nullptr, r.cipher == c)) return false;
  r.cipher = c;
  if (!aead_aad(ctx.get(), c, aad)) return false;
  if (is_ccm(c)) {
    // CCM computes the tag in its single data update, which must happen even for no data.
    int outl = 0;
    std::uint8_t dummy[1];
    std::uint8_t* o = out.empty() ? dummy : out.data();
    const std::uint8_t* i = in.empty() ? kEmpty : in.data();
    if (EVP_EncryptUpdate(ctx.get(), o, &outl, i, static_cast<int>(in.size())) != 1) return false;
  } else if (!cipher_update(ctx.get(), in.data(), out.data(), in.size())) {
    return false;
  }
  std::uint8_t fin[32];
  int finl = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), fin, &finl) != 1 || finl != 0) return false;
  guard.ok = EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag.data()) == 1;
  return guard.ok;
}

bool aead_encrypt(Cipher c, Bytes key, Bytes nonce, Bytes aad, std::span<std::uint8_t> data,
                  std::span<std::uint8_t, 16> tag) {
  return aead_encrypt(c, key, nonce, aad, Bytes(data.data(), data.size()), data, tag);
}

bool aead_decrypt(Cipher c, Bytes key, Bytes nonce, Bytes aad, Bytes in, std::span<std::uint8_t> out,
                  std::span<const std::uint8_t, 16> tag) {
  if (out.size() != in.size()) return false;
  auto& r = reusable_cipher_ctx(0);
  ResetUnlessOk guard{r};
  auto& ctx = r.ctx;
  if (!ctx || !aead_init(ctx.get(), c, key, nonce, 0, in.size(), tag.data(), r.cipher == c)) return false;
  r.cipher = c;
  if (!aead_aad(ctx.get(), c, aad)) return false;
  if (is_ccm(c)) {
    // CCM verifies the tag inside this (single) update; there is no meaningful Final.
    int outl = 0;
    std::uint8_t dummy[1];
    std::uint8_t* o = out.empty() ? dummy : out.data();
    const std::uint8_t* i = in.empty() ? kEmpty : in.data();
    guard.ok = EVP_DecryptUpdate(ctx.get(), o, &outl, i, static_cast<int>(in.size())) == 1;
    return guard.ok;
  }
  if (!cipher_update(ctx.get(), in.data(), out.data(), in.size())) return false;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16, const_cast<std::uint8_t*>(tag.data())) != 1)
    return false;
  std::uint8_t fin[32];
  int finl = 0;
  guard.ok = EVP_DecryptFinal_ex(ctx.get(), fin, &finl) == 1;
  return guard.ok;
}

bool aead_decrypt(Cipher c, Bytes key, Bytes nonce, Bytes aad, std::span<std::uint8_t> data,
                  std::span<const std::uint8_t, 16> tag) {
  return aead_decrypt(c, key, nonce, aad, Bytes(data.data(), data.size()), data, tag);
}

}  // namespace smbsrv::crypto
