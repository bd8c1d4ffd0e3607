// IOCTL, QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO, SET_INFO.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {
using test::Pdu;
using test::rd16;
using test::rd32;
using test::rd64;

Pdu ioctl_req() {
  Pdu p(Command::ioctl);
  p.u16(57).u16(0).u32(kFsctlValidateNegotiateInfo).u64(~0ULL).u64(~0ULL);
  p.u32(0x78).u32(4).u32(0).u32(0x7C).u32(0).u32(24).u32(kIoctlIsFsctl).u32(0);
  p.u32(0xDEADBEEF);
  return p;
}

TEST(IoctlRequest, DecodesAndRejects) {
  Pdu p = ioctl_req();
  auto r = decode_ioctl_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ctl_code, kFsctlValidateNegotiateInfo);
  EXPECT_EQ(r->file_id, kAllOnesFileId);
  ASSERT_EQ(r->input.size(), 4u);
  EXPECT_EQ(r->input[0], 0xEF);
  EXPECT_EQ(r->max_output_response, 24u);
  EXPECT_EQ(r->flags, kIoctlIsFsctl);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_ioctl_request(m); });
  Pdu b = ioctl_req();
  b.put_u32(64 + 28, 5);
  test::expect_invalid(decode_ioctl_request(b.view()));
  b = ioctl_req();
  b.put_u32(64 + 24, 0xFFFFFFFE);
  test::expect_invalid(decode_ioctl_request(b.view()));
  b = ioctl_req();
  b.put_u32(64 + 40, 8);  // output buffer outside
  test::expect_invalid(decode_ioctl_request(b.view()));
  b = ioctl_req();
  b.put_u16(64, 56);
  test::expect_invalid(decode_ioctl_request(b.view()));
}

TEST(IoctlResponse, Layout) {
  IoctlResponse r;
  r.ctl_code = kFsctlPipeTransceive;
  r.file_id = {1, 2};
  r.output = {1, 2, 3, 4, 5, 6};
  std::vector<std::uint8_t> out(kHeaderSize);
  ByteWriter w(out);
  encode_ioctl_response(w, 0, r);
  ASSERT_EQ(out.size(), 0x70u + 6u);
  EXPECT_EQ(rd16(out, 64), 49);
  EXPECT_EQ(rd32(out, 68), kFsctlPipeTransceive);
  EXPECT_EQ(rd64(out, 72), 1u);
  EXPECT_EQ(rd32(out, 88), 0x70u);
  EXPECT_EQ(rd32(out, 92), 0u);
  EXPECT_EQ(rd32(out, 96), 0x70u);
  EXPECT_EQ(rd32(out, 100), 6u);
  EXPECT_EQ(out[0x70 + 5], 6);
}

// FSCTL_VALIDATE_NEGOTIATE_INFO input (2.2.31.4) as a Windows client sends it after an SMB 3.0.2
// negotiate: Capabilities, ClientGuid, SecurityMode, DialectCount, Dialects.
std::vector<std::uint8_t> validate_input(std::uint16_t count_field, std::size_t dialects_present) {
  std::vector<std::uint8_t> b;
  ByteWriter w(b);
  w.u32(0x0000007F);
  for (std::uint8_t i = 0; i < 16; ++i) w.u8(static_cast<std::uint8_t>(0xA0 + i));
  w.u16(kSigningEnabled);
  w.u16(count_field);
  const std::uint16_t dialects[] = {0x0202, 0x0210, 0x0300, 0x0302};
  for (std::size_t i = 0; i < dialects_present; ++i) w.u16(dialects[i % 4]);
  return b;
}

TEST(NetworkResiliencyRequest, DecodesAndRejectsTruncations) {
  const std::vector<std::uint8_t> in{0xE8, 0x03, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD};  // 1000 ms
  auto q = decode_network_resiliency_request(in);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->timeout_ms, 1000u);
  test::expect_truncations_fail(in, [](Bytes b) { return decode_network_resiliency_request(b); });
}

TEST(ValidateNegotiateInfo, Decodes) {
  const auto in = validate_input(4, 4);
  ASSERT_EQ(in.size(), 32u);
  auto v = decode_validate_negotiate_info(in);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->capabilities, 0x7Fu);
  EXPECT_EQ(v->guid[0], 0xA0);
  EXPECT_EQ(v->guid[15], 0xAF);
  EXPECT_EQ(v->security_mode, kSigningEnabled);
  EXPECT_EQ(v->dialects, (std::vector<std::uint16_t>{0x0202, 0x0210, 0x0300, 0x0302}));
  // One dialect, the smallest valid input (26 bytes).
  auto one = decode_validate_negotiate_info(validate_input(1, 1));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->dialects, (std::vector<std::uint16_t>{0x0202}));
  // Bytes after the dialects are ignored (the engine never looked at them).
  auto extra = decode_validate_negotiate_info(validate_input(2, 4));
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->dialects, (std::vector<std::uint16_t>{0x0202, 0x0210}));
}

