#include <gtest/gtest.h>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {
using test::Pdu;
using test::rd16;
using test::rd32;

// A 3.1.1 negotiate with two contexts (preauth 38 bytes of data → padded, then encryption).
struct Built {
  Pdu p{Command::negotiate};
  std::size_t ctx_offset_at = 0, first_ctx = 0, second_ctx = 0;
};
Built build(std::uint16_t last_dialect = 0x0311) {
  Built b;
  Pdu& p = b.p;
  p.u16(36).u16(3).u16(kSigningEnabled).u16(0).u32(kCapLeasing);
  for (std::uint8_t i = 0; i < 16; ++i) p.u8(i);
  b.ctx_offset_at = p.pos();
  p.u32(0).u16(2).u16(0);
  p.u16(0x0202).u16(0x0300).u16(last_dialect);
  p.align(8);
  b.first_ctx = p.pos();
  p.put_u32(b.ctx_offset_at, static_cast<std::uint32_t>(b.first_ctx));
  // preauth: count 1, salt 32, SHA-512, salt
  p.u16(kPreauthIntegrityCapabilities).u16(38).u32(0).u16(1).u16(32).u16(kHashSha512);
  for (std::uint8_t i = 0; i < 32; ++i) p.u8(i);
  p.align(8);
  b.second_ctx = p.pos();
  p.u16(kEncryptionCapabilities).u16(6).u32(0).u16(2).u16(2).u16(1);
  return b;
}

TEST(NegotiateRequest, Decodes) {
  Built b = build();
  auto r = decode_negotiate_request(b.p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->security_mode, kSigningEnabled);
  EXPECT_EQ(r->capabilities, kCapLeasing);
  EXPECT_EQ(r->client_guid[15], 15);
  EXPECT_EQ(r->dialects, (std::vector<std::uint16_t>{0x0202, 0x0300, 0x0311}));
  ASSERT_EQ(r->negotiate_contexts.size(), 2u);
  EXPECT_EQ(r->negotiate_contexts[0].context_type, kPreauthIntegrityCapabilities);
  EXPECT_EQ(r->negotiate_contexts[0].data.size(), 38u);
  EXPECT_EQ(r->negotiate_contexts[1].context_type, kEncryptionCapabilities);
  auto pre = decode_preauth_context(r->negotiate_contexts[0].data);
  ASSERT_TRUE(pre.ok());
  EXPECT_EQ(pre->hash_algorithms, std::vector<std::uint16_t>{kHashSha512});
  EXPECT_EQ(pre->salt.size(), 32u);
  EXPECT_EQ(pre->salt[31], 31);
  auto enc = decode_encryption_context(r->negotiate_contexts[1].data);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->ciphers, (std::vector<std::uint16_t>{2, 1}));
}

TEST(NegotiateRequest, WithoutSmb311ContextsAreIgnored) {
  Built b = build(0x0302);
  b.p.put_u32(b.ctx_offset_at, 0xFFFFFFFF);  // ClientStartTime: not an offset
  auto r = decode_negotiate_request(b.p.view());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->negotiate_contexts.empty());
}

TEST(NegotiateRequest, Truncations) {
  Built b = build();
  test::expect_truncations_fail(b.p.data(), [](Bytes m) { return decode_negotiate_request(m); });
}

TEST(NegotiateRequest, Violations) {
  {
    Built b = build();
    b.p.put_u16(64, 37);
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u16(66, 0);  // DialectCount 0
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u16(66, 200);  // dialects past the end
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u32(b.ctx_offset_at, static_cast<std::uint32_t>(b.first_ctx + 4));  // unaligned
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u32(b.ctx_offset_at, 0x10000);  // outside
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u32(b.ctx_offset_at, 64);  // inside the fixed part
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u16(b.second_ctx + 2, 7);  // DataLength past the end
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u16(b.first_ctx + 2, 0xFFF0);  // DataLength past the end
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u16(b.ctx_offset_at + 4, 3);  // count larger than present
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
  {
    Built b = build();
    b.p.put_u16(b.ctx_offset_at + 4, 1000);  // count above the cap
    test::expect_invalid(decode_negotiate_request(b.p.view()));
  }
}

TEST(NegotiateContexts, TypedParsers) {
  const std::uint8_t zero_count[] = {0, 0, 0, 0};
  test::expect_invalid(decode_preauth_context(zero_count));
  test::expect_invalid(decode_encryption_context(zero_count));
  test::expect_invalid(decode_signing_context(zero_count));
  const std::uint8_t short_list[] = {2, 0, 1, 0};
  test::expect_invalid(decode_encryption_context(short_list));
  test::expect_invalid(decode_signing_context(short_list));
  const std::uint8_t short_salt[] = {1, 0, 4, 0, 1, 0, 9, 9};
  test::expect_invalid(decode_preauth_context(short_salt));
  test::expect_invalid(decode_preauth_context(Bytes{}));
  const std::uint8_t signing[] = {2, 0, 2, 0, 1, 0};
  auto s = decode_signing_context(signing);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->signing_algorithms, (std::vector<std::uint16_t>{2, 1}));

  const std::uint8_t salt[] = {9, 8, 7};
  const auto encoded = encode_preauth_context(kHashSha512, salt);  // the result views it
  auto pre = decode_preauth_context(encoded);
  ASSERT_TRUE(pre.ok());
  EXPECT_EQ(pre->hash_algorithms, std::vector<std::uint16_t>{kHashSha512});
  ASSERT_EQ(pre->salt.size(), 3u);
  EXPECT_EQ(pre->salt[2], 7);
  auto enc = decode_encryption_context(encode_encryption_context(4));
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->ciphers, std::vector<std::uint16_t>{4});
  auto sig = decode_signing_context(encode_signing_context(2));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->signing_algorithms, std::vector<std::uint16_t>{2});
}

