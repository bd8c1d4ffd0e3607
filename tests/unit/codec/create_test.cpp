#include <gtest/gtest.h>

#include <string>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {
using test::Pdu;
using test::rd16;
using test::rd32;
using test::rd64;

constexpr std::size_t kNameOffsetAt = 64 + 44, kContextsOffsetAt = 64 + 48;

struct Built {
  Pdu p{Command::create};
  std::size_t ctx0 = 0, ctx1 = 0;
};

// CREATE "dir\file.txt" with contexts MxAc (no data) and QFid... plus DHnQ with 16 data bytes.
Built build(std::string_view name = "dir\\file.txt") {
  Built b;
  Pdu& p = b.p;
  p.u16(57).u8(0).u8(0x09).u32(2).u64(0).u64(0);
  p.u32(0x120089).u32(0x80).u32(7).u32(1).u32(0x40);
  p.u16(0).u16(0).u32(0).u32(0);
  const std::size_t name_at = p.pos();
  p.utf16(name);
  p.put_u16(kNameOffsetAt, static_cast<std::uint16_t>(name_at));
  p.put_u16(kNameOffsetAt + 2, static_cast<std::uint16_t>(p.pos() - name_at));
  p.align(8);
  b.ctx0 = p.pos();
  // context 0: "MxAc", no data; Next = 24
  p.u32(24).u16(16).u16(4).u16(0).u16(0).u32(0);
  p.u8('M').u8('x').u8('A').u8('c').zeros(4);
  b.ctx1 = p.pos();
  // context 1: "DHnQ", data 16 bytes at offset 24; last
  p.u32(0).u16(16).u16(4).u16(0).u16(24).u32(16);
  p.u8('D').u8('H').u8('n').u8('Q').zeros(4);
  for (std::uint8_t i = 0; i < 16; ++i) p.u8(i);
  p.put_u32(kContextsOffsetAt, static_cast<std::uint32_t>(b.ctx0));
  p.put_u32(kContextsOffsetAt + 4, static_cast<std::uint32_t>(p.pos() - b.ctx0));
  return b;
}

std::string str(Bytes b) { return std::string(b.begin(), b.end()); }

TEST(CreateRequest, Decodes) {
  Built b = build();
  auto r = decode_create_request(b.p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->requested_oplock_level, 0x09);
  EXPECT_EQ(r->impersonation_level, 2u);
  EXPECT_EQ(r->desired_access, 0x120089u);
  EXPECT_EQ(r->file_attributes, 0x80u);
  EXPECT_EQ(r->share_access, 7u);
  EXPECT_EQ(r->create_disposition, 1u);
  EXPECT_EQ(r->create_options, 0x40u);
  EXPECT_EQ(r->name, "dir\\file.txt");
  ASSERT_EQ(r->create_contexts.size(), 2u);
  EXPECT_EQ(str(r->create_contexts[0].name), "MxAc");
  EXPECT_TRUE(r->create_contexts[0].data.empty());
  EXPECT_EQ(str(r->create_contexts[1].name), "DHnQ");
  ASSERT_EQ(r->create_contexts[1].data.size(), 16u);
  EXPECT_EQ(r->create_contexts[1].data[15], 15);
}

TEST(CreateRequest, RootNoContexts) {
  Pdu p(Command::create);
  p.u16(57).u8(0).u8(0).u32(2).u64(0).u64(0).u32(1).u32(0).u32(7).u32(1).u32(0);
  p.u16(0x78).u16(0).u32(0).u32(0).u8(0);
  auto r = decode_create_request(p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name, "");
  EXPECT_TRUE(r->create_contexts.empty());
}

TEST(CreateRequest, Truncations) {
  Built b = build();
  test::expect_truncations_fail(b.p.data(), [](Bytes m) { return decode_create_request(m); });
}

