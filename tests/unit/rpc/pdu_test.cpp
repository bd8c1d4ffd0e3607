// Connection-oriented PDU codec (src/rpc/pdu.hpp): layouts, round trips and truncations.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "unit/hex_util.hpp"
#include "rpc/pdu.hpp"

namespace smbsrv::rpc {
namespace {

using test::hex;
using test::unhex;

// Every strict prefix fails, both as cut (frag_length then disagrees) and with frag_length
// patched to the cut length (so the body checks themselves are exercised).
void expect_every_truncation_fails(const std::vector<std::uint8_t>& in, std::size_t min_ok,
                                   const std::function<bool(Bytes)>& decode) {
  ASSERT_TRUE(decode(in));
  for (std::size_t n = 0; n < in.size(); ++n) {
    std::vector<std::uint8_t> cut(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(decode(cut)) << "prefix " << n;
    if (n >= 10 && n < min_ok) {
      cut[8] = static_cast<std::uint8_t>(n);
      cut[9] = static_cast<std::uint8_t>(n >> 8);
      EXPECT_FALSE(decode(cut)) << "patched prefix " << n;
    }
  }
}

SyntaxId srvsvc() { return {uuid_from_string("4b324fc8-1670-01d3-1278-5a47bf6ee188"), 3, 0}; }

BindPdu sample_bind() {
  BindPdu b;
  b.hdr.ptype = static_cast<std::uint8_t>(PType::bind);
  b.hdr.pfc_flags = kPfcFirstFrag | kPfcLastFrag;
  b.hdr.call_id = 1;
  b.max_xmit_frag = b.max_recv_frag = 4280;
  b.contexts.push_back({0, srvsvc(), {ndr20_syntax()}});
  b.contexts.push_back({1, srvsvc(), {ndr64_syntax(), ndr20_syntax()}});
  return b;
}

TEST(RpcPdu, BindRoundTripAndTruncations) {
  auto bytes = encode_bind(sample_bind());
  EXPECT_EQ(bytes.size(), 16u + 12u + 44u + 64u);
  auto d = decode_bind(bytes);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hdr.call_id, 1u);
  EXPECT_EQ(d->hdr.frag_length, bytes.size());
  ASSERT_EQ(d->contexts.size(), 2u);
  EXPECT_EQ(d->contexts[1].context_id, 1);
  EXPECT_EQ(d->contexts[1].abstract_syntax, srvsvc());
  ASSERT_EQ(d->contexts[1].transfer_syntaxes.size(), 2u);
  EXPECT_EQ(d->contexts[1].transfer_syntaxes[0], ndr64_syntax());
  expect_every_truncation_fails(bytes, bytes.size(), [](Bytes b) { return decode_bind(b).has_value(); });
}

TEST(RpcPdu, BindCountsAreCheckedBeforeAllocating) {
  auto bytes = encode_bind(sample_bind());
  bytes[24] = 0xFF;  // n_context_elem
  EXPECT_FALSE(decode_bind(bytes));
  bytes = encode_bind(sample_bind());
  bytes[28 + 2] = 0xFF;  // n_transfer_syn of the first element
  EXPECT_FALSE(decode_bind(bytes));
  bytes[28 + 2] = 0;  // none at all is malformed too
  EXPECT_FALSE(decode_bind(bytes));
}

TEST(RpcPdu, BindAckLayoutAndTruncations) {
  BindAckPdu a;
  a.hdr.ptype = static_cast<std::uint8_t>(PType::bind_ack);
  a.hdr.pfc_flags = kPfcFirstFrag | kPfcLastFrag;
  a.hdr.call_id = 7;
  a.max_xmit_frag = a.max_recv_frag = 4280;
  a.assoc_group_id = 0x1234;
  a.secondary_address = "\\PIPE\\x";  // 7 + NUL: 26 + 8 = 34, pad to 36
  a.results.push_back({kAcceptance, 0, ndr20_syntax()});
  auto bytes = encode_bind_ack(a);
  EXPECT_EQ(hex(bytes),
            "05000c03100000004000000007000000"   // header
            "b810b81034120000"                   // max_xmit, max_recv, assoc_group
            "08005c504950455c78000000"           // sec_addr "\\PIPE\\x" NUL, pad to 4
            "01000000"                           // n_results
            "00000000045d888aeb1cc9119fe808002b10486002000000");
  auto d = decode_bind_ack(bytes);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->secondary_address, "\\PIPE\\x");
  ASSERT_EQ(d->results.size(), 1u);
  EXPECT_EQ(d->results[0].transfer_syntax, ndr20_syntax());
  expect_every_truncation_fails(bytes, bytes.size(), [](Bytes b) { return decode_bind_ack(b).has_value(); });
  // alter_context_resp: empty secondary address, length 0.
  a.secondary_address.clear();
  a.hdr.ptype = static_cast<std::uint8_t>(PType::alter_context_resp);
  auto alt = encode_bind_ack(a);
  EXPECT_EQ(alt.size(), 28u + 4u + 24u);
  auto da = decode_bind_ack(alt);
  ASSERT_TRUE(da);
  EXPECT_EQ(da->secondary_address, "");
}

TEST(RpcPdu, BindNakLayoutAndTruncations) {
  BindNakPdu n;
  n.hdr.ptype = static_cast<std::uint8_t>(PType::bind_nak);
  n.hdr.call_id = 3;
  n.reason = kNakProtocolVersionNotSupported;
  n.versions = {{5, 0}};
  auto bytes = encode_bind_nak(n);
  EXPECT_EQ(hex(bytes), "05000d001000000018000000030000000400010500000000");
  auto d = decode_bind_nak(bytes);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, kNakProtocolVersionNotSupported);
  ASSERT_EQ(d->versions.size(), 1u);
  EXPECT_EQ(d->versions[0], (std::pair<std::uint8_t, std::uint8_t>{5, 0}));
  // The reason alone (18 bytes) is a complete nak; shorter is not.
  expect_every_truncation_fails(bytes, 18, [](Bytes b) { return decode_bind_nak(b).has_value(); });
}

