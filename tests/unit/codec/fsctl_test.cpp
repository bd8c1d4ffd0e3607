// The FSCTL buffers of file operations (src/codec/fsctl.cpp): decoders reject every truncation
// and the values MS-FSA refuses; encoders write the MS-FSCC layouts.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {

using Vec = std::vector<std::uint8_t>;
using test::rd16;
using test::rd32;
using test::rd64;

Vec le64s(std::initializer_list<std::uint64_t> vs) {
  Vec b;
  for (auto v : vs)
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return b;
}
void put32(Vec& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
constexpr std::uint64_t kMaxLL = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

TEST(FsctlSetSparse, EmptyMeansTrueAndExtraBytesAreIgnored) {
  EXPECT_TRUE(decode_set_sparse({}));
  const Vec on{0xFF}, off{0}, big_off(100, 0);
  EXPECT_TRUE(decode_set_sparse(on));
  EXPECT_FALSE(decode_set_sparse(off));
  EXPECT_FALSE(decode_set_sparse(big_off));
}

TEST(FsctlZeroData, DecodesAndChecksTheRange) {
  auto z = decode_zero_data_info(le64s({4096, 8192}));
  ASSERT_TRUE(z);
  EXPECT_EQ(z->offset, 4096u);
  EXPECT_EQ(z->beyond_final_zero, 8192u);
  EXPECT_TRUE(decode_zero_data_info(le64s({4095, 4095})));  // empty: valid
  test::expect_invalid(decode_zero_data_info(le64s({4096, 4095})));
  test::expect_invalid(decode_zero_data_info(le64s({~0ULL, 1})));
  test::expect_invalid(decode_zero_data_info(le64s({0, kMaxLL + 1})));
  test::expect_truncations_fail(le64s({1, 2}), [](Bytes b) { return decode_zero_data_info(b); });
}

TEST(FsctlAllocatedRanges, DecodesTheQueryAndRefusesOverflow) {
  auto q = decode_allocated_range_query(le64s({512, 1024, 77}));  // extra bytes ignored
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, (ByteRange{512, 1024}));
  EXPECT_TRUE(decode_allocated_range_query(le64s({0, kMaxLL})));
  test::expect_invalid(decode_allocated_range_query(le64s({512, ~0ULL})));  // wraps (smbtorture qar_overflow)
  test::expect_invalid(decode_allocated_range_query(le64s({1, kMaxLL})));
  test::expect_truncations_fail(le64s({0, 1}), [](Bytes b) { return decode_allocated_range_query(b); });
  Vec out;
  ByteWriter w(out);
  encode_allocated_range(w, {4096, 1024});
  ASSERT_EQ(out.size(), kAllocatedRangeSize);
  EXPECT_EQ(rd64(out, 0), 4096u);
  EXPECT_EQ(rd64(out, 8), 1024u);
}

TEST(FsctlFileLevelTrim, CountsRangesThatFit) {
  Vec in;
  put32(in, 0);
  put32(in, 2);
  auto ranges = le64s({0, 4096, 8192, 4096});
  in.insert(in.end(), ranges.begin(), ranges.end());
  auto t = decode_file_level_trim(in);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->num_ranges, 2u);
  test::expect_truncations_fail(in, [](Bytes b) { return decode_file_level_trim(b); });
  Vec huge;
  put32(huge, 0);
  put32(huge, 0xFFFFFFFF);
  test::expect_invalid(decode_file_level_trim(huge));
  Vec out;
  ByteWriter w(out);
  encode_file_level_trim_output(w, 2);
  EXPECT_EQ(out, (Vec{2, 0, 0, 0}));
}

TEST(FsctlSetCompression, TwoBytes) {
  auto s = decode_set_compression(Vec{1, 0, 9});
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, kCompressionFormatDefault);
  test::expect_truncations_fail(Vec{0, 0}, [](Bytes b) { return decode_set_compression(b); });
}

TEST(FsctlFileRegions, OptionalInputAndOutputLayout) {
  auto all = decode_file_region_input({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->offset, 0u);
  EXPECT_EQ(all->length, kMaxLL);
  EXPECT_EQ(all->desired_usage, kFileRegionUsageValidCachedData);
  Vec in = le64s({10, 20});
  put32(in, kFileRegionUsageValidNoncachedData);
  put32(in, 0);
  auto r = decode_file_region_input(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->offset, 10u);
  EXPECT_EQ(r->length, 20u);
  EXPECT_EQ(r->desired_usage, kFileRegionUsageValidNoncachedData);
  // Every non-empty truncation is refused (the empty one means "the whole file").
  for (std::size_t n = 1; n < in.size(); ++n) {
    const Vec prefix(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    test::expect_invalid(decode_file_region_input(prefix));
  }
  Vec bad = le64s({0, 1});
  put32(bad, 3);
  put32(bad, 0);
  test::expect_invalid(decode_file_region_input(bad));

  Vec out;
  ByteWriter w(out);
  const FileRegion g{0, 100, kFileRegionUsageValidCachedData};
  encode_file_region_output(w, 1, std::span<const FileRegion>(&g, 1));
  ASSERT_EQ(out.size(), kFileRegionOutputHeaderSize + kFileRegionInfoSize);
  EXPECT_EQ(rd32(out, 4), 1u);   // TotalRegionEntryCount
  EXPECT_EQ(rd32(out, 8), 1u);   // RegionEntryCount
  EXPECT_EQ(rd64(out, 24), 100u);
  EXPECT_EQ(rd32(out, 32), kFileRegionUsageValidCachedData);
}

TEST(FsctlSnapshots, EmptyArray) {
  Vec out;
  ByteWriter w(out);
  encode_empty_snapshot_array(w);
  ASSERT_EQ(out.size(), kEmptySnapshotArraySize);
  EXPECT_EQ(rd32(out, 0), 0u);
  EXPECT_EQ(rd32(out, 4), 0u);
  EXPECT_EQ(rd32(out, 8), 2u);
  EXPECT_EQ(rd16(out, 12), 0u);
}

}  // namespace
}  // namespace smbsrv::codec