TEST(CreateRequest, BadName) {
  Built b = build();
  b.p.put_u16(kNameOffsetAt + 2, 23);  // odd NameLength
  auto r = decode_create_request(b.p.view());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), NtStatus::object_name_invalid);
  Built s = build("ab");
  const std::size_t name_at = rd16(s.p.data(), kNameOffsetAt);
  s.p.data()[name_at] = 0x00;
  s.p.data()[name_at + 1] = 0xD8;  // lone high surrogate: a name Windows stores, kept as it is
  auto r2 = decode_create_request(s.p.view());
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->name, "\xED\xA0\x80" "b");
  Built o = build();
  o.p.put_u16(kNameOffsetAt, 0xFFF0);  // outside → invalid_parameter
  test::expect_invalid(decode_create_request(o.p.view()));
  Built f = build();
  f.p.put_u16(kNameOffsetAt, 64);  // into the header/fixed part
  test::expect_invalid(decode_create_request(f.p.view()));
}

TEST(CreateRequest, BadStructureSize) {
  Built b = build();
  b.p.put_u16(64, 56);
  test::expect_invalid(decode_create_request(b.p.view()));
}

TEST(CreateRequest, ContextChainViolations) {
  auto check = [](auto mutate) {
    Built b = build();
    mutate(b);
    test::expect_invalid(decode_create_request(b.p.view()));
  };
  check([](Built& b) { b.p.put_u32(b.ctx0, 20); });        // unaligned Next
  check([](Built& b) { b.p.put_u32(b.ctx0, 0xFFFFFFF8); });  // past the end
  check([](Built& b) { b.p.put_u32(b.ctx0, 8); });        // overlaps the next context's name
  check([](Built& b) { b.p.put_u32(b.ctx1, 0xFFFFFFE8); });  // backward (-24 as u32)
  check([](Built& b) { b.p.put_u32(b.ctx0 + 0, 64); });    // exactly the area end
  check([](Built& b) { b.p.put_u16(b.ctx0 + 4, 22); });    // name past the context (Next=24)
  check([](Built& b) { b.p.put_u16(b.ctx0 + 4, 0); });     // name inside the fixed part
  check([](Built& b) { b.p.put_u16(b.ctx0 + 6, 0); });     // empty name
  check([](Built& b) { b.p.put_u32(b.ctx1 + 12, 17); });   // data past the area
  check([](Built& b) { b.p.put_u16(b.ctx1 + 10, 0xFFFF); });
  check([](Built& b) { b.p.put_u32(kContextsOffsetAt, static_cast<std::uint32_t>(b.ctx0 + 4)); });
  check([](Built& b) { b.p.put_u32(kContextsOffsetAt + 4, 0xFFFFFF); });
  check([](Built& b) { b.p.put_u32(kContextsOffsetAt + 4, 10); });  // area shorter than a context
}

TEST(CreateRequest, ContextCountCapped) {
  auto make = [](std::size_t n) {
    Pdu p(Command::create);
    p.u16(57).u8(0).u8(0).u32(2).u64(0).u64(0).u32(1).u32(0).u32(7).u32(1).u32(0);
    p.u16(0).u16(0).u32(0x78).u32(0);
    for (std::size_t i = 0; i < n; ++i)
      p.u32(i + 1 == n ? 0 : 24).u16(16).u16(4).u16(0).u16(0).u32(0).u8('A').u8('B').u8('C').u8('D').zeros(4);
    p.put_u32(kContextsOffsetAt + 4, static_cast<std::uint32_t>(p.pos() - 0x78));
    return p;
  };
  auto ok = decode_create_request(make(64).view());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->create_contexts.size(), 64u);
  test::expect_invalid(decode_create_request(make(65).view()));
}

