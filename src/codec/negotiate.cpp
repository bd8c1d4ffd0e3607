// NEGOTIATE request (MS-SMB2 2.2.3), negotiate contexts (2.2.3.1), response (2.2.4).
#include <algorithm>
#include <cstring>

#include "codec/chain.hpp"
#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {
namespace {
constexpr std::uint16_t kDialect311 = 0x0311;
constexpr std::size_t kContextHeaderSize = 8;  // ContextType 2, DataLength 2, Reserved 4

std::uint64_t align8(std::uint64_t v) { return (v + 7) & ~std::uint64_t{7}; }

Result<std::vector<std::uint16_t>> read_u16_list(ByteReader& r, std::uint16_t count) {
  if (count == 0 || r.remaining() / 2 < count) return NtStatus::invalid_parameter;
  std::vector<std::uint16_t> v;
  v.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) v.push_back(r.u16());
  if (!r.ok()) return NtStatus::invalid_parameter;
  return v;
}
}  // namespace

// 2.2.3 body: StructureSize 0 (36), DialectCount 2, SecurityMode 4, Reserved 6, Capabilities 8,
// ClientGuid 12, NegotiateContextOffset/ClientStartTime 28, NegotiateContextCount 32,
// Reserved2 34, Dialects 36.
Result<NegotiateRequest> decode_negotiate_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 36)) return NtStatus::invalid_parameter;
  NegotiateRequest req;
  const std::uint16_t dialect_count = r.u16();
  req.security_mode = r.u16();
  r.skip(2);
  req.capabilities = r.u32();
  const Bytes guid = r.bytes(16);
  const std::uint32_t context_offset = r.u32();
  const std::uint16_t context_count = r.u16();
  r.skip(2);
  if (!r.ok() || dialect_count == 0) return NtStatus::invalid_parameter;
  std::memcpy(req.client_guid.data(), guid.data(), guid.size());
  auto dialects = read_u16_list(r, dialect_count);
  if (!dialects) return dialects.status();
  req.dialects = std::move(*dialects);

  const bool has_311 = std::find(req.dialects.begin(), req.dialects.end(), kDialect311) != req.dialects.end();
  if (!has_311 || context_count == 0) return req;

  // 2.2.3.1: contexts start 8-aligned after the dialects; each is 8-aligned from the header
  // start; the last may be unpadded.
  if (context_offset < r.pos()) return NtStatus::invalid_parameter;
  const detail::ChainRules rules{8, 64};
  const bool ok = detail::walk_chain(
      msg, context_offset, rules,
      [&](std::size_t index, Bytes element) -> std::optional<std::uint64_t> {
        ByteReader cr(element);
        NegotiateContext ctx;
        ctx.context_type = cr.u16();
        const std::uint16_t data_length = cr.u16();
        cr.skip(4);
        ctx.data = cr.bytes(data_length);
        if (!cr.ok()) return std::nullopt;
        req.negotiate_contexts.push_back(ctx);
        if (index + 1 == context_count) return 0;
        return align8(kContextHeaderSize + data_length);
      });
  if (!ok || req.negotiate_contexts.size() != context_count) return NtStatus::invalid_parameter;
  return req;
}

// 2.2.3.1.1: HashAlgorithmCount 2, SaltLength 2, HashAlgorithms, Salt.
Result<PreauthIntegrityCapabilities> decode_preauth_context(Bytes data) {
  ByteReader r(data);
  const std::uint16_t count = r.u16();
  const std::uint16_t salt_length = r.u16();
  if (!r.ok()) return NtStatus::invalid_parameter;
  PreauthIntegrityCapabilities c;
  auto hashes = read_u16_list(r, count);
  if (!hashes) return hashes.status();
  c.hash_algorithms = std::move(*hashes);
  c.salt = r.bytes(salt_length);
  if (!r.ok()) return NtStatus::invalid_parameter;
  return c;
}

// 2.2.3.1.2: CipherCount 2, Ciphers.
Result<EncryptionCapabilities> decode_encryption_context(Bytes data) {
  ByteReader r(data);
  const std::uint16_t count = r.u16();
  if (!r.ok()) return NtStatus::invalid_parameter;
  auto ciphers = read_u16_list(r, count);
  if (!ciphers) return ciphers.status();
  return EncryptionCapabilities{std::move(*ciphers)};
}

// 2.2.3.1.7: SigningAlgorithmCount 2, SigningAlgorithms.
Result<SigningCapabilities> decode_signing_context(Bytes data) {
  ByteReader r(data);
  const std::uint16_t count = r.u16();
  if (!r.ok()) return NtStatus::invalid_parameter;
  auto algs = read_u16_list(r, count);
  if (!algs) return algs.status();
  return SigningCapabilities{std::move(*algs)};
}

// 2.2.4 body: StructureSize 0 (65), SecurityMode 2, DialectRevision 4, NegotiateContextCount 6,
// ServerGuid 8, Capabilities 24, MaxTransactSize 28, MaxReadSize 32, MaxWriteSize 36,
// SystemTime 40, ServerStartTime 48, SecurityBufferOffset 56, SecurityBufferLength 58,
// NegotiateContextOffset 60, Buffer 64 (= 0x80 from the header).
void encode_negotiate_response(ByteWriter& w, std::size_t hdr, const NegotiateResponse& r) {
  w.u16(65);
  w.u16(r.security_mode);
  w.u16(r.dialect_revision);
  w.u16(detail::u16_of(r.negotiate_contexts.size()));
  w.bytes(r.server_guid);
  w.u32(r.capabilities);
  w.u32(r.max_transact_size);
  w.u32(r.max_read_size);
  w.u32(r.max_write_size);
  w.u64(r.system_time);
  w.u64(r.server_start_time);
  w.u16(detail::u16_of(w.size() + 8 - hdr));  // SecurityBufferOffset: 0x80
  w.u16(detail::u16_of(r.security_buffer.size()));
  const std::size_t context_offset_at = w.size();
  w.u32(0);
  w.bytes(r.security_buffer);
  if (r.negotiate_contexts.empty()) {
    if (r.security_buffer.empty()) w.u8(0);
    return;
  }
  for (std::size_t i = 0; i < r.negotiate_contexts.size(); ++i) {
    detail::pad_from(w, hdr, 8);
    if (i == 0) w.put_u32(context_offset_at, detail::u32_of(w.size() - hdr));
    const auto& c = r.negotiate_contexts[i];
    w.u16(c.context_type);
    w.u16(detail::u16_of(c.data.size()));
    w.u32(0);
    w.bytes(c.data);
  }
}

std::vector<std::uint8_t> encode_preauth_context(std::uint16_t hash_algorithm, Bytes salt) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u16(1);
  w.u16(detail::u16_of(salt.size()));
  w.u16(hash_algorithm);
  w.bytes(salt);
  return out;
}

std::vector<std::uint8_t> encode_encryption_context(std::uint16_t cipher) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u16(1);
  w.u16(cipher);
  return out;
}

std::vector<std::uint8_t> encode_signing_context(std::uint16_t algorithm) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u16(1);
  w.u16(algorithm);
  return out;
}

}  // namespace smbsrv::codec
