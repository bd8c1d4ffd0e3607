// CLOSE, FLUSH, READ, WRITE, LOCK, OPLOCK_BREAK acknowledgments.
#include <gtest/gtest.h>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {
using test::Pdu;
using test::rd16;
using test::rd32;
using test::rd64;

TEST(CloseRequest, DecodesAndRejects) {
  Pdu p(Command::close);
  p.u16(24).u16(kClosePostqueryAttrib).u32(0).u64(5).u64(6);
  auto r = decode_close_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, kClosePostqueryAttrib);
  EXPECT_EQ(r->file_id, (FileId{5, 6}));
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_close_request(m); });
  p.put_u16(64, 25);
  test::expect_invalid(decode_close_request(p.view()));
}

TEST(CloseResponse, Layout) {
  CloseResponse c{kClosePostqueryAttrib, 1, 2, 3, 4, 4096, 100, 0x20};
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_close_response(w, c);
  ASSERT_EQ(out.size(), 60u);
  EXPECT_EQ(rd16(out, 0), 60);
  EXPECT_EQ(rd16(out, 2), kClosePostqueryAttrib);
  EXPECT_EQ(rd64(out, 8), 1u);
  EXPECT_EQ(rd64(out, 32), 4u);
  EXPECT_EQ(rd64(out, 40), 4096u);
  EXPECT_EQ(rd64(out, 48), 100u);
  EXPECT_EQ(rd32(out, 56), 0x20u);
}

TEST(FlushRequest, DecodesAndRejects) {
  Pdu p(Command::flush);
  p.u16(24).u16(0).u32(0).u64(~0ULL).u64(~0ULL);
  auto r = decode_flush_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->file_id, kAllOnesFileId);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_flush_request(m); });
  p.put_u16(64, 4);
  test::expect_invalid(decode_flush_request(p.view()));
}

Pdu read_req(bool with_info) {
  Pdu p(Command::read);
  p.u16(49).u8(0x50).u8(0).u32(65536).u64(4096).u64(1).u64(2).u32(1).u32(0).u32(0);
  p.u16(with_info ? 0x70 : 0).u16(with_info ? 16 : 0);
  if (with_info) {
    for (std::uint8_t i = 0; i < 16; ++i) p.u8(i);
  }
  return p;
}

TEST(ReadRequest, DecodesAndRejects) {
  Pdu p = read_req(false);  // 48-byte body: the Buffer byte absent
  auto r = decode_read_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->padding, 0x50);
  EXPECT_EQ(r->length, 65536u);
  EXPECT_EQ(r->offset, 4096u);
  EXPECT_EQ(r->file_id, (FileId{1, 2}));
  EXPECT_EQ(r->minimum_count, 1u);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_read_request(m); });
  p.u8(0);  // with the Buffer byte
  EXPECT_TRUE(decode_read_request(p.view()).ok());

  Pdu q = read_req(true);
  auto ri = decode_read_request(q.view());
  ASSERT_TRUE(ri.ok());
  ASSERT_EQ(ri->read_channel_info.size(), 16u);
  EXPECT_EQ(ri->read_channel_info[15], 15);
  test::expect_truncations_fail(q.data(), [](Bytes m) { return decode_read_request(m); });
  q.put_u16(64 + 46, 17);
  test::expect_invalid(decode_read_request(q.view()));
  Pdu s = read_req(false);
  s.put_u16(64, 48);
  test::expect_invalid(decode_read_request(s.view()));
}

TEST(ReadResponse, Layout) {
  std::vector<std::uint8_t> out(kHeaderSize);
  ByteWriter w(out);
  const std::uint8_t data[] = {7, 8, 9};
  encode_read_response(w, data);
  ASSERT_EQ(out.size(), 0x50u + 3u);
  EXPECT_EQ(rd16(out, 64), 17);
  EXPECT_EQ(out[66], 0x50);
  EXPECT_EQ(rd32(out, 68), 3u);
  EXPECT_EQ(rd32(out, 72), 0u);
  EXPECT_EQ(out[0x50], 7);
  std::vector<std::uint8_t> hdr_only;
  ByteWriter wh(hdr_only);
  encode_read_response_header(wh, 1000, 5);
  ASSERT_EQ(hdr_only.size(), 16u);
  EXPECT_EQ(rd32(hdr_only, 4), 1000u);
  EXPECT_EQ(rd32(hdr_only, 8), 5u);
}

