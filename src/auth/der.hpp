// Minimal ASN.1 DER reader/writer for SPNEGO: single-byte tags, definite lengths (short and long
// form up to 4 length octets). Every length is checked against the remaining input by subtraction;
// indefinite lengths and high-tag-number forms are rejected. Values are views into the input.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace smbsrv::auth::der {

using Bytes = std::span<const std::uint8_t>;

// Tags used by SPNEGO.
constexpr std::uint8_t kInteger = 0x02;
constexpr std::uint8_t kBitString = 0x03;
constexpr std::uint8_t kOctetString = 0x04;
constexpr std::uint8_t kOid = 0x06;
constexpr std::uint8_t kEnumerated = 0x0A;
constexpr std::uint8_t kGeneralString = 0x1B;
constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kApplication0 = 0x60;
constexpr std::uint8_t context(unsigned n) { return static_cast<std::uint8_t>(0xA0 | n); }  // [n] constructed

struct Tlv {
  std::uint8_t tag = 0;
  Bytes value;    // the contents octets
  Bytes encoded;  // tag + length + contents, exactly as in the input
};

/// Reads one TLV from the front of `in`; `rest` receives what follows it. False when malformed
/// or truncated.
bool read(Bytes in, Tlv& out, Bytes& rest);

/// Reads one TLV that must occupy all of `in`.
bool read_exact(Bytes in, Tlv& out);

/// Iterates over the TLVs inside a constructed value.
class Reader {
 public:
  explicit Reader(Bytes contents) : rest_(contents) {}
  bool at_end() const { return rest_.empty(); }
  /// Next element; false at the end or on malformed input (check at_end() to tell them apart).
  bool next(Tlv& out) {
    if (rest_.empty()) return false;
    if (!read(rest_, out, rest_)) { failed_ = true; rest_ = {}; return false; }
    return true;
  }
  bool failed() const { return failed_; }

 private:
  Bytes rest_;
  bool failed_ = false;
};

/// Appends tag, length and the concatenated parts.
void write(std::vector<std::uint8_t>& out, std::uint8_t tag, std::initializer_list<Bytes> parts);
std::vector<std::uint8_t> tlv(std::uint8_t tag, std::initializer_list<Bytes> parts);

}  // namespace smbsrv::auth::der
