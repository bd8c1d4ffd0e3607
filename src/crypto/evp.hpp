// RAII wrappers for the OpenSSL objects used by src/crypto/*.cpp, and the private library context.
// Only src/crypto/ includes this header (and <openssl/*>).
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/provider.h>

#include <memory>

namespace smbsrv::crypto::evp {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept { Fn(p); }
};

using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<&EVP_MD_CTX_free>>;
using Md = std::unique_ptr<EVP_MD, Deleter<&EVP_MD_free>>;
using Mac = std::unique_ptr<EVP_MAC, Deleter<&EVP_MAC_free>>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, Deleter<&EVP_MAC_CTX_free>>;
using Cipher = std::unique_ptr<EVP_CIPHER, Deleter<&EVP_CIPHER_free>>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, Deleter<&EVP_CIPHER_CTX_free>>;
using Kdf = std::unique_ptr<EVP_KDF, Deleter<&EVP_KDF_free>>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, Deleter<&EVP_KDF_CTX_free>>;
using LibCtx = std::unique_ptr<OSSL_LIB_CTX, Deleter<&OSSL_LIB_CTX_free>>;

/// The algorithms this library uses, fetched once from a private OSSL_LIB_CTX into which the
/// "default" and "legacy" providers are loaded (the process-wide default context is never
/// touched). Created on first use (thread-safe static initialisation) and intentionally never
/// destroyed, so no destructor races OpenSSL's own atexit cleanup.
struct Algorithms {
  OSSL_LIB_CTX* ctx = nullptr;
  EVP_MD* md4 = nullptr;     // legacy provider; null when unavailable
  EVP_MD* md5 = nullptr;
  EVP_MD* sha512 = nullptr;
  EVP_CIPHER* rc4 = nullptr; // legacy provider; null when unavailable
  EVP_CIPHER* aes128_ccm = nullptr;
  EVP_CIPHER* aes256_ccm = nullptr;
  EVP_CIPHER* aes128_gcm = nullptr;
  EVP_CIPHER* aes256_gcm = nullptr;
  EVP_MAC* hmac = nullptr;
  EVP_MAC* cmac = nullptr;
  EVP_MAC* gmac = nullptr;
  EVP_KDF* kbkdf = nullptr;
};

const Algorithms& algorithms();

/// Writes a diagnostic and aborts: used when an operation with no error channel fails (a broken
/// OpenSSL installation), because returning a wrong hash or MAC could authenticate an attacker.
[[noreturn]] void fatal(const char* what) noexcept;

}  // namespace smbsrv::crypto::evp
