#include "smbsrv/path.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smbsrv {
namespace {

std::vector<std::string> comps(std::string_view s) {
  auto p = SmbPath::parse(s);
  EXPECT_TRUE(p) << s;
  return p ? p->components() : std::vector<std::string>{};
}

void expect_invalid(std::string_view s) {
  auto p = SmbPath::parse(s);
  ASSERT_FALSE(p) << "accepted: " << s;
  EXPECT_EQ(p.status(), NtStatus::object_name_invalid) << s;
}

TEST(SmbPath, RootForms) {
  EXPECT_TRUE(comps("").empty());
  EXPECT_TRUE(comps("\\").empty());
  EXPECT_TRUE(comps("/").empty());
  EXPECT_TRUE(SmbPath{}.is_root());
  EXPECT_EQ(SmbPath{}.to_string(), "");
  EXPECT_EQ(SmbPath{}.to_wire(), "");
  EXPECT_EQ(SmbPath{}.name(), "");
  EXPECT_TRUE(SmbPath{}.parent().is_root());
}

TEST(SmbPath, NormalPaths) {
  EXPECT_EQ(comps("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(comps("dir\\file.txt"), (std::vector<std::string>{"dir", "file.txt"}));
  EXPECT_EQ(comps("\\dir\\sub\\f"), (std::vector<std::string>{"dir", "sub", "f"}));
  EXPECT_EQ(comps("dir/sub\\f"), (std::vector<std::string>{"dir", "sub", "f"}));
  EXPECT_EQ(comps("dir\\"), (std::vector<std::string>{"dir"}));
  EXPECT_EQ(comps("\\dir/"), (std::vector<std::string>{"dir"}));
  EXPECT_EQ(comps("with space.txt"), (std::vector<std::string>{"with space.txt"}));
  EXPECT_EQ(comps("...x"), (std::vector<std::string>{"...x"}));
  EXPECT_EQ(comps("..."), (std::vector<std::string>{"..."}));
  EXPECT_EQ(comps(".hidden"), (std::vector<std::string>{".hidden"}));
  EXPECT_EQ(comps("Gr\xC3\xBC\xC3\x9F" "e\\\xE6\x97\xA5\xE6\x9C\xAC"),
            (std::vector<std::string>{"Gr\xC3\xBC\xC3\x9F" "e", "\xE6\x97\xA5\xE6\x9C\xAC"}));
  EXPECT_EQ(comps("emoji\xF0\x9F\x98\x80"), (std::vector<std::string>{"emoji\xF0\x9F\x98\x80"}));
}

TEST(SmbPath, Accessors) {
  auto p = SmbPath::parse("a\\b\\c");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name(), "c");
  EXPECT_EQ(p->to_string(), "a/b/c");
  EXPECT_EQ(p->to_wire(), "a\\b\\c");
  EXPECT_EQ(p->parent().to_string(), "a/b");
  EXPECT_EQ(p->parent().parent().parent(), SmbPath{});
  auto c = p->child("d");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to_wire(), "a\\b\\c\\d");
  EXPECT_EQ(*SmbPath::parse("a/b/c"), *p);
  EXPECT_FALSE(p->child(".."));
  EXPECT_FALSE(p->child("x\\y"));
  EXPECT_FALSE(p->child(""));
  auto fc = SmbPath::from_components({"x", "y"});
  ASSERT_TRUE(fc);
  EXPECT_EQ(fc->to_wire(), "x\\y");
  EXPECT_EQ(SmbPath::from_components({"x", ".."}).status(), NtStatus::object_name_invalid);
  EXPECT_EQ(SmbPath::from_components({"x/y"}).status(), NtStatus::object_name_invalid);
  EXPECT_EQ(SmbPath::from_components({""}).status(), NtStatus::object_name_invalid);
  EXPECT_TRUE(SmbPath::from_components({})->is_root());
}

TEST(SmbPath, RejectsDotComponents) {
  for (const char* s : {".", "a\\.\\b", "./a", "a\\."}) expect_invalid(s);
}

TEST(SmbPath, ResolvesDotDotAndNeverClimbsAboveTheRoot) {
  // As Windows' server: ".." takes the component before it; above the root is a syntax error.
  EXPECT_EQ(comps("a/../b"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(comps("a\\b\\..\\c"), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(SmbPath::parse("a\\..")->components().empty());
  EXPECT_TRUE(SmbPath::parse("a\\..\\")->components().empty());
  for (const char* s : {"..", "\\..", "..\\a", "..\\..\\etc\\passwd", "a\\..\\..", "a\\..\\..\\x", "..\\..\\.."})
    EXPECT_EQ(SmbPath::parse(s).status(), NtStatus::object_path_syntax_bad) << s;
}

TEST(SmbPath, DoubledSeparatorsCountAsOne) {
  // As Samba accepts them: "dir\\\\file" is dir\\file.
  for (const char* s : {"a\\\\b", "a//b", "a\\/b", "a\\\\\\b"})
    EXPECT_EQ(comps(s), (std::vector<std::string>{"a", "b"})) << s;
  EXPECT_EQ(comps("\\\\a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(comps("a\\\\"), (std::vector<std::string>{"a"}));
}

TEST(SmbPath, RejectsSeparatorsOnly) {
  for (const char* s : {"\\\\", "//", "\\\\\\"}) expect_invalid(s);
}

TEST(SmbPath, Win32ReservedNames) {
  for (const char* n : {"CON", "con", "Prn", "aux", "NUL", "nul.txt", "CON.tar.gz", "com1", "COM9", "lpt1",
                        "LPT9.log", "a.", "a ", "dir.", "x. ", "."})
    EXPECT_TRUE(is_win32_reserved_name(n)) << n;
  for (const char* n : {"CONX", "console", "COM0", "COM10", "LPT", "lpt0", "a.b", "nul_", "acon", ".a", " a",
                        "a.txt", "COM1a"})
    EXPECT_FALSE(is_win32_reserved_name(n)) << n;
  auto p = SmbPath::parse("dir\\nul.txt\\x");
  ASSERT_TRUE(p);
  EXPECT_EQ(check_win32_names(*p).status(), NtStatus::object_name_invalid);
  EXPECT_TRUE(check_win32_names(*SmbPath::parse("dir\\file.txt")));
  EXPECT_TRUE(check_win32_names(SmbPath{}));
}

TEST(SmbPath, RejectsForbiddenCharacters) {
  for (const char* s : {"a<b", "a>b", "a:b", "file:stream", "a\"b", "a|b", "a?b", "a*", "*.*",
                        "\x01", "a\x1F", "tab\there", "nl\n"})
    expect_invalid(s);
  expect_invalid(std::string_view("a\0b", 3));
  expect_invalid(std::string_view("\0", 1));
  EXPECT_FALSE(is_valid_component("a:b"));
  EXPECT_TRUE(is_valid_component("a b"));
  EXPECT_TRUE(is_valid_component("a\x7F"));
}

TEST(SmbPath, RejectsInvalidUtf8) {
  // A CESU-style pair ("\xED\xA0\x80\xED\xB0\x80") would be a second spelling of U+10000.
  for (const char* s : {"\xFF", "a\xC3", "\xC0\xAF", "\xED\xA0\x80\xED\xB0\x80", "\x80", "ok\\\xE6\x97", "\xF4\x90\x80\x80"})
    expect_invalid(s);
  // A lone surrogate in its three-byte form is a name Windows allows (util/utf8.hpp).
  EXPECT_TRUE(SmbPath::parse("\xED\xA0\x80"));
}

TEST(SmbPath, LengthLimits) {
  const std::string c255(255, 'x');
  const std::string c256(256, 'x');
  EXPECT_TRUE(SmbPath::parse(c255));
  expect_invalid(c256);
  expect_invalid("dir\\" + c256);
  EXPECT_TRUE(is_valid_component(c255));
  EXPECT_FALSE(is_valid_component(c256));
  // 255 bytes of two-byte characters counts bytes, not characters.
  std::string wide;
  for (int i = 0; i < 128; ++i) wide += "\xC3\xA9";
  expect_invalid(wide);

  std::string total;  // 16 * 256 = 4096 exactly (incl. separators, minus the last one)
  while (total.size() + 256 <= 4096) total += std::string(255, 'y') + "\\";
  total.pop_back();
  ASSERT_LE(total.size(), 4096u);
  EXPECT_TRUE(SmbPath::parse(total));
  std::string too_long = total + "\\" + std::string(255, 'z');
  ASSERT_GT(too_long.size(), 4096u);
  expect_invalid(too_long);

  auto p = SmbPath::parse(total);
  ASSERT_TRUE(p);
  std::vector<std::string> parts = p->components();
  parts.push_back(std::string(200, 'q'));
  EXPECT_EQ(SmbPath::from_components(parts).status(), NtStatus::object_name_invalid);
  EXPECT_FALSE(p->child(std::string(200, 'q')));
}

}  // namespace
}  // namespace smbsrv
