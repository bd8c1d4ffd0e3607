// Strict UTF-8 decoding and encoding of single code points (shared by utf16.cpp and upcase.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace smbsrv::utf8 {

/// Decodes the code point at s[i] and advances i past it; false (i unchanged) on a malformed,
/// overlong or truncated sequence or a value above U+10FFFF.
///
/// A lone UTF-16 surrogate (U+D800..U+DFFF) is accepted in its three-byte form: Windows names
/// are UTF-16 strings that may hold one, and such a name must survive the trip through UTF-8
/// (the "WTF-8" convention). A high surrogate followed by a low one is refused: that pair is a
/// supplementary character, which has exactly one encoding (four bytes), so every UTF-16 name
/// has exactly one UTF-8 spelling.
inline bool decode(std::string_view s, std::size_t& i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (b0 < 0x80) { cp = b0; n = 1; }
  else if ((b0 & 0xE0) == 0xC0) { cp = b0 & 0x1Fu; n = 2; }
  else if ((b0 & 0xF0) == 0xE0) { cp = b0 & 0x0Fu; n = 3; }
  else if ((b0 & 0xF8) == 0xF0) { cp = b0 & 0x07u; n = 4; }
  else return false;
  if (s.size() - i < n) return false;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  // Reject overlong forms and out-of-range values.
  static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF) return false;
  if (cp >= 0xD800 && cp <= 0xDBFF && s.size() - i >= n + 3) {
    // A high surrogate spelled out before a low one (ED A0..AF xx ED B0..BF xx): not canonical.
    const auto b0n = static_cast<unsigned char>(s[i + n]);
    const auto b1n = static_cast<unsigned char>(s[i + n + 1]);
    if (b0n == 0xED && b1n >= 0xB0 && b1n <= 0xBF) return false;
  }
  i += n;
  return true;
}

/// Whether `cp` is a UTF-16 surrogate code unit (only ever alone, see decode()).
constexpr bool is_surrogate(char32_t cp) noexcept { return cp >= 0xD800 && cp <= 0xDFFF; }

/// Writes the encoding of cp (at most U+10FFFF) to out; returns its length (1 to 4).
inline std::size_t encode(char32_t cp, char (&out)[4]) noexcept {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

/// Appends the encoding of cp to out.
inline void append(char32_t cp, std::string& out) {
  char buf[4];
  out.append(buf, encode(cp, buf));
}

}  // namespace smbsrv::utf8