Pdu write_req() {
  Pdu p(Command::write);
  p.u16(49).u16(0x70).u32(5).u64(123).u64(3).u64(4).u32(0).u32(0).u16(0).u16(0).u32(0);
  p.u8('h').u8('e').u8('l').u8('l').u8('o');
  return p;
}

TEST(WriteRequest, DecodesAndRejects) {
  Pdu p = write_req();
  auto r = decode_write_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->offset, 123u);
  EXPECT_EQ(r->file_id, (FileId{3, 4}));
  ASSERT_EQ(r->data.size(), 5u);
  EXPECT_EQ(r->data[4], 'o');
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_write_request(m); });
  Pdu b = write_req();
  b.put_u32(64 + 4, 6);  // Length past the end
  test::expect_invalid(decode_write_request(b.view()));
  b = write_req();
  b.put_u32(64 + 4, 0xFFFFFFFF);
  test::expect_invalid(decode_write_request(b.view()));
  b = write_req();
  b.put_u16(64 + 2, 0xFFFF);
  test::expect_invalid(decode_write_request(b.view()));
  b = write_req();
  b.put_u16(64 + 2, 0x40);  // into the fixed part
  test::expect_invalid(decode_write_request(b.view()));
  b = write_req();
  b.put_u16(64 + 40, 0x70);
  b.put_u16(64 + 42, 6);  // channel info past the end
  test::expect_invalid(decode_write_request(b.view()));
  b = write_req();
  b.put_u16(64, 48);
  test::expect_invalid(decode_write_request(b.view()));
}

TEST(WriteResponse, Layout) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_write_response(w, {5, 0});
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(rd16(out, 0), 17);
  EXPECT_EQ(rd32(out, 4), 5u);
}

Pdu lock_req(std::uint16_t count) {
  Pdu p(Command::lock);
  p.u16(48).u16(count).u32(0x12345678).u64(9).u64(10);
  for (std::uint16_t i = 0; i < count; ++i) p.u64(100u * i).u64(10).u32(kLockExclusive).u32(0);
  return p;
}

TEST(LockRequest, DecodesAndRejects) {
  Pdu p = lock_req(2);
  auto r = decode_lock_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->lock_sequence, 0x12345678u);
  EXPECT_EQ(r->file_id, (FileId{9, 10}));
  ASSERT_EQ(r->locks.size(), 2u);
  EXPECT_EQ(r->locks[1].offset, 100u);
  EXPECT_EQ(r->locks[1].length, 10u);
  EXPECT_EQ(r->locks[1].flags, kLockExclusive);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_lock_request(m); });
  Pdu z = lock_req(1);
  z.put_u16(66, 0);
  test::expect_invalid(decode_lock_request(z.view()));
  Pdu many = lock_req(1);
  many.put_u16(66, 0xFFFF);  // count larger than the message
  test::expect_invalid(decode_lock_request(many.view()));
  Pdu s = lock_req(1);
  s.put_u16(64, 24);
  test::expect_invalid(decode_lock_request(s.view()));
}

TEST(OplockBreakAck, OplockAndLease) {
  Pdu p(Command::oplock_break);
  p.u16(24).u8(1).u8(0).u32(0).u64(11).u64(12);
  auto r = decode_oplock_break_ack(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->is_lease);
  EXPECT_EQ(r->oplock_level, 1);
  EXPECT_EQ(r->file_id, (FileId{11, 12}));
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_oplock_break_ack(m); });

  Pdu l(Command::oplock_break);
  l.u16(36).u16(0).u32(0);
  for (std::uint8_t i = 0; i < 16; ++i) l.u8(static_cast<std::uint8_t>(0xA0 + i));
  l.u32(0x5).u64(0);
  auto lr = decode_oplock_break_ack(l.view());
  ASSERT_TRUE(lr.ok());
  EXPECT_TRUE(lr->is_lease);
  EXPECT_EQ(lr->lease_key[0], 0xA0);
  EXPECT_EQ(lr->lease_key[15], 0xAF);
  EXPECT_EQ(lr->lease_state, 5u);
  test::expect_truncations_fail(l.data(), [](Bytes m) { return decode_oplock_break_ack(m); });

  p.put_u16(64, 25);
  test::expect_invalid(decode_oplock_break_ack(p.view()));
  l.put_u16(64, 24);  // claims an oplock ack: the 36-byte body is still fine for 24
  EXPECT_TRUE(decode_oplock_break_ack(l.view()).ok());
}