TEST(RpcPdu, RequestWithObjectUuid) {
  RequestPdu r;
  r.hdr.pfc_flags = kPfcFirstFrag | kPfcLastFrag;
  r.hdr.call_id = 9;
  r.alloc_hint = 4;
  r.context_id = 1;
  r.opnum = 15;
  r.object = uuid_from_string("00112233-4455-6677-8899-aabbccddeeff");
  const std::uint8_t stub[] = {1, 2, 3, 4};
  r.stub = stub;
  auto bytes = encode_request(r);
  EXPECT_EQ(bytes.size(), 24u + 16u + 4u);
  EXPECT_EQ(bytes[3], kPfcFirstFrag | kPfcLastFrag | kPfcObjectUuid);
  auto d = decode_request(bytes);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->opnum, 15);
  EXPECT_EQ(d->context_id, 1);
  ASSERT_TRUE(d->object);
  EXPECT_EQ(*d->object, *r.object);
  EXPECT_EQ(hex(d->stub), "01020304");
  // The fixed part and the object UUID must be whole; the stub is whatever follows.
  expect_every_truncation_fails(bytes, 40, [](Bytes b) { return decode_request(b).has_value(); });
  bytes[10] = 8;  // auth_length: not on these pipes
  EXPECT_FALSE(decode_request(bytes));
}

TEST(RpcPdu, ResponseAndFault) {
  ResponsePdu r;
  r.hdr.ptype = static_cast<std::uint8_t>(PType::response);
  r.hdr.pfc_flags = kPfcFirstFrag | kPfcLastFrag;
  r.hdr.call_id = 2;
  r.alloc_hint = 4;
  const std::uint8_t stub[] = {0xde, 0xad, 0xbe, 0xef};
  r.stub = stub;
  auto bytes = encode_response(r);
  EXPECT_EQ(hex(bytes), "05000203100000001c000000020000000400000000000000deadbeef");
  expect_every_truncation_fails(bytes, 24, [](Bytes b) { return decode_response(b).has_value(); });

  FaultPdu f;
  f.hdr.ptype = static_cast<std::uint8_t>(PType::fault);
  f.hdr.pfc_flags = kPfcFirstFrag | kPfcLastFrag | kPfcDidNotExecute;
  f.hdr.call_id = 5;
  f.context_id = 1;
  f.status = kNcaOpRangeError;
  auto fb = encode_fault(f);
  EXPECT_EQ(hex(fb), "050003231000000020000000050000000000000001000000" "0200011c00000000");
  auto d = decode_fault(fb);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, kNcaOpRangeError);
  expect_every_truncation_fails(fb, fb.size(), [](Bytes b) { return decode_fault(b).has_value(); });
}

TEST(RpcPdu, SplitAndHeaderChecks) {
  auto bytes = encode_bind(sample_bind());
  auto two = bytes;
  two.insert(two.end(), bytes.begin(), bytes.end());
  auto s = split_pdu(two);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pdu.size(), bytes.size());
  EXPECT_FALSE(split_pdu(Bytes(bytes.data(), bytes.size() - 1)));  // frag_length beyond the message
  auto small = bytes;
  small[8] = 15;
  small[9] = 0;
  EXPECT_FALSE(split_pdu(small));  // frag_length below the header
  EXPECT_FALSE(split_pdu(Bytes(bytes.data(), 15)));
  auto h = decode_header(bytes);
  ASSERT_TRUE(h);
  EXPECT_TRUE(drep_supported(*h));
  h->drep[0] = 0x00;  // big-endian
  EXPECT_FALSE(drep_supported(*h));
}

TEST(RpcPdu, TransferSyntaxes) {
  EXPECT_EQ(hex(ndr20_syntax().uuid.bytes), "045d888aeb1cc9119fe808002b104860");
  EXPECT_EQ(btfn_bits({uuid_from_string("6cb71c2c-9812-4540-0300-000000000000"), 1, 0}), 3);
  EXPECT_EQ(btfn_bits({uuid_from_string("6cb71c2c-9812-4540-0100-000000000000"), 1, 0}), 1);
  EXPECT_FALSE(btfn_bits(ndr20_syntax()));
  EXPECT_FALSE(btfn_bits({uuid_from_string("6cb71c2c-9812-4540-0300-000000000001"), 1, 0}));
}

}  // namespace
}  // namespace smbsrv::rpc
