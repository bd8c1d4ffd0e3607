#include <gtest/gtest.h>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {
using test::rd16;
using test::rd32;
using test::rd64;

Header sample(bool async) {
  Header h;
  h.credit_charge = 2;
  h.status = 0xC0000022;
  h.command = Command::write;
  h.credit = 31;
  h.flags = kFlagServerToRedir | kFlagSigned | (async ? kFlagAsyncCommand : 0);
  h.next_command = 0;
  h.message_id = 0x0102030405060708ULL;
  if (async) h.async_id = 0xAABBCCDDEEFF0011ULL; else h.tree_id = 0x55667788;
  h.session_id = 0x99;
  for (std::size_t i = 0; i < 16; ++i) h.signature[i] = static_cast<std::uint8_t>(i + 1);
  return h;
}

TEST(Header, SyncRoundTrip) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_header(w, sample(false));
  ASSERT_EQ(out.size(), kHeaderSize);
  EXPECT_EQ(out[0], 0xFE);
  EXPECT_EQ(rd16(out, 4), 64);
  EXPECT_EQ(rd16(out, 12), static_cast<std::uint16_t>(Command::write));
  EXPECT_EQ(rd32(out, 32), 0u);
  EXPECT_EQ(rd32(out, 36), 0x55667788u);
  EXPECT_EQ(out[kSignatureOffset], 1);
  auto h = decode_header(out);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->credit_charge, 2);
  EXPECT_EQ(h->status, 0xC0000022u);
  EXPECT_EQ(h->command, Command::write);
  EXPECT_EQ(h->credit, 31);
  EXPECT_EQ(h->flags, sample(false).flags);
  EXPECT_EQ(h->message_id, 0x0102030405060708ULL);
  EXPECT_EQ(h->tree_id, 0x55667788u);
  EXPECT_EQ(h->async_id, 0u);
  EXPECT_EQ(h->session_id, 0x99u);
  EXPECT_EQ(h->signature, sample(false).signature);
}

TEST(Header, AsyncRoundTrip) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_header(w, sample(true));
  ASSERT_EQ(out.size(), kHeaderSize);
  EXPECT_EQ(rd64(out, 32), 0xAABBCCDDEEFF0011ULL);
  auto h = decode_header(out);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->async_id, 0xAABBCCDDEEFF0011ULL);
  EXPECT_EQ(h->tree_id, 0u);
  EXPECT_EQ(h->session_id, 0x99u);
}

TEST(Header, Rejects) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_header(w, sample(false));
  test::expect_truncations_fail(out, [](Bytes b) { return decode_header(b); });
  auto bad = out;
  bad[0] = 0xFF;
  test::expect_invalid(decode_header(bad));
  bad = out;
  bad[1] = 'X';
  test::expect_invalid(decode_header(bad));
  bad = out;
  bad[4] = 63;
  test::expect_invalid(decode_header(bad));
  bad = out;
  bad[12] = 0x13;
  test::expect_invalid(decode_header(bad));
  EXPECT_STREQ(command_name(Command::query_directory), "QUERY_DIRECTORY");
  EXPECT_STREQ(command_name(static_cast<Command>(0x99)), "UNKNOWN");
}

TEST(ErrorResponse, Layout) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_error_response(w);
  ASSERT_EQ(out.size(), 9u);
  EXPECT_EQ(rd16(out, 0), 9);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(rd32(out, 4), 0u);
  EXPECT_EQ(out[8], 0);
  out.clear();
  const std::uint8_t data[] = {1, 2, 3};
  encode_error_response(w, data);
  ASSERT_EQ(out.size(), 11u);
  EXPECT_EQ(rd32(out, 4), 3u);
  EXPECT_EQ(out[10], 3);
}

TEST(TransformHeader, RoundTripAndChecks) {
  TransformHeader t;
  t.signature.fill(0xAB);
  t.nonce.fill(0xCD);
  t.original_message_size = 5;
  t.flags = 1;
  t.session_id = 0x1234;
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_transform_header(w, t);
  ASSERT_EQ(out.size(), kTransformHeaderSize);
  EXPECT_EQ(out[0], 0xFD);
  EXPECT_EQ(rd32(out, 36), 5u);
  EXPECT_EQ(rd16(out, 42), 1);
  EXPECT_EQ(rd64(out, 44), 0x1234u);
  out.insert(out.end(), 5, 0x77);
  auto d = decode_transform_header(out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->signature, t.signature);
  EXPECT_EQ(d->nonce, t.nonce);
  EXPECT_EQ(d->original_message_size, 5u);
  EXPECT_EQ(d->flags, 1);
  EXPECT_EQ(d->session_id, 0x1234u);
  test::expect_truncations_fail(out, [](Bytes b) { return decode_transform_header(b); });
  out.push_back(0);  // size mismatch
  test::expect_invalid(decode_transform_header(out));
  out.pop_back();
  out[0] = 0xFE;
  test::expect_invalid(decode_transform_header(out));
}

std::vector<std::uint8_t> chain(const std::vector<std::uint32_t>& next, std::size_t last_body) {
  std::vector<std::uint8_t> frame;
  for (std::size_t i = 0; i < next.size(); ++i) {
    const std::size_t start = frame.size();
    test::Pdu p(Command::echo);
    p.put_u32(20, next[i]);
    frame.insert(frame.end(), p.data().begin(), p.data().end());
    const std::size_t len = next[i] != 0 ? next[i] : kHeaderSize + last_body;
    frame.resize(start + len, 0xEE);
  }
  return frame;
}

TEST(SplitCompound, ThreeMessages) {
  const auto frame = chain({72, 136, 0}, 4);
  auto parts = split_compound(frame);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].data(), frame.data());
  EXPECT_EQ((*parts)[0].size(), 72u);
  EXPECT_EQ((*parts)[1].data(), frame.data() + 72);
  EXPECT_EQ((*parts)[1].size(), 136u);
  EXPECT_EQ((*parts)[2].data(), frame.data() + 208);
  EXPECT_EQ((*parts)[2].size(), 68u);
  auto single = split_compound(chain({0}, 4));
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->size(), 1u);
}

TEST(SplitCompound, Violations) {
  auto f = chain({72, 0}, 4);
  f[20] = 76;  // unaligned
  test::expect_invalid(split_compound(f));
  f = chain({72, 0}, 4);
  f[20] = 56;  // smaller than a header
  test::expect_invalid(split_compound(f));
  f = chain({72, 0}, 4);
  f[20] = 0;
  f[21] = 1;  // 256: past the end
  test::expect_invalid(split_compound(f));
  f = chain({72, 0}, 4);
  f[20] = 136;  // exactly the end: the next header is missing
  test::expect_invalid(split_compound(f));
  f = chain({72, 0}, 4);
  f.resize(72 + 40);  // last message shorter than a header
  test::expect_invalid(split_compound(f));
  test::expect_invalid(split_compound(Bytes{}));
  std::vector<std::uint32_t> many(257, 64);
  many.back() = 0;
  test::expect_invalid(split_compound(chain(many, 0)));
  std::vector<std::uint32_t> max(256, 64);
  max.back() = 0;
  auto ok = split_compound(chain(max, 0));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 256u);
}

}  // namespace
}  // namespace smbsrv::codec
