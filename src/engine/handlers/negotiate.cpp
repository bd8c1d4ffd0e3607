// NEGOTIATE (MS-SMB2 3.3.5.3, 3.3.5.4), including the SMB1 multi-protocol upgrade (3.3.5.3.1).
#include <algorithm>

#include "auth/spnego.hpp"
#include "engine/dispatch.hpp"
#include "engine/security.hpp"

namespace smbsrv::engine::handlers {
namespace {

constexpr Dialect kAllDialects[] = {Dialect::smb2_0_2, Dialect::smb2_1, Dialect::smb3_0, Dialect::smb3_0_2,
                                    Dialect::smb3_1_1};

constexpr std::uint16_t wire(Dialect d) { return static_cast<std::uint16_t>(d); }

struct Negotiated311 {
  std::vector<codec::OwnedNegotiateContext> contexts;  // the response's
  std::optional<Cipher> cipher;
  std::optional<crypto::SigningAlgorithm> signing;
};

/// The 3.1.1 negotiate contexts (3.3.5.4): exactly one PREAUTH_INTEGRITY context with SHA-512, at
/// most one of the others; unknown ones are ignored.
Result<Negotiated311> negotiate_contexts(Ctx& ctx, const codec::NegotiateRequest& nreq) {
  const auto& cfg = ctx.server.config;
  int preauth = 0, encryption = 0, signing = 0;
  bool sha512 = false;
  std::optional<crypto::SigningAlgorithm> sign_alg;
  std::optional<Cipher> cipher;
  for (const auto& c : nreq.negotiate_contexts) {
    switch (c.context_type) {
      case codec::kPreauthIntegrityCapabilities: {
        ++preauth;
        auto p = codec::decode_preauth_context(c.data);
        if (!p) return NtStatus::invalid_parameter;
        sha512 = std::find(p->hash_algorithms.begin(), p->hash_algorithms.end(), codec::kHashSha512) !=
                 p->hash_algorithms.end();
        break;
      }
      case codec::kEncryptionCapabilities: {
        ++encryption;
        auto e = codec::decode_encryption_context(c.data);
        if (!e) return NtStatus::invalid_parameter;
        // 3.3.5.4: the server's most preferred cipher that the client also offers.
        for (auto pref : cfg.cipher_preference) {
          if (std::find(e->ciphers.begin(), e->ciphers.end(), static_cast<std::uint16_t>(pref)) != e->ciphers.end()) {
            cipher = pref;
            break;
          }
        }
        break;
      }
      case codec::kSigningCapabilities: {
        ++signing;
        auto s = codec::decode_signing_context(c.data);
        if (!s) return NtStatus::invalid_parameter;
        // Server preference: AES-GMAC, then AES-CMAC, then HMAC-SHA256 (3.3.5.4).
        for (auto pref : {crypto::SigningAlgorithm::aes_gmac, crypto::SigningAlgorithm::aes_cmac,
                          crypto::SigningAlgorithm::hmac_sha256}) {
          if (std::find(s->signing_algorithms.begin(), s->signing_algorithms.end(), static_cast<std::uint16_t>(pref)) !=
              s->signing_algorithms.end()) {
            sign_alg = pref;
            break;
          }
        }
        break;
      }
      default:
        break;
    }
  }
  if (preauth != 1 || encryption > 1 || signing > 1 || !sha512) return NtStatus::invalid_parameter;
  Negotiated311 n;
  std::array<std::uint8_t, 32> salt{};
  ctx.server.random(salt);
  n.contexts.push_back({codec::kPreauthIntegrityCapabilities, codec::encode_preauth_context(codec::kHashSha512, salt)});
  if (encryption == 1) {
    // No common cipher: the connection cannot encrypt, and says so with cipher 0 (3.3.5.4).
    n.cipher = cipher;
    n.contexts.push_back({codec::kEncryptionCapabilities,
                          codec::encode_encryption_context(cipher ? static_cast<std::uint16_t>(*cipher) : 0)});
  }
  if (signing == 1) {
    n.signing = sign_alg.value_or(crypto::SigningAlgorithm::aes_cmac);
    n.contexts.push_back(
        {codec::kSigningCapabilities, codec::encode_signing_context(static_cast<std::uint16_t>(*n.signing))});
  }
  return n;
}

}  // namespace

void negotiate(Ctx& ctx, Request& req, Response& rsp) {
  const auto& cfg = ctx.server.config;
  auto& conn = ctx.conn;
  // 3.3.5.3.1: a NEGOTIATE on a connection that already negotiated a dialect → disconnect.
  if (conn.negotiated()) {
    rsp.disconnect = true;
    return;
  }
  auto decoded = codec::decode_negotiate_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& nreq = *decoded;

  std::optional<Dialect> chosen;
  for (Dialect d : kAllDialects) {
    if (d < cfg.min_dialect || d > cfg.max_dialect) continue;
    if (conn.phase == ConnectionState::Phase::smb1_upgraded && d == Dialect::smb2_0_2) continue;  // 2.1 or later
    if (std::find(nreq.dialects.begin(), nreq.dialects.end(), wire(d)) != nreq.dialects.end()) chosen = d;
  }
  if (!chosen) return rsp.fail(NtStatus::not_supported);

  codec::NegotiateResponse nr;
  if (*chosen == Dialect::smb3_1_1) {
    auto n = negotiate_contexts(ctx, nreq);
    if (!n) return rsp.fail(n.status());
    nr.negotiate_contexts = std::move(n->contexts);
    conn.cipher = n->cipher;
    conn.signing_algorithm_id = n->signing;
    // 3.3.5.4: Connection.PreauthIntegrityHashValue starts at zero and takes the request.
    conn.preauth_hash = {};
    conn.preauth_hash = crypto::sha512({conn.preauth_hash, req.msg});
    rsp.negotiated_311 = true;
  }
  conn.phase = ConnectionState::Phase::negotiated;
  conn.dialect = *chosen;
  conn.client_security_mode = nreq.security_mode;
  conn.client_capabilities = nreq.capabilities;
  conn.client_guid = nreq.client_guid;
  conn.client_dialects = nreq.dialects;
  conn.server_security_mode =
      static_cast<std::uint16_t>(codec::kSigningEnabled | (cfg.require_signing ? codec::kSigningRequired : 0));
  conn.server_capabilities = *chosen >= Dialect::smb2_1 ? codec::kCapLargeMtu : 0;
  // 2.2.4: leasing is advertised from 2.1 on; clients only request leases when it is.
  if (*chosen >= Dialect::smb2_1 && cfg.leases) conn.server_capabilities |= codec::kCapLeasing;
  // 3.0 / 3.0.2 announce encryption through the capability and always use AES-128-CCM.
  if ((*chosen == Dialect::smb3_0 || *chosen == Dialect::smb3_0_2) && (nreq.capabilities & codec::kCapEncryption)) {
    conn.server_capabilities |= codec::kCapEncryption;
    conn.cipher = Cipher::aes128_ccm;
  }
  // 3.3.5.4: IsMultiChannelCapable, for the 3.x dialects. The client's connections then share
  // their opens (and their engine's lock) from here on, found by ClientGuid.
  if (*chosen >= Dialect::smb3_0 && cfg.multichannel) {
    conn.server_capabilities |= codec::kCapMultiChannel;
    conn.join_group = conn.client_guid != std::array<std::uint8_t, 16>{};
  }
  nr.security_mode = conn.server_security_mode;
  nr.dialect_revision = wire(*chosen);
  nr.server_guid = ctx.server.server_guid;
  nr.capabilities = conn.server_capabilities;
  // 2.0.2 has no multi-credit requests: 64 KiB is its ceiling.
  const std::uint32_t cap = *chosen == Dialect::smb2_0_2 ? 65536u : 0xFFFFFFFFu;
  nr.max_transact_size = std::min(cfg.max_transact, cap);
  nr.max_read_size = std::min(cfg.max_read, cap);
  nr.max_write_size = std::min(cfg.max_write, cap);
  nr.system_time = ctx.server.now();
  nr.server_start_time = 0;
  nr.security_buffer = auth::negotiate_hint_token();
  Response::BodyBuilder b;
  codec::encode_negotiate_response(b.w, 0, nr);
  rsp.set_body(b.buf);
}

void smb1_negotiate(Ctx& ctx, Bytes frame) {
  // MS-SMB2 3.3.5.3: an SMB1 NEGOTIATE that lists SMB2 dialects is answered with an SMB2
  // NEGOTIATE response: 2.??? when the server supports 2.1 or later, else 2.0.2. Anything else
  // SMB1 is never served: disconnect.
  auto& conn = ctx.conn;
  const auto& cfg = ctx.server.config;
  auto n = codec::decode_smb1_negotiate(frame);
  std::optional<std::uint16_t> dialect;
  if (conn.phase == ConnectionState::Phase::initial && n) {
    if (n->smb2_wildcard && cfg.max_dialect >= Dialect::smb2_1) dialect = codec::kDialectSmb2Wildcard;
    else if ((n->smb2_002 || n->smb2_wildcard) && cfg.min_dialect <= Dialect::smb2_0_2) dialect = wire(Dialect::smb2_0_2);
  }
  if (!dialect) {
    ctx.out.disposition = Disposition::close_now;
    return;
  }
  // The SMB1 request used MessageId 0. After 2.??? a second (SMB2) NEGOTIATE is expected.
  (void)conn.sequence_window.consume(0, 1);
  const bool upgraded = *dialect == codec::kDialectSmb2Wildcard;
  conn.phase = upgraded ? ConnectionState::Phase::smb1_upgraded : ConnectionState::Phase::negotiated;
  conn.dialect = Dialect::smb2_0_2;
  conn.server_security_mode =
      static_cast<std::uint16_t>(codec::kSigningEnabled | (cfg.require_signing ? codec::kSigningRequired : 0));
  conn.server_capabilities = upgraded ? codec::kCapLargeMtu : 0;
  codec::NegotiateResponse nr;
  nr.security_mode = conn.server_security_mode;
  nr.dialect_revision = *dialect;
  nr.server_guid = ctx.server.server_guid;
  nr.capabilities = conn.server_capabilities;
  nr.max_transact_size = upgraded ? cfg.max_transact : 65536;
  nr.max_read_size = upgraded ? cfg.max_read : 65536;
  nr.max_write_size = upgraded ? cfg.max_write : 65536;
  nr.system_time = ctx.server.now();
  nr.security_buffer = auth::negotiate_hint_token();
  std::vector<std::uint8_t> msg;
  codec::Header h;
  h.command = codec::Command::negotiate;
  h.flags = codec::kFlagServerToRedir;
  h.credit = conn.sequence_window.grant(1);
  ByteWriter w(msg);
  codec::encode_header(w, h);
  codec::encode_negotiate_response(w, 0, nr);
  ctx.out.frames.push_back(std::move(msg));
}

}  // namespace smbsrv::engine::handlers