TEST(ValidateNegotiateInfo, Truncations) {
  test::expect_truncations_fail(validate_input(4, 4), [](Bytes b) { return decode_validate_negotiate_info(b); });
  test::expect_truncations_fail(validate_input(1, 1), [](Bytes b) { return decode_validate_negotiate_info(b); });
}

TEST(ValidateNegotiateInfo, WrongValues) {
  test::expect_invalid(decode_validate_negotiate_info(validate_input(0, 0)));  // DialectCount 0
  test::expect_invalid(decode_validate_negotiate_info(validate_input(0, 4)));  // ... even with dialects
  test::expect_invalid(decode_validate_negotiate_info(validate_input(5, 4)));  // one more than present
  test::expect_invalid(decode_validate_negotiate_info(validate_input(0xFFFF, 4)));
  auto odd = validate_input(2, 2);
  odd.pop_back();  // half a dialect
  test::expect_invalid(decode_validate_negotiate_info(odd));
}

TEST(ValidateNegotiateInfo, ResponseLayout) {
  std::array<std::uint8_t, 16> guid{};
  for (std::size_t i = 0; i < guid.size(); ++i) guid[i] = static_cast<std::uint8_t>(0x10 + i);
  std::vector<std::uint8_t> out = {0xEE};  // appends after what the writer holds
  ByteWriter w(out);
  encode_validate_negotiate_response(w, kCapLargeMtu | kCapLeasing, guid, kSigningEnabled | kSigningRequired, 0x0302);
  ASSERT_EQ(out.size(), 1u + 24u);
  EXPECT_EQ(out[0], 0xEE);
  EXPECT_EQ(rd32(out, 1), kCapLargeMtu | kCapLeasing);
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(out[5 + i], guid[i]);
  EXPECT_EQ(rd16(out, 21), kSigningEnabled | kSigningRequired);
  EXPECT_EQ(rd16(out, 23), 0x0302);
  // The same bytes the engine wrote field by field.
  std::vector<std::uint8_t> ref;
  ByteWriter rw(ref);
  rw.u32(kCapLargeMtu | kCapLeasing);
  rw.bytes(guid);
  rw.u16(kSigningEnabled | kSigningRequired);
  rw.u16(0x0302);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin() + 1, out.end()), ref);
}

TEST(ObjectIdBuffer, MatchesTheEngineBytes) {
  for (std::uint64_t file_id : {std::uint64_t{0}, std::uint64_t{0x1234}, std::uint64_t{0x0102030405060708},
                                ~std::uint64_t{0}}) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    encode_object_id_buffer(w, object_id_of(file_id));
    // What engine/handlers/ioctl.cpp wrote by hand for FSCTL_CREATE_OR_GET_OBJECT_ID.
    std::vector<std::uint8_t> ref;
    ByteWriter rw(ref);
    rw.u64(file_id);
    rw.u64(0x736D6273727600ULL);
    rw.zeros(48);
    ASSERT_EQ(out.size(), kObjectIdBufferSize);
    EXPECT_EQ(out, ref) << file_id;
  }
  const auto id = object_id_of(0x0102030405060708);
  const std::array<std::uint8_t, 16> expect = {8, 7, 6, 5, 4, 3, 2, 1, 0x00, 0x76, 0x72, 0x73, 0x62, 0x6D, 0x73, 0x00};
  EXPECT_EQ(id, expect);
}

TEST(ObjectIdBuffer, AnyObjectId) {
  std::array<std::uint8_t, 16> id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(0xF0 | i);
  std::vector<std::uint8_t> out(3, 0x55);
  ByteWriter w(out);
  encode_object_id_buffer(w, id);
  ASSERT_EQ(out.size(), 3u + 64u);
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(out[3 + i], id[i]);
  for (std::size_t i = 16; i < 64; ++i) EXPECT_EQ(out[3 + i], 0) << i;  // Birth*, DomainId
}

Pdu qdir_req() {
  Pdu p(Command::query_directory);
  p.u16(33).u8(0x25).u8(kRestartScans).u32(0).u64(7).u64(8).u16(0x60).u16(0).u32(65536);
  p.utf16("*.txt");
  p.put_u16(64 + 26, 10);
  return p;
}

TEST(QueryDirectoryRequest, DecodesAndRejects) {
  Pdu p = qdir_req();
  auto r = decode_query_directory_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->file_information_class, 0x25);
  EXPECT_EQ(r->flags, kRestartScans);
  EXPECT_EQ(r->file_id, (FileId{7, 8}));
  EXPECT_EQ(r->file_name, "*.txt");
  EXPECT_EQ(r->output_buffer_length, 65536u);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_query_directory_request(m); });
  Pdu b = qdir_req();
  b.put_u16(64 + 26, 12);
  test::expect_invalid(decode_query_directory_request(b.view()));
  b = qdir_req();
  b.put_u16(64 + 24, 0x20);
  test::expect_invalid(decode_query_directory_request(b.view()));
  b = qdir_req();
  b.put_u16(64, 32);
  test::expect_invalid(decode_query_directory_request(b.view()));
}

