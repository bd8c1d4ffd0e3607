// Hex helpers shared by the unit tests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smbsrv::test {

inline std::vector<std::uint8_t> unhex(std::string_view s) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;  // spaces, newlines
    if (hi < 0) hi = v;
    else { out.push_back(static_cast<std::uint8_t>(hi * 16 + v)); hi = -1; }
  }
  return out;
}

inline std::string hex(std::span<const std::uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto x : b) { s.push_back(d[x >> 4]); s.push_back(d[x & 15]); }
  return s;
}

inline std::vector<std::uint8_t> bytes_of(std::string_view s) {
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

}  // namespace smbsrv::test
