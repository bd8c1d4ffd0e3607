#include <gtest/gtest.h>

#include <algorithm>

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

TEST(Header, PutHeaderWritesWhatEncodeHeaderAppends) {
  for (bool async : {false, true}) {
    std::vector<std::uint8_t> appended;
    ByteWriter w(appended);
    encode_header(w, sample(async));
    std::vector<std::uint8_t> in_place(kHeaderSize, 0xEE);
    put_header(std::span<std::uint8_t, kHeaderSize>(in_place.data(), kHeaderSize), sample(async));
    EXPECT_EQ(in_place, appended) << (async ? "async" : "sync");
  }
}

TEST(Header, ProtocolOfAFrame) {
  using P = Protocol;
  auto of = [](std::initializer_list<std::uint8_t> b) { return protocol_of(std::vector<std::uint8_t>(b)); };
  EXPECT_EQ(of({0xFF, 'S', 'M', 'B', 0x72}), P::smb1);
  EXPECT_EQ(of({0xFE, 'S', 'M', 'B'}), P::smb2);
  EXPECT_EQ(of({0xFD, 'S', 'M', 'B'}), P::transform);
  EXPECT_EQ(of({0xFC, 'S', 'M', 'B'}), P::compressed);
  EXPECT_EQ(of({0xFE, 'S', 'M', 'X'}), P::other);
  EXPECT_EQ(of({0x00, 'S', 'M', 'B'}), P::other);
  EXPECT_EQ(of({0xFE, 'S', 'M'}), P::other);  // too short
  EXPECT_EQ(of({}), P::other);
}

TEST(Header, BufferTooSmallErrorCarriesTheSizeNeeded) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_buffer_too_small_response(w, 0x01020304);
  // StructureSize 9, ErrorContextCount 0, Reserved, ByteCount 4, ErrorData: the size.
  EXPECT_EQ(out, (std::vector<std::uint8_t>{9, 0, 0, 0, 4, 0, 0, 0, 0x04, 0x03, 0x02, 0x01}));
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

std::vector<std::uint8_t> encoded(const Header& h) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_header(w, h);
  return out;
}

void set_raw_command(std::vector<std::uint8_t>& msg, std::uint16_t cmd) {
  msg[12] = static_cast<std::uint8_t>(cmd);
  msg[13] = static_cast<std::uint8_t>(cmd >> 8);
}

TEST(HeaderAnyCommand, RoundTripKnownCommands) {
  for (bool async : {false, true}) {
    const auto out = encoded(sample(async));
    auto any = decode_header_any_command(out);
    auto strict = decode_header(out);
    ASSERT_TRUE(any.ok());
    ASSERT_TRUE(strict.ok());
    EXPECT_EQ(any->command, Command::write);
    EXPECT_EQ(any->credit_charge, strict->credit_charge);
    EXPECT_EQ(any->status, strict->status);
    EXPECT_EQ(any->credit, strict->credit);
    EXPECT_EQ(any->flags, strict->flags);
    EXPECT_EQ(any->next_command, strict->next_command);
    EXPECT_EQ(any->message_id, strict->message_id);
    EXPECT_EQ(any->async_id, strict->async_id);
    EXPECT_EQ(any->tree_id, strict->tree_id);
    EXPECT_EQ(any->session_id, strict->session_id);
    EXPECT_EQ(any->signature, strict->signature);
  }
  for (std::uint16_t c = 0; c < kCommandCount; ++c) {
    Header h = sample(false);
    h.command = static_cast<Command>(c);
    auto d = decode_header_any_command(encoded(h));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->command, h.command);
  }
}

TEST(HeaderAnyCommand, UnknownCommandsKeepTheRawValue) {
  for (std::uint16_t raw : {std::uint16_t{0x13}, std::uint16_t{0x0100}, std::uint16_t{0xFFFF}}) {
    auto out = encoded(sample(false));
    set_raw_command(out, raw);
    test::expect_invalid(decode_header(out));
    auto d = decode_header_any_command(out);
    ASSERT_TRUE(d.ok()) << raw;
    EXPECT_EQ(static_cast<std::uint16_t>(d->command), raw);
    EXPECT_STREQ(command_name(d->command), "UNKNOWN");
    EXPECT_EQ(d->message_id, 0x0102030405060708ULL);
    EXPECT_EQ(d->tree_id, 0x55667788u);
    EXPECT_EQ(d->session_id, 0x99u);
    // Re-encoding gives the same bytes back.
    EXPECT_EQ(encoded(*d), out);
  }
}

