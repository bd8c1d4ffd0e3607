#include "engine/encryption.hpp"

#include <algorithm>

#include "util/byte_writer.hpp"

namespace smbsrv::engine {

Nonce16 encryption_nonce(crypto::Cipher cipher, std::uint64_t counter, std::span<const std::uint8_t, 4> salt) {
  Nonce16 n{};
  for (std::size_t i = 0; i < 8; ++i) n[i] = static_cast<std::uint8_t>(counter >> (8 * i));
  const std::size_t len = crypto::nonce_length(cipher);  // 11 (CCM) or 12 (GCM)
  for (std::size_t i = 8; i < len; ++i) n[i] = salt[i - 8];
  return n;
}

std::optional<std::uint64_t> next_nonce_counter(std::atomic<std::uint64_t>& counter) {
  std::uint64_t cur = counter.load(std::memory_order_relaxed);
  do {
    if (cur == ~std::uint64_t{0}) return std::nullopt;  // exhausted: never wrap
  } while (!counter.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
  return cur;
}

bool seal_message_into(crypto::Cipher cipher, std::span<const std::uint8_t> key, std::uint64_t session_id,
                       const Nonce16& nonce, std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) {
  codec::TransformHeader t;
  t.nonce = nonce;
  t.original_message_size = static_cast<std::uint32_t>(plain.size());
  t.flags = 0x0001;  // Encrypted (3.1.1) / EncryptionAlgorithm AES-128-CCM (3.0, 3.0.2)
  t.session_id = session_id;
  out.resize(codec::kTransformHeaderSize + plain.size());
  // The 52-byte header is encoded in a small buffer and copied in: out's bytes are not
  // initialised, and ByteWriter only appends.
  thread_local std::vector<std::uint8_t> hdr;
  hdr.clear();
  ByteWriter w(hdr);
  codec::encode_transform_header(w, t);
  std::copy(hdr.begin(), hdr.end(), out.begin());
  std::span<std::uint8_t> data(out.data() + codec::kTransformHeaderSize, plain.size());
  std::array<std::uint8_t, 16> tag{};
  const std::span<const std::uint8_t> aad(out.data() + 20, codec::kTransformHeaderSize - 20);
  if (!crypto::aead_encrypt(cipher, key, std::span<const std::uint8_t>(nonce.data(), crypto::nonce_length(cipher)),
                            aad, plain, data, tag))
    return false;
  std::copy(tag.begin(), tag.end(), out.begin() + 4);
  return true;
}

std::optional<std::vector<std::uint8_t>> seal_message(crypto::Cipher cipher, std::span<const std::uint8_t> key,
                                                      std::uint64_t session_id, const Nonce16& nonce,
                                                      std::span<const std::uint8_t> plain) {
  std::vector<std::uint8_t> out;
  if (!seal_message_into(cipher, key, session_id, nonce, plain, out)) return std::nullopt;
  return out;
}

bool open_message_into(crypto::Cipher cipher, std::span<const std::uint8_t> key, const codec::TransformHeader& t,
                       std::span<const std::uint8_t> frame, std::vector<std::uint8_t>& plain) {
  if (frame.size() < codec::kTransformHeaderSize) return false;
  const auto in = frame.subspan(codec::kTransformHeaderSize);
  plain.resize(in.size());
  const auto aad = frame.subspan(20, codec::kTransformHeaderSize - 20);
  const std::span<const std::uint8_t> nonce(t.nonce.data(), crypto::nonce_length(cipher));
  return crypto::aead_decrypt(cipher, key, nonce, aad, in, plain, std::span<const std::uint8_t, 16>(t.signature));
}

std::optional<std::vector<std::uint8_t>> open_message(crypto::Cipher cipher, std::span<const std::uint8_t> key,
                                                      const codec::TransformHeader& t,
                                                      std::span<const std::uint8_t> frame) {
  std::vector<std::uint8_t> plain;
  if (!open_message_into(cipher, key, t, frame, plain)) return std::nullopt;
  return plain;
}

}  // namespace smbsrv::engine
