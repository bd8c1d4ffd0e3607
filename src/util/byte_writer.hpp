// Little-endian writer into a growable buffer, with patching for fields that are known only later
// (offsets, lengths, NextCommand, signatures).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace smbsrv {

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::vector<std::uint8_t>& out) : buf_(&out) {}
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;

  std::size_t size() const noexcept { return buf_->size(); }
  std::vector<std::uint8_t>& buffer() noexcept { return *buf_; }

  void u8(std::uint8_t v) { buf_->push_back(v); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void bytes(std::span<const std::uint8_t> b) { buf_->insert(buf_->end(), b.begin(), b.end()); }
  void zeros(std::size_t n) { buf_->insert(buf_->end(), n, 0); }
  /// Pads with zeros to a multiple of `a` (measured from the buffer start).
  void align(std::size_t a) {
    while (buf_->size() % a != 0) buf_->push_back(0);
  }
  void put_u16(std::size_t at, std::uint16_t v) { put(at, v, 2); }
  void put_u32(std::size_t at, std::uint32_t v) { put(at, v, 4); }
  void put_u64(std::size_t at, std::uint64_t v) { put(at, v, 8); }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_->push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void put(std::size_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) (*buf_)[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  std::vector<std::uint8_t> own_;
  std::vector<std::uint8_t>* buf_ = &own_;
};

}  // namespace smbsrv