TEST(CreateResponse, LayoutWithContexts) {
  CreateResponse r;
  r.oplock_level = 0xFF;
  r.flags = 0;
  r.create_action = 2;
  r.creation_time = 1;
  r.last_access_time = 2;
  r.last_write_time = 3;
  r.change_time = 4;
  r.allocation_size = 4096;
  r.end_of_file = 10;
  r.file_attributes = 0x20;
  r.file_id = {0x11, 0x22};
  r.create_contexts.push_back({"MxAc", {0, 0, 0, 0, 0xFF, 0x01, 0x1F, 0x00}});
  r.create_contexts.push_back({"QFid", std::vector<std::uint8_t>(32, 0x5A)});
  const std::size_t hdr = 5;  // the header does not start at 0
  std::vector<std::uint8_t> out(hdr + kHeaderSize, 0xAA);
  ByteWriter w(out);
  encode_create_response(w, hdr, r);
  const std::size_t b = hdr + 64;
  EXPECT_EQ(rd16(out, b), 89);
  EXPECT_EQ(out[b + 2], 0xFF);
  EXPECT_EQ(rd32(out, b + 4), 2u);
  EXPECT_EQ(rd64(out, b + 8), 1u);
  EXPECT_EQ(rd64(out, b + 32), 4u);
  EXPECT_EQ(rd64(out, b + 40), 4096u);
  EXPECT_EQ(rd64(out, b + 48), 10u);
  EXPECT_EQ(rd32(out, b + 56), 0x20u);
  EXPECT_EQ(rd64(out, b + 64), 0x11u);
  EXPECT_EQ(rd64(out, b + 72), 0x22u);
  EXPECT_EQ(rd32(out, b + 80), 0x98u);
  const std::uint32_t len = rd32(out, b + 84);
  EXPECT_EQ(hdr + 0x98 + len, out.size());

  // Decode the response's contexts with the request-side chain rules by wrapping them in a
  // CREATE request: the same iterator must accept what we emit.
  Pdu p(Command::create);
  p.u16(57).u8(0).u8(0).u32(2).u64(0).u64(0).u32(1).u32(0).u32(7).u32(1).u32(0);
  p.u16(0).u16(0).u32(0x78).u32(len);
  p.bytes(Bytes(out).subspan(hdr + 0x98));
  auto d = decode_create_request(p.view());
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->create_contexts.size(), 2u);
  EXPECT_EQ(str(d->create_contexts[0].name), "MxAc");
  EXPECT_EQ(d->create_contexts[0].data.size(), 8u);
  EXPECT_EQ(d->create_contexts[0].data[4], 0xFF);
  EXPECT_EQ(str(d->create_contexts[1].name), "QFid");
  EXPECT_EQ(d->create_contexts[1].data.size(), 32u);
  // The first context: NameOffset 16, DataOffset 24 (8-aligned), Next 32.
  EXPECT_EQ(rd32(out, hdr + 0x98), 32u);
  EXPECT_EQ(rd16(out, hdr + 0x98 + 4), 16);
  EXPECT_EQ(rd16(out, hdr + 0x98 + 10), 24);
}

TEST(CreateContexts, Tags) {
  Built b = build();
  auto r = decode_create_request(b.p.view());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->create_contexts.size(), 2u);
  const CreateContext& mxac = r->create_contexts[0];
  const CreateContext& dhnq = r->create_contexts[1];
  EXPECT_TRUE(context_is(mxac, kCtxMaximalAccess));
  EXPECT_FALSE(context_is(mxac, kCtxQueryOnDiskId));
  EXPECT_TRUE(context_is(dhnq, kCtxDurableRequest));
  EXPECT_FALSE(context_is(dhnq, kCtxDurableReconnect));
  EXPECT_FALSE(context_is(dhnq, kCtxDurableRequestV2));
  // Exactly 4 bytes: a longer or shorter name with the same start is another context.
  const std::uint8_t longer[] = {'M', 'x', 'A', 'c', 0};
  const std::uint8_t shorter[] = {'M', 'x', 'A'};
  const std::uint8_t lower[] = {'m', 'x', 'A', 'c'};
  EXPECT_FALSE(context_is(CreateContext{Bytes(longer), {}}, kCtxMaximalAccess));
  EXPECT_FALSE(context_is(CreateContext{Bytes(shorter), {}}, kCtxMaximalAccess));
  EXPECT_FALSE(context_is(CreateContext{Bytes(lower), {}}, kCtxMaximalAccess));
  EXPECT_FALSE(context_is(CreateContext{}, kCtxMaximalAccess));
  // Each tag's spelling, and as the name of an OwnedCreateContext.
  const std::pair<CreateContextTag, const char*> names[] = {
      {kCtxMaximalAccess, "MxAc"}, {kCtxQueryOnDiskId, "QFid"}, {kCtxRequestLease, "RqLs"},
      {kCtxDurableRequest, "DHnQ"}, {kCtxDurableReconnect, "DHnC"}, {kCtxDurableRequestV2, "DH2Q"},
      {kCtxDurableReconnectV2, "DH2C"}, {kCtxAapl, "AAPL"}};
  for (const auto& [tag, text] : names) {
    EXPECT_EQ(context_name(tag), text);
    const std::string owned = context_name(tag);
    EXPECT_TRUE(context_is(CreateContext{Bytes(reinterpret_cast<const std::uint8_t*>(owned.data()), owned.size()), {}}, tag));
  }
}

