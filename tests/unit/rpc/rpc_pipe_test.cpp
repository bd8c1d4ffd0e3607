// The DCE/RPC pipe endpoint (make_rpc_pipe): bind, alter_context, requests, fragments, faults and
// limits, with a fake interface; golden PDUs from impacket (tests/unit/rpc/impacket_vectors.py).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "unit/hex_util.hpp"
#include "rpc/pdu.hpp"
#include "rpc/rpc.hpp"

namespace smbsrv::rpc {
namespace {

using test::hex;
using test::unhex;
using Messages = std::vector<std::vector<std::uint8_t>>;

SyntaxId srvsvc() { return {uuid_from_string("4b324fc8-1670-01d3-1278-5a47bf6ee188"), 3, 0}; }
SyntaxId other_if() { return {uuid_from_string("6bffd098-a112-3610-9833-46c3f87e345a"), 1, 0}; }

// Opnum 0 echoes the stub; opnum 1 answers `n` bytes (n = the stub's first u32) counting up;
// opnum 2 faults with access denied; others: op_rng_error.
class FakeInterface : public Interface {
 public:
  explicit FakeInterface(SyntaxId s, int* calls = nullptr) : syntax_(s), calls_(calls) {}
  SyntaxId abstract_syntax() const override { return syntax_; }
  CallResult call(std::uint16_t opnum, std::span<const std::uint8_t> stub, const CallContext& ctx) override {
    if (calls_) ++*calls_;
    last_user = ctx.client.user;
    if (opnum == 0) return {0, {stub.begin(), stub.end()}};
    if (opnum == 1) {
      if (stub.size() < 4) return {kNcaFaultNdr, {}};
      std::uint32_t n = std::uint32_t{stub[0]} | (std::uint32_t{stub[1]} << 8) | (std::uint32_t{stub[2]} << 16) |
                        (std::uint32_t{stub[3]} << 24);
      CallResult r;
      for (std::uint32_t i = 0; i < n; ++i) r.stub.push_back(static_cast<std::uint8_t>(i));
      return r;
    }
    if (opnum == 2) return {kNcaFaultAccessDenied, {}};
    return {kNcaOpRangeError, {}};
  }
  std::string last_user;

 private:
  SyntaxId syntax_;
  int* calls_;
};

std::unique_ptr<PipeInstance> make_pipe(int* calls = nullptr, PipeLimits limits = {}) {
  std::vector<std::unique_ptr<Interface>> ifs;
  ifs.push_back(std::make_unique<FakeInterface>(srvsvc(), calls));
  PipeClient client;
  client.user = "alice";
  return make_rpc_pipe(std::move(ifs), "\\PIPE\\srvsvc", client, limits);
}

BindPdu bind_pdu(std::uint32_t call_id, std::vector<ContextElem> ctxs, PType type = PType::bind,
                 std::uint16_t frag = 4280) {
  BindPdu b;
  b.hdr.ptype = static_cast<std::uint8_t>(type);
  b.hdr.pfc_flags = kPfcFirstFrag | kPfcLastFrag;
  b.hdr.call_id = call_id;
  b.max_xmit_frag = b.max_recv_frag = frag;
  b.contexts = std::move(ctxs);
  return b;
}

std::vector<std::uint8_t> request(std::uint32_t call_id, std::uint16_t opnum, std::vector<std::uint8_t> stub,
                                  std::uint8_t flags = kPfcFirstFrag | kPfcLastFrag, std::uint16_t ctx = 0) {
  RequestPdu r;
  r.hdr.pfc_flags = flags;
  r.hdr.call_id = call_id;
  r.alloc_hint = static_cast<std::uint32_t>(stub.size());
  r.context_id = ctx;
  r.opnum = opnum;
  r.stub = stub;
  return encode_request(r);
}

std::vector<std::uint8_t> u32_stub(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 24)};
}

// Binds context 0 to srvsvc over NDR20; returns the ack.
BindAckPdu bind_ok(PipeInstance& p, std::uint16_t frag = 4280) {
  auto out = p.write(encode_bind(bind_pdu(1, {{0, srvsvc(), {ndr20_syntax()}}}, PType::bind, frag)));
  EXPECT_EQ(out.size(), 1u);
  auto ack = decode_bind_ack(out.at(0));
  EXPECT_TRUE(ack);
  return ack.value_or(BindAckPdu{});
}

