// Extended attribute lists (MS-FSCC 2.4.15 FILE_FULL_EA_INFORMATION, 2.4.15.1
// FILE_GET_EA_INFORMATION).
#include <gtest/gtest.h>

#include <vector>

#include "codec/ea.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {

using Vec = std::vector<std::uint8_t>;

TEST(EaCodec, FullListLayoutAndRoundTrip) {
  const std::vector<ExtendedAttribute> eas{{"ab", {1, 2, 3}}, {"c", {}}};
  const Vec out = encode_full_ea_list(eas);
  // Entry 1: 8 + "ab" + NUL + 3 = 14 bytes, padded to 16; entry 2: 8 + "c" + NUL = 10, unpadded.
  const Vec want{16, 0, 0, 0, 0, 2, 3, 0, 'a', 'b', 0, 1, 2, 3, 0, 0,
                 0, 0, 0, 0, 0, 1, 0, 0, 'c', 0};
  EXPECT_EQ(out, want);
  EXPECT_EQ(full_ea_list_size(eas), out.size());
  EXPECT_EQ(full_ea_list_size({}), 0u);
  auto d = decode_full_ea_list(out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, eas);
  test::expect_truncations_fail(out, [](Bytes b) { return decode_full_ea_list(b); }, out.size(),
                                NtStatus::ea_list_inconsistent);
  // Bytes after the last entry are ignored.
  Vec longer = out;
  longer.push_back(9);
  EXPECT_TRUE(decode_full_ea_list(longer).ok());
}

TEST(EaCodec, FullListStructureErrors) {
  const Vec good = encode_full_ea_list(std::vector<ExtendedAttribute>{{"ab", {1, 2, 3}}, {"c", {4}}});
  auto with = [&](std::size_t at, std::uint8_t b) {
    Vec v = good;
    v[at] = b;
    return decode_full_ea_list(v).status();
  };
  EXPECT_EQ(with(0, 14), NtStatus::ea_list_inconsistent);   // NextEntryOffset not 4-aligned
  EXPECT_EQ(with(0, 12), NtStatus::ea_list_inconsistent);   // inside the entry
  EXPECT_EQ(with(0, 200), NtStatus::ea_list_inconsistent);  // past the end
  EXPECT_EQ(with(10, 'x'), NtStatus::ea_list_inconsistent); // EaName without its NUL
  EXPECT_EQ(with(6, 250), NtStatus::ea_list_inconsistent);  // EaValueLength past the end
  EXPECT_EQ(with(5, 200), NtStatus::ea_list_inconsistent);  // EaNameLength past the end
  EXPECT_EQ(with(4, 0x81), NtStatus::invalid_ea_name);      // a flag besides FILE_NEED_EA
  EXPECT_EQ(with(4, 0x80), NtStatus::success);
  EXPECT_EQ(with(8, '*'), NtStatus::invalid_ea_name);
  EXPECT_EQ(decode_full_ea_list({}).status(), NtStatus::ea_list_inconsistent);
}

TEST(EaCodec, Names) {
  EXPECT_TRUE(valid_ea_name("user.Foo-1_2 (x)"));
  EXPECT_TRUE(valid_ea_name(std::string(255, 'a')));
  EXPECT_FALSE(valid_ea_name(""));
  EXPECT_FALSE(valid_ea_name(std::string(256, 'a')));
  for (char ch : std::string_view("\"*+,/:;<=>?[\\]|\x01\x1f\x7f\x80\xff", 20))
    EXPECT_FALSE(valid_ea_name(std::string("a") + ch)) << static_cast<int>(static_cast<unsigned char>(ch));
  EXPECT_TRUE(ea_name_equal("Foo", "fOO"));
  EXPECT_FALSE(ea_name_equal("Foo", "Fo"));
  // A zero-length EaName is invalid, not malformed.
  const Vec empty_name{0, 0, 0, 0, 0, 0, 1, 0, 0, 'v'};
  EXPECT_EQ(decode_full_ea_list(empty_name).status(), NtStatus::invalid_ea_name);
}

TEST(EaCodec, GetList) {
  const std::vector<std::string> names{"ab", "cde"};
  const Vec out = encode_get_ea_list(names);
  // Entry 1: 5 + "ab" + NUL = 8; entry 2: 5 + "cde" + NUL = 9.
  const Vec want{8, 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0, 0, 3, 'c', 'd', 'e', 0};
  EXPECT_EQ(out, want);
  auto d = decode_get_ea_list(out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, names);
  test::expect_truncations_fail(out, [](Bytes b) { return decode_get_ea_list(b); }, out.size(),
                                NtStatus::ea_list_inconsistent);
  Vec bad = out;
  bad[5] = '?';
  EXPECT_EQ(decode_get_ea_list(bad).status(), NtStatus::invalid_ea_name);
  bad = out;
  bad[0] = 4;  // inside the first entry
  EXPECT_EQ(decode_get_ea_list(bad).status(), NtStatus::ea_list_inconsistent);
}

}  // namespace
}  // namespace smbsrv::codec