TEST(HeaderAnyCommand, OtherChecksStay) {
  auto out = encoded(sample(true));
  set_raw_command(out, 0xFFFF);
  test::expect_truncations_fail(out, [](Bytes b) { return decode_header_any_command(b); });
  auto bad = out;
  bad[0] = 0xFD;
  test::expect_invalid(decode_header_any_command(bad));
  bad = out;
  bad[3] = 'X';
  test::expect_invalid(decode_header_any_command(bad));
  bad = out;
  bad[4] = 65;
  test::expect_invalid(decode_header_any_command(bad));
  bad = out;
  bad[5] = 1;  // StructureSize 0x0140
  test::expect_invalid(decode_header_any_command(bad));
  // A longer message (a body follows) is fine.
  out.resize(out.size() + 8, 0xAA);
  auto d = decode_header_any_command(out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->async_id, 0xAABBCCDDEEFF0011ULL);
}

TEST(PeekCommand, RawValueOfAFullHeader) {
  auto out = encoded(sample(false));
  EXPECT_EQ(peek_command(out), Command::write);
  set_raw_command(out, static_cast<std::uint16_t>(Command::cancel));
  EXPECT_EQ(peek_command(out), Command::cancel);
  set_raw_command(out, 0x13);
  EXPECT_EQ(peek_command(out), static_cast<Command>(0x13));
  set_raw_command(out, 0xFFFF);
  EXPECT_EQ(peek_command(out), static_cast<Command>(0xFFFF));
  // Nothing else is checked: a zeroed 64-byte block is NEGOTIATE.
  const std::vector<std::uint8_t> zeros(kHeaderSize, 0);
  EXPECT_EQ(peek_command(zeros), Command::negotiate);
  // Every message shorter than a header: nullopt (exactly sized copies, for ASan).
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    const std::vector<std::uint8_t> prefix(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(peek_command(prefix).has_value()) << n;
  }
}

TEST(HeaderInPlace, MarkSignedAndSetFlags) {
  Header h = sample(false);
  h.flags = kFlagServerToRedir | kFlagRelatedOperations;
  auto out = encoded(h);
  const auto before = out;
  mark_signed(out);
  EXPECT_EQ(out[16], kFlagServerToRedir | kFlagRelatedOperations | kFlagSigned);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i != 16) {
      EXPECT_EQ(out[i], before[i]) << i;
    }
  }
  mark_signed(out);  // idempotent
  auto d = decode_header(out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->flags, kFlagServerToRedir | kFlagRelatedOperations | kFlagSigned);
  set_flags(out, kFlagReplayOperation | kFlagDfsOperations);
  d = decode_header(out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->flags, kFlagServerToRedir | kFlagRelatedOperations | kFlagSigned |
                          kFlagReplayOperation | kFlagDfsOperations);
  EXPECT_EQ(rd32(out, 16), d->flags);
  // Works on a header inside a longer buffer (a span of a compound response).
  std::vector<std::uint8_t> frame(8 + kHeaderSize + 16, 0x22);
  std::fill_n(frame.begin(), 8, std::uint8_t{0x11});
  std::copy(before.begin(), before.end(), frame.begin() + 8);
  mark_signed(std::span<std::uint8_t>(frame).subspan(8, kHeaderSize + 16));
  EXPECT_EQ(frame[8 + 16], before[16] | kFlagSigned);
  EXPECT_EQ(frame[7], 0x11);
  EXPECT_EQ(frame.back(), 0x22);
}

TEST(HeaderInPlace, SetNextCommand) {
  auto out = encoded(sample(false));
  const auto before = out;
  set_next_command(out, 0x12345678);
  EXPECT_EQ(rd32(out, 20), 0x12345678u);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i < 20 || i >= 24) {
      EXPECT_EQ(out[i], before[i]) << i;
    }
  }
  auto d = decode_header(out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->next_command, 0x12345678u);
  set_next_command(out, 0);
  EXPECT_EQ(out, before);
}

TEST(HeaderInPlace, ShortBuffersAreLeftAlone) {
  const auto full = encoded(sample(false));
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    std::vector<std::uint8_t> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    const auto copy = prefix;
    mark_signed(prefix);
    set_flags(prefix, 0xFFFFFFFF);
    set_next_command(prefix, 0xFFFFFFFF);
    EXPECT_EQ(prefix, copy) << n;
  }
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
