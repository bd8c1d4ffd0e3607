// Bounds-checked little-endian reader. The only way the codec reads the wire: every read checks
// the remaining length by subtraction, and a failed read leaves the reader "failed" so a decoder
// can read a whole fixed structure and test once (like a stream's failbit).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

namespace smbsrv {

using Bytes = std::span<const std::uint8_t>;

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(Bytes data) : data_(data) {}

  bool ok() const noexcept { return ok_; }
  std::size_t pos() const noexcept { return pos_; }
  std::size_t size() const noexcept { return data_.size(); }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  Bytes data() const noexcept { return data_; }
  Bytes rest() const noexcept { return data_.subspan(pos_); }

  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }

  void skip(std::size_t n) {
    if (!ok_ || remaining() < n) { fail(); return; }
    pos_ += n;
  }
  void seek(std::size_t p) {
    if (!ok_ || p > data_.size()) { fail(); return; }
    pos_ = p;
  }
  Bytes bytes(std::size_t n) {
    if (!ok_ || remaining() < n) { fail(); return {}; }
    Bytes r = data_.subspan(pos_, n);
    pos_ += n;
    return r;
  }
  template <std::size_t N>
  void copy_to(std::uint8_t (&out)[N]) {
    Bytes b = bytes(N);
    if (ok_) std::memcpy(out, b.data(), N);
  }
  void fail() noexcept { ok_ = false; pos_ = data_.size(); }

 private:
  std::uint64_t le(std::size_t n) {
    if (!ok_ || remaining() < n) { fail(); return 0; }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{data_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }

  Bytes data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

/// The span [offset, offset+length) of `whole`, or nullopt-like empty + false when it does not fit.
/// SMB2 buffer offsets count from the start of the SMB2 header (MS-SMB2 2.2): `whole` is the
/// message starting at its header. Checks by subtraction, so no sum can overflow.
inline bool slice(Bytes whole, std::uint64_t offset, std::uint64_t length, Bytes& out) {
  if (offset > whole.size() || length > whole.size() - offset) return false;
  out = whole.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
  return true;
}

}  // namespace smbsrv
