// SMB 3.x message encryption (MS-SMB2 3.1.4.3 sending, 3.3.5.2.1.1 receiving): the nonce
// schedule and the transform-header framing, kept apart from Connection so that the exact bytes
// can be pinned against Microsoft's published examples (tests/unit/crypto).
//
// Nonce uniqueness. AES-CCM and AES-GCM lose confidentiality and integrity if one (key, nonce)
// pair ever protects two messages. The server encrypts only with Session.EncryptionKey, which is
// derived per session (3.3.5.5.3) and used for nothing but server-to-client messages (the client
// encrypts under the different DecryptionKey). Each Session owns a 64-bit counter that
// encrypt_message() advances atomically (fetch_add) for every message it seals; the counter is
// the first 8 bytes of the nonce, so two messages of one session can only share a nonce after
// 2^64 messages, and the counter refuses to wrap (the connection is dropped instead). The rest of
// the CCM (11-byte) / GCM (12-byte) nonce is a random per-session salt; uniqueness rests on the
// counter alone, the salt guarantees nothing.
// Reauthentication keeps the keys and the counter (3.3.5.5.3). Bytes past the cipher's nonce
// length are zero (2.2.41: SHOULD for CCM, MUST for GCM).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "codec/messages.hpp"
#include "crypto/crypto.hpp"

namespace smbsrv::engine {

using Nonce16 = std::array<std::uint8_t, 16>;

/// The Nonce field for the message numbered `counter`: counter (little-endian, 8 bytes), then
/// salt bytes up to the cipher's nonce length, then zeros.
Nonce16 encryption_nonce(crypto::Cipher cipher, std::uint64_t counter, std::span<const std::uint8_t, 4> salt);

/// Takes the next value of a session's nonce counter; nullopt once it is exhausted (never
/// wraps around to a value already used).
std::optional<std::uint64_t> next_nonce_counter(std::atomic<std::uint64_t>& counter);

/// Transform header (OriginalMessageSize, Flags 0x0001, SessionId, the given Nonce) followed by
/// `plain` encrypted under `key`; the AEAD's additional data is the header from the Nonce on
/// (bytes 20..51), its tag becomes the Signature. nullopt on a crypto failure.
std::optional<std::vector<std::uint8_t>> seal_message(crypto::Cipher cipher, std::span<const std::uint8_t> key,
                                                      std::uint64_t session_id, const Nonce16& nonce,
                                                      std::span<const std::uint8_t> plain);

/// seal_message() into `out` (resized to 52 + plain.size(); a pooled buffer allocates nothing):
/// the plaintext is read once and the ciphertext written straight into the frame.
bool seal_message_into(crypto::Cipher cipher, std::span<const std::uint8_t> key, std::uint64_t session_id,
                       const Nonce16& nonce, std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out);

/// open_message() into `plain` (resized to the payload size), in one pass over the ciphertext.
bool open_message_into(crypto::Cipher cipher, std::span<const std::uint8_t> key, const codec::TransformHeader& t,
                       std::span<const std::uint8_t> frame, std::vector<std::uint8_t>& plain);

/// Opens a transformed frame (its header already decoded as `t`); nullopt when the tag does
/// not verify.
std::optional<std::vector<std::uint8_t>> open_message(crypto::Cipher cipher, std::span<const std::uint8_t> key,
                                                      const codec::TransformHeader& t,
                                                      std::span<const std::uint8_t> frame);

}  // namespace smbsrv::engine