FaultPdu expect_fault(const Messages& out, std::uint32_t status) {
  EXPECT_EQ(out.size(), 1u);
  if (out.size() != 1) return {};
  auto f = decode_fault(out[0]);
  EXPECT_TRUE(f) << hex(out[0]);
  if (!f) return {};
  EXPECT_EQ(f->status, status);
  EXPECT_EQ(f->hdr.ptype, static_cast<std::uint8_t>(PType::fault));
  return *f;
}

// impacket's bind (three contexts as Windows offers them: NDR20, NDR64, BTFN 0x3) and our
// bind_ack, which impacket_vectors.py parses with impacket's MSRPCBindAck.
constexpr const char* kImpacketBind =
    "05000b0310000000a000000001000000b810b810000000000300000000000100c84f324b7016d30112785a47bf6ee188"
    "03000000045d888aeb1cc9119fe808002b1048600200000001000100c84f324b7016d30112785a47bf6ee188030000"
    "0033057171babe37498319b5dbef9ccc360100000002000100c84f324b7016d30112785a47bf6ee188030000002c1c"
    "b76c12984045030000000000000001000000";
constexpr const char* kOurBindAck =
    "05000c03100000007400000001000000b810b810535300000d005c504950455c73727673766300000300000000000000045d888aeb1cc9119fe8"
    "08002b10486002000000020002000000000000000000000000000000000000000000030000000000000000000000000000000000000000000000";
constexpr const char* kImpacketRequestFirst = "05000001100000001c000000020000000400000000000f0001020304";
constexpr const char* kImpacketRequestLast = "05000002100000001c000000020000000400000000000f0005060708";

TEST(RpcPipe, ImpacketBindGetsTheGoldenBindAck) {
  auto p = make_pipe();
  auto out = p->write(unhex(kImpacketBind));
  ASSERT_EQ(out.size(), 1u);
  auto got = out[0];
  ASSERT_EQ(got.size(), 116u);
  // The assoc group is a fresh non-zero number; the golden bytes have 0x5353 there.
  std::uint32_t group = std::uint32_t{got[20]} | (std::uint32_t{got[21]} << 8) | (std::uint32_t{got[22]} << 16) |
                        (std::uint32_t{got[23]} << 24);
  EXPECT_NE(group, 0u);
  got[20] = 0x53; got[21] = 0x53; got[22] = 0; got[23] = 0;
  EXPECT_EQ(hex(got), hex(unhex(kOurBindAck)));
}

TEST(RpcPipe, BindResultsPerContext) {
  auto p = make_pipe();
  auto btfn = SyntaxId{uuid_from_string("6cb71c2c-9812-4540-0300-000000000000"), 1, 0};
  SyntaxId newer = srvsvc();
  newer.minor = 1;
  SyntaxId wrong_major = srvsvc();
  wrong_major.major = 2;
  auto out = p->write(encode_bind(bind_pdu(4, {{0, srvsvc(), {ndr64_syntax()}},
                                               {1, srvsvc(), {btfn}},
                                               {2, other_if(), {ndr20_syntax()}},
                                               {3, newer, {ndr20_syntax()}},
                                               {4, wrong_major, {ndr20_syntax()}},
                                               {5, srvsvc(), {ndr64_syntax(), ndr20_syntax()}}})));
  ASSERT_EQ(out.size(), 1u);
  auto ack = decode_bind_ack(out[0]);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->hdr.call_id, 4u);
  EXPECT_EQ(ack->secondary_address, "\\PIPE\\srvsvc");
  ASSERT_EQ(ack->results.size(), 6u);
  EXPECT_EQ(ack->results[0].result, kProviderRejection);
  EXPECT_EQ(ack->results[0].reason, kProposedTransferSyntaxesNotSupported);
  EXPECT_EQ(ack->results[1].result, kNegotiateAck);
  EXPECT_EQ(ack->results[1].reason, 0);
  EXPECT_EQ(ack->results[2].result, kProviderRejection);
  EXPECT_EQ(ack->results[2].reason, kAbstractSyntaxNotSupported);
  EXPECT_EQ(ack->results[3].reason, kAbstractSyntaxNotSupported);
  EXPECT_EQ(ack->results[4].reason, kAbstractSyntaxNotSupported);
  EXPECT_EQ(ack->results[5].result, kAcceptance);
  EXPECT_EQ(ack->results[5].transfer_syntax, ndr20_syntax());
  // Only context 5 was accepted.
  expect_fault(p->write(request(5, 0, {1}, kPfcFirstFrag | kPfcLastFrag, 0)), kNcaUnkIf);
  auto ok = p->write(request(6, 0, {1}, kPfcFirstFrag | kPfcLastFrag, 5));
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_TRUE(decode_response(ok[0]));
}