TEST(ChangeNotifyRequest, DecodesAndRejects) {
  Pdu p(Command::change_notify);
  p.u16(32).u16(1).u32(4096).u64(1).u64(2).u32(0x17).u32(0);
  auto r = decode_change_notify_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, 1);
  EXPECT_EQ(r->output_buffer_length, 4096u);
  EXPECT_EQ(r->file_id, (FileId{1, 2}));
  EXPECT_EQ(r->completion_filter, 0x17u);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_change_notify_request(m); });
  p.put_u16(64, 33);
  test::expect_invalid(decode_change_notify_request(p.view()));
}

Pdu qinfo_req() {
  Pdu p(Command::query_info);
  p.u16(41).u8(kInfoQuota).u8(0x20).u32(1024).u16(0x68).u16(0).u32(8).u32(0x4).u32(0).u64(5).u64(6);
  p.u64(0x0102030405060708ULL);
  return p;
}

TEST(QueryInfoRequest, DecodesAndRejects) {
  Pdu p = qinfo_req();
  auto r = decode_query_info_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->info_type, kInfoQuota);
  EXPECT_EQ(r->file_info_class, 0x20);
  EXPECT_EQ(r->output_buffer_length, 1024u);
  EXPECT_EQ(r->additional_information, 4u);
  EXPECT_EQ(r->file_id, (FileId{5, 6}));
  ASSERT_EQ(r->input.size(), 8u);
  EXPECT_EQ(r->input[0], 8);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_query_info_request(m); });
  Pdu b = qinfo_req();
  b.put_u32(64 + 12, 9);
  test::expect_invalid(decode_query_info_request(b.view()));
  b = qinfo_req();
  b.put_u16(64 + 8, 0xFFFF);
  test::expect_invalid(decode_query_info_request(b.view()));
  b = qinfo_req();
  b.put_u16(64, 40);
  test::expect_invalid(decode_query_info_request(b.view()));
  // No input: 40-byte fixed part alone is enough, offset 0 accepted.
  Pdu e(Command::query_info);
  e.u16(41).u8(kInfoFile).u8(5).u32(24).u16(0).u16(0).u32(0).u32(0).u32(0).u64(5).u64(6);
  auto er = decode_query_info_request(e.view());
  ASSERT_TRUE(er.ok());
  EXPECT_TRUE(er->input.empty());
}

Pdu sinfo_req() {
  Pdu p(Command::set_info);
  p.u16(33).u8(kInfoFile).u8(0x14).u32(8).u16(0x60).u16(0).u32(0).u64(3).u64(4);
  p.u64(4096);
  return p;
}

TEST(SetInfoRequest, DecodesAndRejects) {
  Pdu p = sinfo_req();
  auto r = decode_set_info_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->info_type, kInfoFile);
  EXPECT_EQ(r->file_info_class, 0x14);
  EXPECT_EQ(r->file_id, (FileId{3, 4}));
  ASSERT_EQ(r->buffer.size(), 8u);
  EXPECT_EQ(r->buffer[1], 0x10);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_set_info_request(m); });
  Pdu b = sinfo_req();
  b.put_u32(64 + 4, 9);
  test::expect_invalid(decode_set_info_request(b.view()));
  b = sinfo_req();
  b.put_u16(64 + 8, 0x30);
  test::expect_invalid(decode_set_info_request(b.view()));
  b = sinfo_req();
  b.put_u16(64, 32);
  test::expect_invalid(decode_set_info_request(b.view()));
}

template <class Encode>
void check_output_response(Encode encode) {
  std::vector<std::uint8_t> out(10 + kHeaderSize, 0);
  ByteWriter w(out);
  const std::uint8_t data[] = {1, 2, 3};
  encode(w, 10, Bytes(data));
  ASSERT_EQ(out.size(), 10u + 0x48u + 3u);
  EXPECT_EQ(rd16(out, 10 + 64), 9);
  EXPECT_EQ(rd16(out, 10 + 66), 0x48);
  EXPECT_EQ(rd32(out, 10 + 68), 3u);
  EXPECT_EQ(out[10 + 0x48 + 2], 3);
  std::vector<std::uint8_t> empty(kHeaderSize);
  ByteWriter we(empty);
  encode(we, 0, Bytes{});
  ASSERT_EQ(empty.size(), 64u + 9u);
  EXPECT_EQ(rd16(empty, 66), 0x48);
  EXPECT_EQ(rd32(empty, 68), 0u);
}

TEST(OutputResponses, Layout) {
  check_output_response([](ByteWriter& w, std::size_t h, Bytes b) { encode_query_info_response(w, h, b); });
  check_output_response([](ByteWriter& w, std::size_t h, Bytes b) { encode_query_directory_response(w, h, b); });
  check_output_response([](ByteWriter& w, std::size_t h, Bytes b) { encode_change_notify_response(w, h, b); });
}

}  // namespace
}  // namespace smbsrv::codec
