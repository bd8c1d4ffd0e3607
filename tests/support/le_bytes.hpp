// Little-endian reads and writes at an offset, for test code that picks wire messages apart by
// hand (the sim's client, the fuzz harnesses). Unchecked: callers check the size first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace smbsrv::test {

inline std::uint16_t rd16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
inline std::uint32_t rd32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(rd16(b, at)) | (static_cast<std::uint32_t>(rd16(b, at + 2)) << 16);
}
inline std::uint64_t rd64(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint64_t>(rd32(b, at)) | (static_cast<std::uint64_t>(rd32(b, at + 4)) << 32);
}
inline void put_le(std::span<std::uint8_t> b, std::size_t at, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace smbsrv::test