TEST(LeaseContext, V1AndV2RoundTrip) {
  LeaseContext l;
  for (std::uint8_t i = 0; i < 16; ++i) l.key[i] = static_cast<std::uint8_t>(i + 1);
  l.state = kLeaseRead | kLeaseHandle | kLeaseWrite;
  l.flags = kLeaseFlagBreakInProgress;
  auto v1 = encode_lease_context(l);
  ASSERT_EQ(v1.size(), 32u);
  EXPECT_EQ(rd32(v1, 16), 7u);
  EXPECT_EQ(rd32(v1, 20), kLeaseFlagBreakInProgress);
  auto d1 = decode_lease_context(v1);
  ASSERT_TRUE(d1.ok());
  EXPECT_EQ(d1->version, 1);
  EXPECT_EQ(d1->key, l.key);
  EXPECT_EQ(d1->state, 7u);

  l.version = 2;
  l.parent_key[0] = 0x55;
  l.epoch = 0x1234;
  auto v2 = encode_lease_context(l);
  ASSERT_EQ(v2.size(), 52u);
  EXPECT_EQ(rd16(v2, 48), 0x1234);
  auto d2 = decode_lease_context(v2);
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(d2->version, 2);
  EXPECT_EQ(d2->parent_key[0], 0x55);
  EXPECT_EQ(d2->epoch, 0x1234);
  // Every other length is refused, including each truncation of either form.
  for (std::size_t n = 0; n < v2.size(); ++n) {
    if (n == 32) continue;
    EXPECT_FALSE(decode_lease_context(Bytes(v2.data(), n)).ok()) << n;
  }
  v2.push_back(0);
  EXPECT_FALSE(decode_lease_context(v2).ok());
}

TEST(OplockBreak, NotificationsAndResponsesLayout) {
  std::vector<std::uint8_t> o;
  ByteWriter w(o);
  encode_oplock_break(w, kOplockLevelII, FileId{7, 8});
  ASSERT_EQ(o.size(), 24u);
  EXPECT_EQ(rd16(o, 0), 24);
  EXPECT_EQ(o[2], kOplockLevelII);
  EXPECT_EQ(rd64(o, 8), 7u);
  EXPECT_EQ(rd64(o, 16), 8u);

  LeaseBreakNotification n;
  n.new_epoch = 3;
  n.flags = kLeaseBreakAckRequired;
  n.key[15] = 0xEE;
  n.current_state = 7;
  n.new_state = 3;
  std::vector<std::uint8_t> b;
  ByteWriter bw(b);
  encode_lease_break_notification(bw, n);
  ASSERT_EQ(b.size(), 44u);
  EXPECT_EQ(rd16(b, 0), 44);
  EXPECT_EQ(rd16(b, 2), 3);
  EXPECT_EQ(rd32(b, 4), kLeaseBreakAckRequired);
  EXPECT_EQ(b[23], 0xEE);
  EXPECT_EQ(rd32(b, 24), 7u);
  EXPECT_EQ(rd32(b, 28), 3u);

  std::vector<std::uint8_t> r;
  ByteWriter rw(r);
  encode_lease_break_response(rw, n.key, 1);
  ASSERT_EQ(r.size(), 36u);
  EXPECT_EQ(rd16(r, 0), 36);
  EXPECT_EQ(r[23], 0xEE);
  EXPECT_EQ(rd32(r, 24), 1u);
}

}  // namespace
}  // namespace smbsrv::codec
