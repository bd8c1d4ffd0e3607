// Durable-handle create contexts (MS-SMB2 2.2.13.2.3/.4/.11/.12, 2.2.14.2.3/.12): layouts, and
// every truncation and every longer buffer refused with INVALID_PARAMETER.
#include <gtest/gtest.h>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"
#include "util/byte_writer.hpp"

namespace smbsrv::codec {
namespace {

std::vector<std::uint8_t> guid(std::uint8_t first) {
  std::vector<std::uint8_t> g(16);
  for (std::size_t i = 0; i < 16; ++i) g[i] = static_cast<std::uint8_t>(first + i);
  return g;
}

template <class Decode>
void expect_exact_size(const std::vector<std::uint8_t>& valid, Decode decode) {
  test::expect_truncations_fail(valid, decode);
  auto longer = valid;
  longer.push_back(0);
  auto r = decode(Bytes(longer));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
}

TEST(DurableContexts, RequestV1) {
  const std::vector<std::uint8_t> d(16, 0xAA);  // reserved: ignored
  EXPECT_TRUE(decode_durable_request(Bytes(d)).ok());
  expect_exact_size(d, [](Bytes b) { return decode_durable_request(b); });
}

// Not a durable-handle context, but a fixed-size one too: SMB2_CREATE_ALLOCATION_SIZE (2.2.13.2.6).
TEST(DurableContexts, AllocationSize) {
  const std::vector<std::uint8_t> d = {0x10, 0x27, 0, 0, 0, 0, 0, 0};
  auto a = decode_allocation_size(Bytes(d));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 10000u);
  expect_exact_size(d, [](Bytes b) { return decode_allocation_size(b); });
}

TEST(DurableContexts, ReconnectV1) {
  std::vector<std::uint8_t> d;
  ByteWriter w(d);
  w.u64(0x1122334455667788);
  w.u64(0x99);
  auto r = decode_durable_reconnect(Bytes(d));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->persistent, 0x1122334455667788u);
  EXPECT_EQ(r->volatile_, 0x99u);
  expect_exact_size(d, [](Bytes b) { return decode_durable_reconnect(b); });
}

TEST(DurableContexts, RequestV2) {
  std::vector<std::uint8_t> d;
  ByteWriter w(d);
  w.u32(60000);
  w.u32(kDurableFlagPersistent);
  w.u64(0xFFFFFFFFFFFFFFFF);  // reserved: ignored
  for (auto b : guid(1)) w.u8(b);
  auto r = decode_durable_request_v2(Bytes(d));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->timeout_ms, 60000u);
  EXPECT_EQ(r->flags, kDurableFlagPersistent);
  EXPECT_EQ(std::vector<std::uint8_t>(r->create_guid.begin(), r->create_guid.end()), guid(1));
  expect_exact_size(d, [](Bytes b) { return decode_durable_request_v2(b); });
}

TEST(DurableContexts, AppInstanceId) {  // 2.2.13.2.13
  std::vector<std::uint8_t> d;
  ByteWriter w(d);
  w.u16(20);
  w.u16(0);
  for (auto b : guid(7)) w.u8(b);
  auto r = decode_app_instance_id(Bytes(d));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::vector<std::uint8_t>(r->begin(), r->end()), guid(7));
  expect_exact_size(d, [](Bytes b) { return decode_app_instance_id(b); });
  d[0] = 24;  // a wrong StructureSize
  EXPECT_EQ(decode_app_instance_id(Bytes(d)).status(), NtStatus::invalid_parameter);
}

TEST(DurableContexts, AppInstanceVersion) {  // 2.2.13.2.15
  std::vector<std::uint8_t> d;
  ByteWriter w(d);
  w.u16(24);
  w.u16(0);
  w.u32(0xFFFFFFFF);  // padding: ignored
  w.u64(3);
  w.u64(9);
  auto r = decode_app_instance_version(Bytes(d));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->high, 3u);
  EXPECT_EQ(r->low, 9u);
  expect_exact_size(d, [](Bytes b) { return decode_app_instance_version(b); });
  d[0] = 20;
  EXPECT_EQ(decode_app_instance_version(Bytes(d)).status(), NtStatus::invalid_parameter);
}

TEST(DurableContexts, ReconnectV2) {
  std::vector<std::uint8_t> d;
  ByteWriter w(d);
  w.u64(5);
  w.u64(6);
  for (auto b : guid(0x40)) w.u8(b);
  w.u32(0);
  auto r = decode_durable_reconnect_v2(Bytes(d));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->file_id, (FileId{5, 6}));
  EXPECT_EQ(std::vector<std::uint8_t>(r->create_guid.begin(), r->create_guid.end()), guid(0x40));
  EXPECT_EQ(r->flags, 0u);
  expect_exact_size(d, [](Bytes b) { return decode_durable_reconnect_v2(b); });
}

TEST(DurableContexts, Responses) {
  EXPECT_EQ(encode_durable_response(), std::vector<std::uint8_t>(8, 0));
  EXPECT_EQ(encode_durable_response_v2(300000, 0),
            (std::vector<std::uint8_t>{0xE0, 0x93, 0x04, 0x00, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace smbsrv::codec
