// SESSION_SETUP, TREE_CONNECT and the StructureSize-4 commands (LOGOFF, TREE_DISCONNECT, ECHO,
// CANCEL).
#include <gtest/gtest.h>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {
using test::Pdu;
using test::rd16;
using test::rd32;

Pdu session_setup() {
  Pdu p(Command::session_setup);
  p.u16(25).u8(kSessionFlagBinding).u8(kSigningRequired).u32(kCapDfs).u32(0).u16(0x58).u16(5).u64(0x77);
  p.u8(0x60).u8(1).u8(2).u8(3).u8(4);
  return p;
}

TEST(SessionSetupRequest, DecodesAndRejects) {
  Pdu p = session_setup();
  auto r = decode_session_setup_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, kSessionFlagBinding);
  EXPECT_EQ(r->security_mode, kSigningRequired);
  EXPECT_EQ(r->capabilities, kCapDfs);
  EXPECT_EQ(r->previous_session_id, 0x77u);
  ASSERT_EQ(r->security_buffer.size(), 5u);
  EXPECT_EQ(r->security_buffer[0], 0x60);
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_session_setup_request(m); });
  Pdu bad = session_setup();
  bad.put_u16(64, 24);
  test::expect_invalid(decode_session_setup_request(bad.view()));
  bad = session_setup();
  bad.put_u16(64 + 12, 0x59);  // offset+length past the end
  test::expect_invalid(decode_session_setup_request(bad.view()));
  bad = session_setup();
  bad.put_u16(64 + 12, 0x40);  // into the fixed part
  test::expect_invalid(decode_session_setup_request(bad.view()));
  bad = session_setup();
  bad.put_u16(64 + 12, 0);
  bad.put_u16(64 + 14, 0);  // empty buffer, offset 0: accepted
  auto e = decode_session_setup_request(bad.view());
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->security_buffer.empty());
}

TEST(SessionSetupResponse, Layout) {
  SessionSetupResponse r;
  r.session_flags = kSessionFlagIsGuest;
  r.security_buffer = {0xA1, 0x02};
  std::vector<std::uint8_t> out(kHeaderSize);
  ByteWriter w(out);
  encode_session_setup_response(w, 0, r);
  ASSERT_EQ(out.size(), 0x48u + 2);
  EXPECT_EQ(rd16(out, 64), 9);
  EXPECT_EQ(rd16(out, 66), kSessionFlagIsGuest);
  EXPECT_EQ(rd16(out, 68), 0x48);
  EXPECT_EQ(rd16(out, 70), 2);
  EXPECT_EQ(out[0x48], 0xA1);
  std::vector<std::uint8_t> empty(kHeaderSize);
  ByteWriter we(empty);
  encode_session_setup_response(we, 0, SessionSetupResponse{});
  EXPECT_EQ(empty.size(), 64u + 9u);
  EXPECT_EQ(rd16(empty, 68), 0x48);
  EXPECT_EQ(rd16(empty, 70), 0);
}

Pdu tree_connect(std::string_view path) {
  Pdu p(Command::tree_connect);
  p.u16(9).u16(0).u16(0x48).u16(0).utf16(path);
  p.put_u16(64 + 6, static_cast<std::uint16_t>(p.pos() - 0x48));
  return p;
}

TEST(TreeConnectRequest, DecodesAndRejects) {
  Pdu p = tree_connect("\\\\srv\\share");
  auto r = decode_tree_connect_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "\\\\srv\\share");
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_tree_connect_request(m); });
  Pdu bad = tree_connect("\\\\srv\\share");
  bad.put_u16(64, 8);
  test::expect_invalid(decode_tree_connect_request(bad.view()));
  bad = tree_connect("\\\\srv\\share");
  bad.put_u16(64 + 6, 0x7FFF);
  test::expect_invalid(decode_tree_connect_request(bad.view()));
  bad = tree_connect("ab");
  bad.put_u16(64 + 6, 3);  // odd length
  test::expect_invalid(decode_tree_connect_request(bad.view()));
}

TEST(TreeConnectRequest, Extension) {
  Pdu p(Command::tree_connect);
  p.u16(9).u16(kTreeConnectFlagExtensionPresent).u16(0x58).u16(0);
  p.u32(0).u16(0).zeros(10);  // extension: no contexts
  p.utf16("\\\\h\\s");
  p.put_u16(64 + 6, static_cast<std::uint16_t>(p.pos() - 0x58));
  auto r = decode_tree_connect_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, kTreeConnectFlagExtensionPresent);
  EXPECT_EQ(r->path, "\\\\h\\s");
  test::expect_truncations_fail(p.data(), [](Bytes m) { return decode_tree_connect_request(m); });
  p.put_u16(64 + 4, 0x48);  // path overlapping the extension
  test::expect_invalid(decode_tree_connect_request(p.view()));
}

TEST(TreeConnectResponse, Layout) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_tree_connect_response(w, {kShareTypePipe, kShareFlagEncryptData, 0x8, 0x1F01FF});
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(rd16(out, 0), 16);
  EXPECT_EQ(out[2], kShareTypePipe);
  EXPECT_EQ(rd32(out, 4), kShareFlagEncryptData);
  EXPECT_EQ(rd32(out, 8), 0x8u);
  EXPECT_EQ(rd32(out, 12), 0x1F01FFu);
}

template <class Decode>
void check_size4(Command c, Decode decode) {
  Pdu p(c);
  p.u16(4).u16(0);
  EXPECT_TRUE(decode(p.view()).ok());
  test::expect_truncations_fail(p.data(), decode);
  p.put_u16(64, 5);
  test::expect_invalid(decode(p.view()));
}

TEST(SmallCommands, Requests) {
  check_size4(Command::logoff, [](Bytes m) { return decode_logoff_request(m); });
  check_size4(Command::tree_disconnect, [](Bytes m) { return decode_tree_disconnect_request(m); });
  check_size4(Command::echo, [](Bytes m) { return decode_echo_request(m); });
  check_size4(Command::cancel, [](Bytes m) { return decode_cancel_request(m); });
}

TEST(SmallCommands, Responses) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_logoff_response(w);
  encode_tree_disconnect_response(w);
  encode_echo_response(w);
  encode_flush_response(w);
  encode_lock_response(w);
  encode_set_info_response(w);
  ASSERT_EQ(out.size(), 5u * 4u + 2u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(rd16(out, i * 4), 4);
    EXPECT_EQ(rd16(out, i * 4 + 2), 0);
  }
  EXPECT_EQ(rd16(out, 20), 2);
}

}  // namespace
}  // namespace smbsrv::codec
