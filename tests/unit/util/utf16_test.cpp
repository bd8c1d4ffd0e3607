// UTF-16LE <-> UTF-8 as names cross the wire: lone surrogates survive (Windows stores names
// with them; smbtorture smb2.charset), every UTF-16 string has one UTF-8 spelling, and invalid
// UTF-8 found on disk still reaches the client as U+FFFD.
#include <gtest/gtest.h>

#include "util/utf16.hpp"
#include "util/utf8.hpp"

namespace smbsrv {
namespace {

std::vector<std::uint8_t> u16(std::initializer_list<char16_t> units) {
  std::vector<std::uint8_t> b;
  for (char16_t u : units) {
    b.push_back(static_cast<std::uint8_t>(u & 0xFF));
    b.push_back(static_cast<std::uint8_t>(u >> 8));
  }
  return b;
}

TEST(Utf16, LoneSurrogatesRoundTrip) {
  for (auto units : {u16({0xD800}), u16({0xDC00}), u16({'a', 0xDBFF, 'b'}), u16({0xDC00, 0xD800}),
                     u16({0xD800, 'x', 0xDC00}), u16({0xD800, 0xD800, 0xDC00})}) {
    auto s = utf16le_to_utf8(units);
    ASSERT_TRUE(s.has_value());
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(utf8_to_utf16le(*s, back));
    EXPECT_EQ(back, units);
    EXPECT_EQ(to_utf16le(*s), units);
  }
  EXPECT_EQ(*utf16le_to_utf8(u16({0xD800})), "\xED\xA0\x80");
  EXPECT_EQ(*utf16le_to_utf8(u16({0xDFFF})), "\xED\xBF\xBF");
  // A high and a low surrogate in order are one supplementary character, in four bytes.
  EXPECT_EQ(*utf16le_to_utf8(u16({0xD800, 0xDC00})), "\xF0\x90\x80\x80");
  EXPECT_EQ(*utf16le_to_utf8(u16({0xD800, 0xD800, 0xDC00})), "\xED\xA0\x80\xF0\x90\x80\x80");
}

TEST(Utf16, APairSpelledAsTwoSurrogatesIsNotUtf8) {
  // CESU-8 style: it would give a second spelling of U+10000.
  const std::string cesu = "\xED\xA0\x80\xED\xB0\x80";
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(utf8_to_utf16le(cesu, out));
  EXPECT_TRUE(out.empty());
  std::size_t i = 0;
  char32_t cp = 0;
  EXPECT_FALSE(utf8::decode(cesu, i, cp));
  // Low before high is two lone surrogates, which is fine.
  EXPECT_TRUE(utf8_to_utf16le("\xED\xB0\x80\xED\xA0\x80", out));
  EXPECT_EQ(out, u16({0xDC00, 0xD800}));
}

TEST(Utf16, InvalidInputStaysInvalid) {
  EXPECT_FALSE(utf16le_to_utf8(std::vector<std::uint8_t>{0x41}).has_value());  // odd length
  std::vector<std::uint8_t> out;
  for (std::string_view bad : {"\xC0\x80", "\xE0\x80\x80", "\xF4\x90\x80\x80", "\xED\xA0", "\x80", "\xFF"})
    EXPECT_FALSE(utf8_to_utf16le(bad, out)) << bad.size();
  EXPECT_EQ(to_utf16le("a\xFF"), u16({'a', 0xFFFD}));
}

}  // namespace
}  // namespace smbsrv
