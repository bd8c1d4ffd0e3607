#include "crypto/evp.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>

namespace smbsrv::crypto::evp {
namespace {

Algorithms* create() {
  auto* a = new Algorithms();
  a->ctx = OSSL_LIB_CTX_new();
  if (a->ctx == nullptr) fatal("OSSL_LIB_CTX_new");
  // Both providers stay loaded for the life of the process (the context is never freed).
  if (OSSL_PROVIDER_load(a->ctx, "default") == nullptr) fatal("loading the OpenSSL default provider");
  (void)OSSL_PROVIDER_load(a->ctx, "legacy");  // MD4/RC4 only; checked where used
  ERR_clear_error();
  a->md4 = EVP_MD_fetch(a->ctx, "MD4", nullptr);
  a->rc4 = EVP_CIPHER_fetch(a->ctx, "RC4", nullptr);
  ERR_clear_error();
  a->md5 = EVP_MD_fetch(a->ctx, "MD5", nullptr);
  a->sha512 = EVP_MD_fetch(a->ctx, "SHA512", nullptr);
  a->aes128_ccm = EVP_CIPHER_fetch(a->ctx, "AES-128-CCM", nullptr);
  a->aes256_ccm = EVP_CIPHER_fetch(a->ctx, "AES-256-CCM", nullptr);
  a->aes128_gcm = EVP_CIPHER_fetch(a->ctx, "AES-128-GCM", nullptr);
  a->aes256_gcm = EVP_CIPHER_fetch(a->ctx, "AES-256-GCM", nullptr);
  a->hmac = EVP_MAC_fetch(a->ctx, "HMAC", nullptr);
  a->cmac = EVP_MAC_fetch(a->ctx, "CMAC", nullptr);
  a->gmac = EVP_MAC_fetch(a->ctx, "GMAC", nullptr);
  a->kbkdf = EVP_KDF_fetch(a->ctx, "KBKDF", nullptr);
  if (!a->md5 || !a->sha512 || !a->aes128_ccm || !a->aes256_ccm || !a->aes128_gcm ||
      !a->aes256_gcm || !a->hmac || !a->cmac || !a->gmac || !a->kbkdf) {
    fatal("fetching an OpenSSL algorithm from the default provider");
  }
  return a;
}

}  // namespace

const Algorithms& algorithms() {
  static const Algorithms* const a = create();
  return *a;
}

void fatal(const char* what) noexcept {
  std::fprintf(stderr, "smbsrv: fatal OpenSSL failure: %s\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

}  // namespace smbsrv::crypto::evp
