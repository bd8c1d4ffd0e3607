#include "util/utf16.hpp"

namespace smbsrv {
namespace {

// Decodes one code point from UTF-8; returns false on malformed input.
bool next_cp(std::string_view s, std::size_t& i, char32_t& cp) {
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
  // Reject overlong forms, surrogates and out-of-range values.
  static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += n;
  return true;
}

void put_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void put_u16(char16_t u, std::vector<std::uint8_t>& out) {
  out.push_back(static_cast<std::uint8_t>(u & 0xFF));
  out.push_back(static_cast<std::uint8_t>(u >> 8));
}

char32_t upcase_cp(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;                     // Latin-1
  if (c >= 0x100 && c <= 0x17F && (c & 1) && c != 0x131 && c != 0x138 && c != 0x149) {
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return c;      // odd=upper there
    return c - 1;                                                                 // Latin Ext-A
  }
  if (((c >= 0x13A && c <= 0x148) || (c >= 0x17A && c <= 0x17E)) && !(c & 1)) return c - 1;
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;                     // Greek
  if (c >= 0x430 && c <= 0x44F) return c - 32;                                    // Cyrillic
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

}  // namespace

std::optional<std::string> utf16le_to_utf8(std::span<const std::uint8_t> in) {
  if (in.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 2);
  for (std::size_t i = 0; i < in.size(); i += 2) {
    char32_t u = static_cast<char32_t>(in[i] | (in[i + 1] << 8));
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (in.size() - i < 4) return std::nullopt;
      const char32_t lo = static_cast<char32_t>(in[i + 2] | (in[i + 3] << 8));
      if (lo < 0xDC00 || lo > 0xDFFF) return std::nullopt;
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return std::nullopt;
    }
    put_utf8(u, out);
  }
  return out;
}

bool utf8_to_utf16le(std::string_view in, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  for (std::size_t i = 0; i < in.size();) {
    char32_t cp = 0;
    if (!next_cp(in, i, cp)) {
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
      if (!next_cp(in, i, cp)) { cp = 0xFFFD; ++i; }
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

std::string upcase_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    char32_t cp = 0;
    if (!next_cp(in, i, cp)) {  // keep invalid bytes as they are
      out.push_back(in[i]);
      ++i;
      continue;
    }
    put_utf8(upcase_cp(cp), out);
  }
  return out;
}

}  // namespace smbsrv