TEST(CreateContexts, MaximalAccessResponse) {
  const auto d = encode_maximal_access_response(NtStatus::success, 0x001F01FF);
  EXPECT_EQ(d, (std::vector<std::uint8_t>{0, 0, 0, 0, 0xFF, 0x01, 0x1F, 0x00}));
  const auto denied = encode_maximal_access_response(NtStatus::access_denied, 0);
  ASSERT_EQ(denied.size(), 8u);
  EXPECT_EQ(rd32(denied, 0), 0xC0000022u);
  EXPECT_EQ(rd32(denied, 4), 0u);
  // What engine/handlers/create.cpp built by hand: QueryStatus 0, MaximalAccess.
  std::vector<std::uint8_t> ref;
  ByteWriter w(ref);
  w.u32(0);
  w.u32(0x00120089);
  EXPECT_EQ(encode_maximal_access_response(NtStatus::success, 0x00120089), ref);
}

TEST(CreateContexts, QueryOnDiskIdResponse) {
  const auto d = encode_query_on_disk_id_response(0x0102030405060708, 0x1112131415161718);
  ASSERT_EQ(d.size(), 32u);
  EXPECT_EQ(rd64(d, 0), 0x0102030405060708u);
  EXPECT_EQ(rd64(d, 8), 0x1112131415161718u);
  for (std::size_t i = 16; i < 32; ++i) EXPECT_EQ(d[i], 0) << i;
  // What engine/handlers/create.cpp built by hand: DiskFileId, VolumeId 0, 16 reserved bytes.
  std::vector<std::uint8_t> ref;
  ByteWriter w(ref);
  w.u64(0xABCDEF);
  w.u64(0);
  ref.resize(32, 0);
  EXPECT_EQ(encode_query_on_disk_id_response(0xABCDEF, 0), ref);
}

TEST(CreateContexts, AnsweredThroughTheResponseEncoder) {
  // The answer contexts travel in a CREATE response and read back through the chain iterator.
  CreateResponse r;
  r.create_contexts.push_back({context_name(kCtxMaximalAccess), encode_maximal_access_response(NtStatus::success, 0x1F01FF)});
  r.create_contexts.push_back({context_name(kCtxQueryOnDiskId), encode_query_on_disk_id_response(42, 7)});
  std::vector<std::uint8_t> out(kHeaderSize);
  ByteWriter w(out);
  encode_create_response(w, 0, r);
  const std::uint32_t len = rd32(out, 64 + 84);
  Pdu p(Command::create);
  p.u16(57).u8(0).u8(0).u32(2).u64(0).u64(0).u32(1).u32(0).u32(7).u32(1).u32(0);
  p.u16(0).u16(0).u32(0x78).u32(len);
  p.bytes(Bytes(out).subspan(0x98));
  auto d = decode_create_request(p.view());
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->create_contexts.size(), 2u);
  EXPECT_TRUE(context_is(d->create_contexts[0], kCtxMaximalAccess));
  EXPECT_TRUE(context_is(d->create_contexts[1], kCtxQueryOnDiskId));
  const std::vector<std::uint8_t> qfid(d->create_contexts[1].data.begin(), d->create_contexts[1].data.end());
  EXPECT_EQ(qfid, encode_query_on_disk_id_response(42, 7));
}

TEST(CreateResponse, NoContexts) {
  CreateResponse r;
  r.file_id = {1, 2};
  std::vector<std::uint8_t> out(kHeaderSize);
  ByteWriter w(out);
  encode_create_response(w, 0, r);
  EXPECT_EQ(out.size(), 64u + 89u);
  EXPECT_EQ(rd32(out, 64 + 80), 0u);
  EXPECT_EQ(rd32(out, 64 + 84), 0u);
}

}  // namespace
}  // namespace smbsrv::codec
