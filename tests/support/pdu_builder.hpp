// Test support: builds SMB2 messages (64-byte header + body) by hand, byte by byte, so decoder
// tests do not depend on the encoders under test for their bodies.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "codec/messages.hpp"
#include "util/utf16.hpp"

namespace smbsrv::test {

class Pdu {
 public:
  explicit Pdu(codec::Command cmd) {
    const std::uint8_t proto[4] = {0xFE, 'S', 'M', 'B'};
    for (auto b : proto) u8(b);
    u16(64);       // StructureSize
    u16(1);        // CreditCharge
    u32(0);        // ChannelSequence/Reserved
    u16(static_cast<std::uint16_t>(cmd));
    u16(1);        // CreditRequest
    u32(0);        // Flags
    u32(0);        // NextCommand
    u64(7);        // MessageId
    u32(0);        // Reserved
    u32(3);        // TreeId
    u64(0x1122);   // SessionId
    zeros(16);     // Signature
  }
  Pdu& u8(std::uint8_t v) { buf_.push_back(v); return *this; }
  Pdu& u16(std::uint16_t v) { return le(v, 2); }
  Pdu& u32(std::uint32_t v) { return le(v, 4); }
  Pdu& u64(std::uint64_t v) { return le(v, 8); }
  Pdu& zeros(std::size_t n) { buf_.insert(buf_.end(), n, 0); return *this; }
  Pdu& bytes(std::span<const std::uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); return *this; }
  Pdu& utf16(std::string_view s) { return bytes(to_utf16le(s)); }
  Pdu& align(std::size_t a) { while (buf_.size() % a) buf_.push_back(0); return *this; }
  /// Absolute offset from the header start of the next byte to be appended.
  std::size_t pos() const { return buf_.size(); }
  void put_u16(std::size_t at, std::uint16_t v) { put(at, v, 2); }
  void put_u32(std::size_t at, std::uint32_t v) { put(at, v, 4); }
  std::vector<std::uint8_t>& data() { return buf_; }
  Bytes view() const { return buf_; }

 private:
  Pdu& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  void put(std::size_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_.at(at + static_cast<std::size_t>(i)) = static_cast<std::uint8_t>(v >> (8 * i));
  }
  std::vector<std::uint8_t> buf_;
};

inline std::uint16_t rd16(const std::vector<std::uint8_t>& b, std::size_t at) {
  return static_cast<std::uint16_t>(b.at(at) | (b.at(at + 1) << 8));
}
inline std::uint32_t rd32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return static_cast<std::uint32_t>(rd16(b, at)) | (static_cast<std::uint32_t>(rd16(b, at + 2)) << 16);
}
inline std::uint64_t rd64(const std::vector<std::uint8_t>& b, std::size_t at) {
  return static_cast<std::uint64_t>(rd32(b, at)) | (static_cast<std::uint64_t>(rd32(b, at + 4)) << 32);
}

/// Every prefix of `msg` shorter than `valid_from` (default: the whole message) must fail with
/// `expected`. Each prefix is copied into its own exactly-sized buffer so sanitizers see overreads.
template <class Decode>
void expect_truncations_fail(const std::vector<std::uint8_t>& msg, Decode decode,
                             std::size_t valid_from = static_cast<std::size_t>(-1),
                             NtStatus expected = NtStatus::invalid_parameter) {
  if (valid_from > msg.size()) valid_from = msg.size();
  for (std::size_t n = 0; n < valid_from; ++n) {
    const std::vector<std::uint8_t> prefix(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = decode(Bytes(prefix));
    ASSERT_FALSE(r.ok()) << "prefix length " << n;
    ASSERT_EQ(r.status(), expected) << "prefix length " << n;
  }
}

template <class R>
void expect_invalid(const R& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
}

}  // namespace smbsrv::test