TEST(RpcPipe, FragmentSizesAndAssocGroup) {
  auto p = make_pipe();
  auto ack = bind_ok(*p, 5840);
  EXPECT_EQ(ack.max_xmit_frag, 4280);  // capped by ours
  EXPECT_NE(ack.assoc_group_id, 0u);
  auto q = make_pipe();
  BindPdu b = bind_pdu(1, {{0, srvsvc(), {ndr20_syntax()}}}, PType::bind, 2048);
  b.assoc_group_id = 0x77;
  auto out = q->write(encode_bind(b));
  auto a2 = decode_bind_ack(out.at(0));
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->max_xmit_frag, 2048);
  EXPECT_EQ(a2->max_recv_frag, 2048);
  EXPECT_EQ(a2->assoc_group_id, 0x77u);  // echoed
}

TEST(RpcPipe, RequestResponseRoundTrip) {
  auto p = make_pipe();
  bind_ok(*p);
  auto out = p->write(request(2, 0, {0xde, 0xad, 0xbe, 0xef}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(hex(out[0]), "05000203100000001c000000020000000400000000000000deadbeef");
}

TEST(RpcPipe, ImpacketFragmentedRequestIsReassembled) {
  auto p = make_pipe();
  bind_ok(*p);
  // impacket's two fragments carry opnum 15; our fake answers op_rng_error for it, so rebuild the
  // same fragments as opnum 0 (echo) after checking the golden bytes decode.
  auto first = unhex(kImpacketRequestFirst);
  auto last = unhex(kImpacketRequestLast);
  ASSERT_TRUE(decode_request(first));
  ASSERT_TRUE(decode_request(last));
  EXPECT_TRUE(p->write(first).empty());
  auto f = expect_fault(p->write(last), kNcaOpRangeError);
  EXPECT_TRUE(f.hdr.pfc_flags & kPfcDidNotExecute);
  EXPECT_EQ(f.hdr.call_id, 2u);
  first[22] = 0;
  last[22] = 0;
  EXPECT_TRUE(p->write(first).empty());
  auto out = p->write(last);
  ASSERT_EQ(out.size(), 1u);
  auto r = decode_response(out[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(hex(r->stub), "0102030405060708");
}

TEST(RpcPipe, BigResponseIsFragmented) {
  auto p = make_pipe();
  bind_ok(*p, 2048);
  const std::uint32_t n = 5000;
  auto out = p->write(request(3, 1, u32_stub(n)));
  const std::size_t room = (2048 - 24) & ~std::size_t{7};  // 2024
  ASSERT_EQ(out.size(), 3u);
  std::vector<std::uint8_t> all;
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto r = decode_response(out[i]);
    ASSERT_TRUE(r);
    EXPECT_LE(out[i].size(), 2048u);
    EXPECT_EQ(r->hdr.call_id, 3u);
    EXPECT_EQ(r->alloc_hint, n - all.size());
    EXPECT_EQ((r->hdr.pfc_flags & kPfcFirstFrag) != 0, i == 0);
    EXPECT_EQ((r->hdr.pfc_flags & kPfcLastFrag) != 0, i + 1 == out.size());
    if (i + 1 < out.size()) {
      EXPECT_EQ(r->stub.size(), room);
    }
    all.insert(all.end(), r->stub.begin(), r->stub.end());
  }
  ASSERT_EQ(all.size(), n);
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(all[i], static_cast<std::uint8_t>(i));
  // An empty response is one fragment.
  auto e = p->write(request(4, 1, u32_stub(0)));
  ASSERT_EQ(e.size(), 1u);
  auto r = decode_response(e[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hdr.pfc_flags, kPfcFirstFrag | kPfcLastFrag);
  EXPECT_EQ(r->stub.size(), 0u);
}

TEST(RpcPipe, FaultsFromTheInterface) {
  auto p = make_pipe();
  bind_ok(*p);
  auto f = expect_fault(p->write(request(7, 99, {})), kNcaOpRangeError);
  EXPECT_TRUE(f.hdr.pfc_flags & kPfcDidNotExecute);
  EXPECT_EQ(f.hdr.call_id, 7u);
  auto g = expect_fault(p->write(request(8, 2, {})), kNcaFaultAccessDenied);
  EXPECT_FALSE(g.hdr.pfc_flags & kPfcDidNotExecute);
  expect_fault(p->write(request(9, 1, {1})), kNcaFaultNdr);
  // The pipe still works.
  EXPECT_EQ(p->write(request(10, 0, {5})).size(), 1u);
}

TEST(RpcPipe, RequestBeforeBindAndSecondBind) {
  int calls = 0;
  auto p = make_pipe(&calls);
  expect_fault(p->write(request(1, 0, {1})), kNcaProtoError);
  bind_ok(*p);
  auto out = p->write(encode_bind(bind_pdu(2, {{0, srvsvc(), {ndr20_syntax()}}})));
  ASSERT_EQ(out.size(), 1u);
  auto nak = decode_bind_nak(out[0]);
  ASSERT_TRUE(nak);
  EXPECT_EQ(nak->hdr.call_id, 2u);
  EXPECT_EQ(nak->reason, kNakReasonNotSpecified);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(p->write(request(3, 0, {1})).size(), 1u);
  EXPECT_EQ(calls, 1);
}

TEST(RpcPipe, AlterContextAddsAContext) {
  std::vector<std::unique_ptr<Interface>> ifs;
  ifs.push_back(std::make_unique<FakeInterface>(srvsvc()));
  ifs.push_back(std::make_unique<FakeInterface>(other_if()));
  auto p = make_rpc_pipe(std::move(ifs), "\\PIPE\\srvsvc", PipeClient{});
  // alter_context before bind: fault.
  expect_fault(p->write(encode_bind(bind_pdu(1, {{1, other_if(), {ndr20_syntax()}}}, PType::alter_context))),
               kNcaProtoError);
  bind_ok(*p);
  auto out = p->write(encode_bind(bind_pdu(2, {{1, other_if(), {ndr20_syntax()}},
                                               {0, other_if(), {ndr20_syntax()}}}, PType::alter_context)));
  ASSERT_EQ(out.size(), 1u);
  auto a = decode_bind_ack(out[0]);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->hdr.ptype, static_cast<std::uint8_t>(PType::alter_context_resp));
  EXPECT_EQ(a->secondary_address, "");
  ASSERT_EQ(a->results.size(), 2u);
  EXPECT_EQ(a->results[0].result, kAcceptance);
  EXPECT_EQ(a->results[1].result, kProviderRejection);  // context 0 is srvsvc already
  EXPECT_EQ(p->write(request(3, 0, {1}, kPfcFirstFrag | kPfcLastFrag, 1)).size(), 1u);
}

TEST(RpcPipe, MalformedAndUnsupportedPdus) {
  auto p = make_pipe();
  // rpc_vers 4 bind: nak with the versions we speak.
  auto b = encode_bind(bind_pdu(1, {{0, srvsvc(), {ndr20_syntax()}}}));
  auto v4 = b;
  v4[0] = 4;
  auto out = p->write(v4);
  ASSERT_EQ(out.size(), 1u);
  auto nak = decode_bind_nak(out[0]);
  ASSERT_TRUE(nak);
  EXPECT_EQ(nak->reason, kNakProtocolVersionNotSupported);
  ASSERT_EQ(nak->versions.size(), 1u);
  // Big-endian drep: refused.
  auto be = b;
  be[4] = 0x00;
  EXPECT_TRUE(decode_bind_nak(p->write(be).at(0)));
  // Auth verifier: refused.
  auto auth = b;
  auth[10] = 8;
  auto an = decode_bind_nak(p->write(auth).at(0));
  ASSERT_TRUE(an);
  EXPECT_EQ(an->reason, kNakAuthenticationTypeNotRecognized);
  // frag_length longer than the message: one answer, nothing else.
  auto cut = b;
  cut.pop_back();
  EXPECT_TRUE(decode_bind_nak(p->write(cut).at(0)));
  // Garbage shorter than a header.
  expect_fault(p->write(std::vector<std::uint8_t>{5, 0}), kNcaProtoError);
  // A bind still works after all that.
  bind_ok(*p);
  // A response PDU from the client, an auth3 (no answer), an unknown type.
  auto resp = request(4, 0, {});
  resp[2] = static_cast<std::uint8_t>(PType::response);
  expect_fault(p->write(resp), kNcaProtoError);
  auto a3 = request(5, 0, {});
  a3[2] = static_cast<std::uint8_t>(PType::auth3);
  EXPECT_TRUE(p->write(a3).empty());
  auto unk = request(6, 0, {});
  unk[2] = 0x42;
  expect_fault(p->write(unk), kNcaProtoError);
  // Request with an auth verifier.
  auto ra = request(7, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  ra[10] = 8;
  expect_fault(p->write(ra), kNcaProtoError);
  EXPECT_EQ(p->write(request(8, 0, {1})).size(), 1u);
}

TEST(RpcPipe, TwoPdusInOneMessage) {
  auto p = make_pipe();
  auto msg = encode_bind(bind_pdu(1, {{0, srvsvc(), {ndr20_syntax()}}}));
  auto req = request(2, 0, {9});
  msg.insert(msg.end(), req.begin(), req.end());
  auto out = p->write(msg);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(decode_bind_ack(out[0]));
  EXPECT_TRUE(decode_response(out[1]));
}

TEST(RpcPipe, FragmentSequenceErrors) {
  int calls = 0;
  auto p = make_pipe(&calls);
  bind_ok(*p);
  // A middle fragment with no call in progress.
  expect_fault(p->write(request(1, 0, {1}, 0)), kNcaProtoError);
  // Its last fragment is swallowed (one answer per call).
  EXPECT_TRUE(p->write(request(1, 0, {1}, kPfcLastFrag)).empty());
  // A fragment of another call mid-reassembly drops both.
  EXPECT_TRUE(p->write(request(2, 0, {1}, kPfcFirstFrag)).empty());
  auto f = expect_fault(p->write(request(3, 0, {2}, kPfcLastFrag)), kNcaProtoError);
  EXPECT_EQ(f.hdr.call_id, 3u);
  // A new first fragment while one is open.
  EXPECT_TRUE(p->write(request(4, 0, {1}, kPfcFirstFrag)).empty());
  expect_fault(p->write(request(5, 0, {1}, kPfcFirstFrag | kPfcLastFrag)), kNcaProtoError);
  EXPECT_EQ(calls, 0);
  // Clean afterwards.
  auto out = p->write(request(6, 0, {7}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(calls, 1);
}

TEST(RpcPipe, Limits) {
  PipeLimits limits;
  limits.max_request = 8;
  limits.max_contexts = 2;
  int calls = 0;
  auto p = make_pipe(&calls, limits);
  auto nak = p->write(encode_bind(bind_pdu(1, {{0, srvsvc(), {ndr20_syntax()}},
                                               {1, srvsvc(), {ndr20_syntax()}},
                                               {2, srvsvc(), {ndr20_syntax()}}})));
  auto n = decode_bind_nak(nak.at(0));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->reason, kNakLocalLimitExceeded);
  bind_ok(*p);
  // 8 stub bytes in two fragments is fine; 9 is over, answered once, the rest swallowed.
  EXPECT_TRUE(p->write(request(2, 0, {1, 2, 3, 4}, kPfcFirstFrag)).empty());
  EXPECT_EQ(p->write(request(2, 0, {5, 6, 7, 8}, kPfcLastFrag)).size(), 1u);
  EXPECT_TRUE(p->write(request(3, 0, {1, 2, 3, 4, 5}, kPfcFirstFrag)).empty());
  expect_fault(p->write(request(3, 0, {6, 7, 8, 9}, 0)), kNcaProtoError);
  EXPECT_TRUE(p->write(request(3, 0, {1}, kPfcLastFrag)).empty());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(p->write(request(4, 0, {1})).size(), 1u);
  // alter_context past max_contexts: a per-context rejection.
  auto out = p->write(encode_bind(bind_pdu(5, {{1, srvsvc(), {ndr20_syntax()}},
                                               {2, srvsvc(), {ndr20_syntax()}}}, PType::alter_context)));
  auto a = decode_bind_ack(out.at(0));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->results.at(0).result, kAcceptance);
  EXPECT_EQ(a->results.at(1).reason, kLocalLimitExceeded);
  // A fragment larger than max_fragment is a protocol error.
  PipeLimits small;
  small.max_fragment = 100;
  auto q = make_pipe(nullptr, small);
  bind_ok(*q);
  expect_fault(q->write(request(6, 0, std::vector<std::uint8_t>(100, 1))), kNcaProtoError);
}

TEST(RpcPipe, TheCallSeesTheClient) {
  std::vector<std::unique_ptr<Interface>> ifs;
  auto fake = std::make_unique<FakeInterface>(srvsvc());
  FakeInterface* raw = fake.get();
  ifs.push_back(std::move(fake));
  PipeClient c;
  c.user = "bob";
  auto p = make_rpc_pipe(std::move(ifs), "\\PIPE\\srvsvc", c);
  bind_ok(*p);
  p->write(request(2, 0, {}));
  EXPECT_EQ(raw->last_user, "bob");
}

}  // namespace
}  // namespace smbsrv::rpc
