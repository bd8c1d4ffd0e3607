// The only interface to cryptography. Everything here is implemented over OpenSSL 3 EVP in
// src/crypto/*.cpp; no other folder includes <openssl/*>. Types are plain spans and arrays.
// MD4 and RC4 (NTLM only) come from the "legacy" provider loaded into a private OSSL_LIB_CTX, so
// the host application's OpenSSL configuration is never touched.
#pragma once

#include "smbsrv/server.hpp"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace smbsrv::crypto {

using Bytes = std::span<const std::uint8_t>;
using Digest16 = std::array<std::uint8_t, 16>;
using Digest32 = std::array<std::uint8_t, 32>;
using Digest64 = std::array<std::uint8_t, 64>;

// ---- hashes and MACs (parts are concatenated) ----
Digest16 md4(Bytes data);
Digest16 md5(Bytes data);
Digest16 hmac_md5(Bytes key, std::initializer_list<Bytes> parts);
Digest32 hmac_sha256(Bytes key, std::initializer_list<Bytes> parts);
Digest16 aes_cmac(Bytes key, std::initializer_list<Bytes> parts);  // AES-128-CMAC (16-byte key)
Digest16 aes_gmac(Bytes key, Bytes nonce12, std::initializer_list<Bytes> parts);  // AES-128-GMAC
Digest64 sha512(std::initializer_list<Bytes> parts);

/// RC4 with a 16-byte key (NTLM KEY_EXCH). out.size() must equal in.size().
void rc4(Bytes key, Bytes in, std::span<std::uint8_t> out);

/// SP800-108 counter-mode KDF with HMAC-SHA256, r=32, L=out_len*8 (MS-SMB2 3.1.4.2).
/// `label` and `context` are passed exactly as given (SMB labels include their trailing NUL).
std::vector<std::uint8_t> kdf_sp800_108(Bytes key, Bytes label, Bytes context, std::size_t out_len);

/// Constant-time equality (CRYPTO_memcmp); false when sizes differ.
bool equal_ct(Bytes a, Bytes b);

/// Cryptographically secure random bytes. Aborts if the RNG fails.
void random_bytes(std::span<std::uint8_t> out);

/// True when MD4 and RC4 (OpenSSL "legacy" provider) are available. md4()/rc4() abort otherwise,
/// since a wrong NT hash must never be returned.
bool legacy_available();

// ---- SMB2 message signing (MS-SMB2 3.1.4.1) ----
enum class SigningAlgorithm : std::uint16_t {  // wire ids of SMB2_SIGNING_CAPABILITIES
  hmac_sha256 = 0, aes_cmac = 1, aes_gmac = 2
};

/// The signature of one SMB2 message (header + body, as sent). The Signature field (bytes
/// 48..63) is treated as zero whatever it holds. For GMAC the nonce is MessageId (bytes 24..31)
/// followed by 4 bytes whose bit 0 is SMB2_FLAGS_SERVER_TO_REDIR and bit 1 is "command is
/// CANCEL", both read from the message. `message.size()` must be ≥ 64.
Digest16 smb2_signature(SigningAlgorithm alg, Bytes key, Bytes message);

/// Computes and writes the signature into bytes 48..63 of `message` (which must already carry
/// the SMB2_FLAGS_SIGNED flag).
void smb2_sign(SigningAlgorithm alg, Bytes key, std::span<std::uint8_t> message);

/// Constant-time check of the signature in bytes 48..63.
bool smb2_verify(SigningAlgorithm alg, Bytes key, Bytes message);

// ---- SMB3 encryption (MS-SMB2 3.1.4.3) ----
using Cipher = smbsrv::Cipher;  // the one cipher enum (public: ServerConfig::cipher_preference)
constexpr std::size_t key_length(Cipher c) { return (c == Cipher::aes256_ccm || c == Cipher::aes256_gcm) ? 32 : 16; }
/// CCM uses an 11-byte nonce, GCM a 12-byte one (the rest of the 16-byte Nonce field is zero).
constexpr std::size_t nonce_length(Cipher c) { return (c == Cipher::aes128_ccm || c == Cipher::aes256_ccm) ? 11 : 12; }

/// AEAD seal in place: `data` is encrypted, the 16-byte tag written to `tag`.
/// Returns false on an OpenSSL failure.
bool aead_encrypt(Cipher c, Bytes key, Bytes nonce, Bytes aad, std::span<std::uint8_t> data,
                  std::span<std::uint8_t, 16> tag);
/// AEAD open in place; false when the tag does not verify (data is then unspecified).
bool aead_decrypt(Cipher c, Bytes key, Bytes nonce, Bytes aad, std::span<std::uint8_t> data,
                  std::span<const std::uint8_t, 16> tag);
/// The same from `in` to `out` (equal sizes; they may be the same bytes, but must not partly
/// overlap): one pass over the data instead of a copy followed by an in-place pass.
bool aead_encrypt(Cipher c, Bytes key, Bytes nonce, Bytes aad, Bytes in, std::span<std::uint8_t> out,
                  std::span<std::uint8_t, 16> tag);
bool aead_decrypt(Cipher c, Bytes key, Bytes nonce, Bytes aad, Bytes in, std::span<std::uint8_t> out,
                  std::span<const std::uint8_t, 16> tag);

}  // namespace smbsrv::crypto