TEST(NegotiateResponse, Layout) {
  NegotiateResponse r;
  r.security_mode = kSigningEnabled;
  r.dialect_revision = 0x0311;
  r.server_guid.fill(0x42);
  r.capabilities = kCapLargeMtu;
  r.max_transact_size = 1 << 20;
  r.max_read_size = 2 << 20;
  r.max_write_size = 3 << 20;
  r.system_time = 111;
  r.server_start_time = 222;
  r.security_buffer = {1, 2, 3, 4, 5};
  r.negotiate_contexts.push_back({kPreauthIntegrityCapabilities, encode_preauth_context(1, std::vector<std::uint8_t>(32, 6))});
  r.negotiate_contexts.push_back({kEncryptionCapabilities, encode_encryption_context(2)});
  std::vector<std::uint8_t> out(3, 0xAA);  // the header does not start at 0
  ByteWriter w(out);
  const std::size_t hdr = out.size();
  out.resize(hdr + kHeaderSize);
  encode_negotiate_response(w, hdr, r);
  const std::size_t b = hdr + kHeaderSize;
  EXPECT_EQ(rd16(out, b + 0), 65);
  EXPECT_EQ(rd16(out, b + 2), kSigningEnabled);
  EXPECT_EQ(rd16(out, b + 4), 0x0311);
  EXPECT_EQ(rd16(out, b + 6), 2);
  EXPECT_EQ(out[b + 8], 0x42);
  EXPECT_EQ(rd32(out, b + 24), kCapLargeMtu);
  EXPECT_EQ(rd32(out, b + 28), 1u << 20);
  EXPECT_EQ(rd32(out, b + 32), 2u << 20);
  EXPECT_EQ(rd32(out, b + 36), 3u << 20);
  EXPECT_EQ(test::rd64(out, b + 40), 111u);
  EXPECT_EQ(test::rd64(out, b + 48), 222u);
  EXPECT_EQ(rd16(out, b + 56), 0x80);
  EXPECT_EQ(rd16(out, b + 58), 5);
  EXPECT_EQ(out[hdr + 0x80 + 4], 5);
  const std::uint32_t ctx = rd32(out, b + 60);
  EXPECT_EQ(ctx, 0x88u);  // 0x80 + 5, aligned to 8
  // Walk the contexts the way a client does.
  EXPECT_EQ(rd16(out, hdr + ctx), kPreauthIntegrityCapabilities);
  const std::uint16_t len0 = rd16(out, hdr + ctx + 2);
  EXPECT_EQ(len0, 38);
  const std::size_t second = hdr + ctx + ((8u + len0 + 7u) & ~7u);
  EXPECT_EQ((second - hdr) % 8, 0u);
  EXPECT_EQ(rd16(out, second), kEncryptionCapabilities);
  EXPECT_EQ(rd16(out, second + 2), 4);
  EXPECT_EQ(out.size(), second + 8 + 4);  // the last context unpadded
}

TEST(NegotiateResponse, NoContexts) {
  NegotiateResponse r;
  r.dialect_revision = 0x0210;
  r.security_buffer = {9};
  std::vector<std::uint8_t> out(kHeaderSize);
  ByteWriter w(out);
  encode_negotiate_response(w, 0, r);
  EXPECT_EQ(out.size(), 0x81u);
  EXPECT_EQ(rd16(out, 64 + 6), 0);
  EXPECT_EQ(rd32(out, 64 + 60), 0u);
  EXPECT_EQ(out[0x80], 9);
}

}  // namespace
}  // namespace smbsrv::codec
