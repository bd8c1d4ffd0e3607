#include "util/utf16.hpp"

#include "util/utf8.hpp"

namespace smbsrv {
namespace {

void put_u16(char16_t u, std::vector<std::uint8_t>& out) {
  out.push_back(static_cast<std::uint8_t>(u & 0xFF));
  out.push_back(static_cast<std::uint8_t>(u >> 8));
}

}  // namespace

std::optional<std::string> utf16le_to_utf8(std::span<const std::uint8_t> in) {
  if (in.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 2);
  for (std::size_t i = 0; i < in.size(); i += 2) {
    char32_t u = static_cast<char32_t>(in[i] | (in[i + 1] << 8));
    if (u >= 0xD800 && u <= 0xDBFF && in.size() - i >= 4) {
      const char32_t lo = static_cast<char32_t>(in[i + 2] | (in[i + 3] << 8));
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      }
    }
    // A surrogate without its partner stays as it is, in its three-byte form (utf8::decode):
    // Windows stores such names, and they come back unchanged.
    utf8::append(u, out);
  }
  return out;
}

bool utf8_to_utf16le(std::string_view in, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  for (std::size_t i = 0; i < in.size();) {
    char32_t cp = 0;
    if (!utf8::decode(in, i, cp)) {
      out.resize(start);
      return false;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put_u16(static_cast<char16_t>(0xD800 + (cp >> 10)), out);
      put_u16(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)), out);
    } else {
      put_u16(static_cast<char16_t>(cp), out);
    }
  }
  return true;
}

std::vector<std::uint8_t> to_utf16le(std::string_view in) {
  std::vector<std::uint8_t> out;
  out.reserve(in.size() * 2);
  if (!utf8_to_utf16le(in, out)) {
    out.clear();
    for (std::size_t i = 0; i < in.size();) {
      char32_t cp = 0;
      if (!utf8::decode(in, i, cp)) { cp = 0xFFFD; ++i; }
      if (cp >= 0x10000) {
        cp -= 0x10000;
        put_u16(static_cast<char16_t>(0xD800 + (cp >> 10)), out);
        put_u16(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)), out);
      } else {
        put_u16(static_cast<char16_t>(cp), out);
      }
    }
  }
  return out;
}

}  // namespace smbsrv
