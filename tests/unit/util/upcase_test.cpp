// upcase(), upcase_utf8() and iequal_names(): Windows' way of comparing names (one BMP code point
// to one, the exceptions decided in scripts/gen_upcase_table.py).
#include "util/upcase.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "smbsrv/credentials.hpp"

namespace smbsrv {
namespace {

std::string utf8_of(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

bool is_surrogate(char32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

// ---- single code points -------------------------------------------------------------------------

TEST(Upcase, Ascii) {
  for (char32_t c = 0; c < 0x80; ++c) {
    if (c >= U'a' && c <= U'z')
      EXPECT_EQ(upcase(c), c - 32);
    else
      EXPECT_EQ(upcase(c), c) << static_cast<unsigned>(c);
  }
  EXPECT_EQ(upcase_utf8("hello, World! 0-9 _~{|}`@[\\]^"), "HELLO, WORLD! 0-9 _~{|}`@[\\]^");
}

TEST(Upcase, Latin1AndExtended) {
  EXPECT_EQ(upcase_utf8("äöüéàçñøåæþ"), "ÄÖÜÉÀÇÑØÅÆÞ");
  EXPECT_EQ(upcase(U'ä'), U'Ä');
  EXPECT_EQ(upcase(U'ÿ'), U'Ÿ');  // U+00FF -> U+0178, outside Latin-1
  EXPECT_EQ(upcase(U'×'), U'×');
  EXPECT_EQ(upcase(U'÷'), U'÷');
  EXPECT_EQ(upcase_utf8("āăąćĉċčďđēĳķĺļľŀłńņňŋōőœŕřśšţťŧũūůűųŵŷźżž"),
            "ĀĂĄĆĈĊČĎĐĒĲĶĹĻĽĿŁŃŅŇŊŌŐŒŔŘŚŠŢŤŦŨŪŮŰŲŴŶŹŻŽ");
  EXPECT_EQ(upcase(U'ƀ'), U'Ƀ');
  EXPECT_EQ(upcase(U'ǆ'), U'Ǆ');  // lower case digraph: mapped
}

TEST(Upcase, WindowsExceptions) {
  // Dotless i and long s stay themselves (Windows' table; Unicode would give 'I' and 'S').
  EXPECT_EQ(upcase(U'ı'), U'ı');
  EXPECT_EQ(upcase(U'ſ'), U'ſ');
  EXPECT_FALSE(iequal_names("ı", "I"));
  EXPECT_FALSE(iequal_names("ſ", "s"));
  EXPECT_EQ(upcase(U'İ'), U'İ');  // already upper case, so it stays apart from I (= i)
  EXPECT_TRUE(iequal_names("i", "I"));
  EXPECT_FALSE(iequal_names("İ", "I"));
  EXPECT_FALSE(iequal_names("İ", "i"));
  // Micro sign, the titlecase digraphs, the Greek symbol variants and prosgegrammeni stay.
  for (char32_t c : {U'µ', U'ǅ', U'ǈ', U'ǋ', U'ǲ', U'\u0345', U'ϐ', U'ϑ', U'ϕ', U'ϖ', U'ϰ', U'ϱ', U'ϵ',
                     U'ẛ', U'\u1FBE', U'\u1C80', U'\u1C88'})
    EXPECT_EQ(upcase(c), c) << std::hex << static_cast<unsigned>(c);
  EXPECT_FALSE(iequal_names("ǅ", "Ǆ"));
  EXPECT_TRUE(iequal_names("ǆ", "Ǆ"));
  // Sharp s: no expansion, and ẞ (already upper case) is not lowercased: three different names.
  EXPECT_EQ(upcase(U'ß'), U'ß');
  EXPECT_EQ(upcase(U'ẞ'), U'ẞ');
  EXPECT_FALSE(iequal_names("straße", "STRASSE"));
  EXPECT_FALSE(iequal_names("straße", "STRAẞE"));
  EXPECT_TRUE(iequal_names("straße", "STRAßE"));
  // Signs that are upper case letters already stay apart from the letters they look like.
  EXPECT_FALSE(iequal_names("\u212A", "k"));  // KELVIN SIGN
  EXPECT_FALSE(iequal_names("\u2126", "ω"));  // OHM SIGN
}

TEST(Upcase, Greek) {
  EXPECT_EQ(upcase(U'σ'), U'Σ');
  EXPECT_EQ(upcase(U'ς'), U'Σ');  // final sigma too, as on Windows
  EXPECT_EQ(upcase(U'Σ'), U'Σ');
  EXPECT_TRUE(iequal_names("Σ.txt", "σ.txt"));
  EXPECT_TRUE(iequal_names("ς.txt", "Σ.TXT"));
  EXPECT_TRUE(iequal_names("ΟΔΟΣ", "οδος"));
  EXPECT_TRUE(iequal_names("ΟΔΟΣ", "οδοσ"));
  // With tonos and dialytika.
  EXPECT_EQ(upcase_utf8("άέήίόύώϊϋ"), "ΆΈΉΊΌΎΏΪΫ");
  EXPECT_EQ(upcase(U'ΐ'), U'ΐ');  // its uppercase expands: unchanged
  // Polytonic: simple mappings, the ypogegrammeni to the prosgegrammeni forms.
  EXPECT_EQ(upcase(U'ἀ'), U'Ἀ');
  EXPECT_EQ(upcase(U'ᾀ'), U'ᾈ');
  EXPECT_EQ(upcase(U'ᾳ'), U'ᾼ');
  EXPECT_EQ(upcase(U'ῃ'), U'ῌ');
  EXPECT_EQ(upcase(U'ῳ'), U'ῼ');
  EXPECT_EQ(upcase(U'ᾈ'), U'ᾈ');
}

TEST(Upcase, Cyrillic) {
  EXPECT_EQ(upcase_utf8("привет, мир"), "ПРИВЕТ, МИР");
  EXPECT_EQ(upcase_utf8("ёђѓєѕіїјљњћќѝўџ"), "ЁЂЃЄЅІЇЈЉЊЋЌЍЎЏ");
  EXPECT_EQ(upcase_utf8("ѣґғҗӏӑ"), "ѢҐҒҖӀӐ");
  EXPECT_TRUE(iequal_names("Документ.docx", "ДОКУМЕНТ.DOCX"));
  EXPECT_FALSE(iequal_names("ё", "е"));
}

TEST(Upcase, Armenian) {
  EXPECT_EQ(upcase_utf8("բարեւ"), "ԲԱՐԵՒ");
  EXPECT_EQ(upcase(U'ա'), U'Ա');
  EXPECT_EQ(upcase(U'ֆ'), U'Ֆ');
  EXPECT_EQ(upcase(U'և'), U'և');  // the ech-yiwn ligature's uppercase expands: unchanged
}

TEST(Upcase, Georgian) {
  // Mkhedruli (everyday Georgian) is not mapped to Mtavruli (U+1C90.., Unicode 11), as in
  // Microsoft's table; the decision is in scripts/gen_upcase_table.py.
  EXPECT_EQ(upcase(U'ა'), U'ა');
  EXPECT_EQ(upcase_utf8("საქართველო"), "საქართველო");
  EXPECT_FALSE(iequal_names("ა", "Ა"));
  EXPECT_EQ(upcase(U'Ა'), U'Ა');
  // Nuskhuri is mapped to Asomtavruli.
  EXPECT_EQ(upcase(U'ⴀ'), U'Ⴀ');
  EXPECT_EQ(upcase(U'ⴥ'), U'Ⴥ');
  EXPECT_TRUE(iequal_names("ⴀⴁ", "ႠႡ"));
}

TEST(Upcase, OtherScripts) {
  EXPECT_EQ(upcase(U'ⰰ'), U'Ⰰ');  // Glagolitic
  EXPECT_EQ(upcase(U'ⲁ'), U'Ⲁ');  // Coptic
  EXPECT_EQ(upcase(U'ꭰ'), U'Ꭰ');  // Cherokee small letter -> the (older) capital
  EXPECT_EQ(upcase(U'ⅰ'), U'Ⅰ');  // Roman numerals
  EXPECT_EQ(upcase(U'ⓐ'), U'Ⓐ');  // circled letters
  EXPECT_EQ(upcase(U'ꙁ'), U'Ꙁ');  // Cyrillic Extended-B
  EXPECT_EQ(upcase(U'ꜳ'), U'Ꜳ');  // Latin Extended-D
  EXPECT_EQ(upcase(U'中'), U'中');
  EXPECT_EQ(upcase(U'あ'), U'あ');
}

TEST(Upcase, FullWidthLatin) {
  EXPECT_EQ(upcase_utf8("ａｂｃｘｙｚ"), "ＡＢＣＸＹＺ");
  EXPECT_TRUE(iequal_names("ｆｉｌｅ．ｔｘｔ", "ＦＩＬＥ．ＴＸＴ"));
  EXPECT_FALSE(iequal_names("ｆｉｌｅ", "FILE"));  // no width folding
}

TEST(Upcase, SupplementaryPlanesUnchanged) {
  // Deseret and Osage have case pairs in Unicode, but an upcase table covers the BMP only.
  EXPECT_EQ(upcase(U'\U00010428'), U'\U00010428');  // DESERET SMALL LETTER LONG I
  EXPECT_EQ(upcase_utf8("\U00010428x"), "\U00010428X");
  EXPECT_FALSE(iequal_names("\U00010428", "\U00010400"));
  EXPECT_EQ(upcase_utf8("😀a"), "😀A");
  for (char32_t c = 0x10000; c <= 0x10FFFF; c += 0x3F1) EXPECT_EQ(upcase(c), c);
  EXPECT_EQ(upcase(0x10FFFF), char32_t{0x10FFFF});
  EXPECT_EQ(upcase(0x110000), char32_t{0x110000});  // not a code point: unchanged too
}

TEST(Upcase, LengthInBytesMayChange) {
  EXPECT_EQ(upcase_utf8("ɐ"), "Ɐ");  // U+0250 (2 bytes) -> U+2C6F (3 bytes)
  EXPECT_EQ(upcase_utf8("ⱥ"), "Ⱥ");  // U+2C65 (3 bytes) -> U+023A (2 bytes)
  EXPECT_TRUE(iequal_names("ɐ.txt", "Ɐ.TXT"));
  EXPECT_TRUE(iequal_names("Ⱥⱥ", "ⱥȺ"));
  EXPECT_FALSE(iequal_names("ɐ", "Ɐx"));
}

// ---- invalid UTF-8 ------------------------------------------------------------------------------

TEST(Upcase, InvalidUtf8PassesThrough) {
  EXPECT_EQ(upcase_utf8("a\xFF" "b"), "A\xFF" "B");
  EXPECT_EQ(upcase_utf8("\xC3"), "\xC3");                     // truncated
  EXPECT_EQ(upcase_utf8("\xC3" "a"), "\xC3" "A");              // lead byte without continuation
  EXPECT_EQ(upcase_utf8("\xE2\x82" "z"), "\xE2\x82" "Z");      // truncated, then ASCII
  EXPECT_EQ(upcase_utf8("\xC0\xAF" "x"), "\xC0\xAF" "X");      // overlong '/'
  EXPECT_EQ(upcase_utf8("\xED\xA0\x80" "q"), "\xED\xA0\x80" "Q");  // a surrogate
  EXPECT_EQ(upcase_utf8("\xF4\x90\x80\x80"), "\xF4\x90\x80\x80");  // above U+10FFFF
  EXPECT_EQ(upcase_utf8("\x84\xC3\xA4\xC3"), "\x84\xC3\x84\xC3");  // stray bytes around "ä"
  const std::string odd = "\xC3\xC3\xA4\xE2\x82\xC3\xA4\x80";
  EXPECT_EQ(upcase_utf8(upcase_utf8(odd)), upcase_utf8(odd));      // idempotent here too
  EXPECT_TRUE(iequal_names("a\xFF", "A\xFF"));
  EXPECT_FALSE(iequal_names("\xFF", "\xFE"));
  EXPECT_TRUE(iequal_names(odd, upcase_utf8(odd)));
  EXPECT_FALSE(iequal_names("\xC3", "\xC3\x84"));
  EXPECT_FALSE(iequal_names("\xC3\xA4", "\xC3\xA4\xFF"));
}

// ---- iequal_names --------------------------------------------------------------------------------

TEST(IequalNames, TrueAndFalse) {
  EXPECT_TRUE(iequal_names("", ""));
  EXPECT_FALSE(iequal_names("", "a"));
  EXPECT_FALSE(iequal_names("a", ""));
  EXPECT_TRUE(iequal_names("Readme.TXT", "README.txt"));
  EXPECT_TRUE(iequal_names("Äpfel.txt", "äPFEL.TXT"));
  EXPECT_FALSE(iequal_names("abc", "ab"));
  EXPECT_FALSE(iequal_names("ab", "abc"));
  EXPECT_FALSE(iequal_names("a", "b"));
  EXPECT_FALSE(iequal_names("Äpfel", "Apfel"));
  EXPECT_FALSE(iequal_names("file.txt", "file.txt "));
  EXPECT_TRUE(iequal_names(std::string_view("a\0b", 3), std::string_view("A\0B", 3)));
  EXPECT_FALSE(iequal_names(std::string_view("a\0b", 3), "a"));
}

TEST(IequalNames, AgreesWithUpcaseUtf8) {
  const char* names[] = {"", "a", "A", "ä", "Ä", "ς", "Σ", "ı", "I", "ɐ", "Ɐ", "ß", "SS", "\xFF", "a\xC3",
                         "ǅ", "ǆ", "Ǆ", "ⴀ", "Ⴀ", "ა", "Ა", "ｆ", "Ｆ", "\U00010428", "\U00010400"};
  for (const char* a : names)
    for (const char* b : names)
      EXPECT_EQ(iequal_names(a, b), upcase_utf8(a) == upcase_utf8(b)) << a << " / " << b;
}

// ---- callers -------------------------------------------------------------------------------------

TEST(Upcase, CredentialStoreUserNamesAreCaseInsensitiveBeyondAscii) {
  InMemoryCredentialStore store;
  store.add_user("Jürgen", "pw1");
  store.add_user("σωκράτης", "pw2");
  store.add_user("Alice", "pw3");
  ASSERT_TRUE(store.nt_hash("JÜRGEN", ""));
  EXPECT_EQ(*store.nt_hash("JÜRGEN", ""), nt_hash_of_password("pw1"));
  ASSERT_TRUE(store.nt_hash("ΣΩΚΡΆΤΗΣ", ""));
  EXPECT_EQ(*store.nt_hash("ΣΩΚΡΆΤΗΣ", ""), nt_hash_of_password("pw2"));
  EXPECT_TRUE(store.nt_hash("aLICE", ""));
  EXPECT_FALSE(store.nt_hash("Jurgen", ""));
  EXPECT_FALSE(store.nt_hash("ALİCE", ""));  // İ is not I
}

// ---- the table -----------------------------------------------------------------------------------

TEST(UpcaseTable, CountIsWhatTheGeneratorPrinted) {
  // scripts/gen_upcase_table.py printed "Unicode 14.0.0, 1118 mapped code points in 163 runs".
  // A regenerated table changes this on purpose: check its differences, then update the numbers.
  EXPECT_STREQ(detail::upcase_table_unicode_version(), "14.0.0");
  EXPECT_EQ(detail::upcase_table_mapped_count(), 1118u);
  std::size_t mapped = 0;
  for (char32_t c = 0; c <= 0xFFFF; ++c)
    if (upcase(c) != c) ++mapped;
  EXPECT_EQ(mapped, detail::upcase_table_mapped_count());
}

TEST(UpcaseTable, IsAProjectionOfTheBmp) {
  for (char32_t c = 0; c <= 0xFFFF; ++c) {
    const char32_t u = upcase(c);
    EXPECT_LE(u, char32_t{0xFFFF});
    EXPECT_EQ(upcase(u), u) << std::hex << static_cast<unsigned>(c);  // upcasing twice = once
    if (is_surrogate(c) || is_surrogate(u)) {
      EXPECT_EQ(u, c);
    }
    if (is_surrogate(c)) continue;
    // upcase_utf8 of one code point is the code point's upcase; iequal_names agrees.
    const std::string s = utf8_of(c);
    ASSERT_EQ(upcase_utf8(s), utf8_of(u)) << std::hex << static_cast<unsigned>(c);
    ASSERT_TRUE(iequal_names(s, utf8_of(u)));
  }
}

}  // namespace
}  // namespace smbsrv
