// Server-side copy payloads (MS-SMB2 2.2.31.1, 2.2.32.1, 2.2.32.3).
#include <gtest/gtest.h>

#include <vector>

#include "codec/copychunk.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {

std::vector<std::uint8_t> copy_input(std::uint32_t count, std::size_t chunks_present) {
  std::vector<std::uint8_t> v;
  ByteWriter w(v);
  for (std::uint8_t i = 0; i < 24; ++i) w.u8(static_cast<std::uint8_t>(0xA0 + i));
  w.u32(count);
  w.u32(0xFFFFFFFF);  // Reserved: ignored
  for (std::size_t i = 0; i < chunks_present; ++i) {
    w.u64(0x1000 * (i + 1));
    w.u64(0x2000 * (i + 1));
    w.u32(static_cast<std::uint32_t>(100 + i));
    w.u32(0xEEEEEEEE);
  }
  return v;
}

TEST(Copychunk, DecodesTheCopyRequest) {
  const auto in = copy_input(2, 2);
  auto r = decode_srv_copychunk_copy(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source_key[0], 0xA0);
  EXPECT_EQ(r->source_key[23], 0xA0 + 23);
  ASSERT_EQ(r->chunks.size(), 2u);
  EXPECT_EQ(r->chunks[0].source_offset, 0x1000u);
  EXPECT_EQ(r->chunks[0].target_offset, 0x2000u);
  EXPECT_EQ(r->chunks[0].length, 100u);
  EXPECT_EQ(r->chunks[1].source_offset, 0x2000u);
  EXPECT_EQ(r->chunks[1].target_offset, 0x4000u);
  EXPECT_EQ(r->chunks[1].length, 101u);
  // Every truncation fails cleanly.
  test::expect_truncations_fail(in, [](Bytes b) { return decode_srv_copychunk_copy(b); });
  // Bytes after the chunks are ignored.
  auto longer = in;
  longer.push_back(1);
  EXPECT_TRUE(decode_srv_copychunk_copy(longer).ok());
}

TEST(Copychunk, ChunkCountZeroAndCountsThatDoNotFit) {
  auto zero = decode_srv_copychunk_copy(copy_input(0, 0));
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->chunks.empty());
  test::expect_truncations_fail(copy_input(0, 0), [](Bytes b) { return decode_srv_copychunk_copy(b); });
  test::expect_invalid(decode_srv_copychunk_copy(copy_input(3, 2)));
  // A huge count allocates nothing: it is compared with what the input holds first.
  test::expect_invalid(decode_srv_copychunk_copy(copy_input(0xFFFFFFFF, 1)));
}

TEST(Copychunk, EncodesResponses) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  ResumeKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i + 1);
  encode_resume_key_response(w, key);
  ASSERT_EQ(out.size(), kResumeKeyResponseSize);
  EXPECT_TRUE(std::equal(key.begin(), key.end(), out.begin()));
  EXPECT_EQ(test::rd32(out, 24), 0u);  // ContextLength

  std::vector<std::uint8_t> cc;
  ByteWriter w2(cc);
  encode_srv_copychunk_response(w2, {256, 1u << 20, 16u << 20});
  ASSERT_EQ(cc.size(), kCopychunkResponseSize);
  EXPECT_EQ(test::rd32(cc, 0), 256u);
  EXPECT_EQ(test::rd32(cc, 4), 1u << 20);
  EXPECT_EQ(test::rd32(cc, 8), 16u << 20);
}

}  // namespace
}  // namespace smbsrv::codec
