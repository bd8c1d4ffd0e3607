// NEGOTIATE (MS-SMB2 3.3.5.3, 3.3.5.4) and the key schedule (3.3.5.5.3).
#include <algorithm>

#include "engine/request.hpp"

namespace smbsrv::engine {
namespace {

constexpr std::uint16_t kAllDialects[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};

}  // namespace

void Connection::on_negotiate(Request& req, Response& rsp) {
  const auto& cfg = server_->config;
  auto decoded = codec::decode_negotiate_request(req.msg);
  std::unique_lock lk(mu_);
  // 3.3.5.3.1: a NEGOTIATE on a connection that already negotiated a dialect → disconnect.
  if (negotiated_ && dialect_ != 0x02FF) {
    rsp.disconnect = true;
    return;
  }
  if (!decoded) return rsp.fail(decoded.status());
  const auto& nreq = *decoded;

  std::uint16_t chosen = 0;
  for (std::uint16_t d : kAllDialects) {
    if (d < static_cast<std::uint16_t>(cfg.min_dialect) || d > static_cast<std::uint16_t>(cfg.max_dialect)) continue;
    if (dialect_ == 0x02FF && d == 0x0202) continue;  // after the SMB1 upgrade, 2.1 or later
    if (std::find(nreq.dialects.begin(), nreq.dialects.end(), d) != nreq.dialects.end()) chosen = d;
  }
  if (chosen == 0) return rsp.fail(NtStatus::not_supported);

  codec::NegotiateResponse nr;
  std::vector<codec::OwnedNegotiateContext> contexts;
  if (chosen == 0x0311) {
    // 3.3.5.4: exactly one PREAUTH_INTEGRITY context with SHA-512; at most one of the others.
    int preauth = 0, encryption = 0, signing = 0;
    bool sha512 = false;
    std::optional<crypto::SigningAlgorithm> sign_alg;
    bool client_sent_encryption = false;
    std::uint16_t cipher = 0;
    for (const auto& c : nreq.negotiate_contexts) {
      switch (c.context_type) {
        case codec::kPreauthIntegrityCapabilities: {
          ++preauth;
          auto p = codec::decode_preauth_context(c.data);
          if (!p) return rsp.fail(NtStatus::invalid_parameter);
          sha512 = std::find(p->hash_algorithms.begin(), p->hash_algorithms.end(), codec::kHashSha512) !=
                   p->hash_algorithms.end();
          break;
        }
        case codec::kEncryptionCapabilities: {
          ++encryption;
          auto e = codec::decode_encryption_context(c.data);
          if (!e) return rsp.fail(NtStatus::invalid_parameter);
          client_sent_encryption = true;
          // 3.3.5.4: the server's most preferred cipher that the client also offers.
          for (auto pref : cfg.cipher_preference) {
            const auto id = static_cast<std::uint16_t>(pref);
            if (std::find(e->ciphers.begin(), e->ciphers.end(), id) != e->ciphers.end()) {
              cipher = id;
              break;
            }
          }
          break;
        }
        case codec::kSigningCapabilities: {
          ++signing;
          auto s = codec::decode_signing_context(c.data);
          if (!s) return rsp.fail(NtStatus::invalid_parameter);
          // Server preference: AES-GMAC, then AES-CMAC, then HMAC-SHA256 (3.3.5.4).
          for (auto pref : {crypto::SigningAlgorithm::aes_gmac, crypto::SigningAlgorithm::aes_cmac,
                            crypto::SigningAlgorithm::hmac_sha256}) {
            if (std::find(s->signing_algorithms.begin(), s->signing_algorithms.end(),
                          static_cast<std::uint16_t>(pref)) != s->signing_algorithms.end()) {
              sign_alg = pref;
              break;
            }
          }
          break;
        }
        default:
          break;  // unknown contexts are ignored
      }
    }
    if (preauth != 1 || encryption > 1 || signing > 1) return rsp.fail(NtStatus::invalid_parameter);
    if (!sha512) return rsp.fail(NtStatus::invalid_parameter);  // no hash overlap
    std::array<std::uint8_t, 32> salt{};
    server_->random(salt);
    contexts.push_back({codec::kPreauthIntegrityCapabilities,
                        codec::encode_preauth_context(codec::kHashSha512, salt)});
    if (client_sent_encryption) {
      // Cipher 0 when there is no common one: the connection then cannot encrypt (3.3.5.4).
      cipher_id_ = cipher;
      contexts.push_back({codec::kEncryptionCapabilities, codec::encode_encryption_context(cipher)});
    }
    if (signing == 1) {
      const auto alg = sign_alg.value_or(crypto::SigningAlgorithm::aes_cmac);
      signing_algorithm_id_ = alg;
      contexts.push_back({codec::kSigningCapabilities,
                          codec::encode_signing_context(static_cast<std::uint16_t>(alg))});
    }
    // 3.3.5.4: Connection.PreauthIntegrityHashValue starts at zero and takes the request.
    preauth_hash_ = {};
    preauth_hash_ = crypto::sha512({preauth_hash_, req.msg});
    rsp.negotiated_311 = true;
  }

  negotiated_ = true;
  dialect_ = chosen;
  client_security_mode_ = nreq.security_mode;
  client_capabilities_ = nreq.capabilities;
  client_guid_ = nreq.client_guid;
  client_dialects_ = nreq.dialects;
  server_security_mode_ = static_cast<std::uint16_t>(codec::kSigningEnabled |
                                                     (cfg.require_signing ? codec::kSigningRequired : 0));
  server_capabilities_ = chosen >= 0x0210 ? codec::kCapLargeMtu : 0;
  // 2.2.4: leasing is advertised from 2.1 on; clients only request leases when it is.
  if (chosen >= 0x0210 && server_->config.leases) server_capabilities_ |= codec::kCapLeasing;
  // 3.0 / 3.0.2 announce encryption through the capability and always use AES-128-CCM.
  if ((chosen == 0x0300 || chosen == 0x0302) && (nreq.capabilities & codec::kCapEncryption)) {
    server_capabilities_ |= codec::kCapEncryption;
    cipher_id_ = static_cast<std::uint16_t>(crypto::Cipher::aes128_ccm);
  }

  nr.security_mode = server_security_mode_;
  nr.dialect_revision = chosen;
  nr.server_guid = server_->server_guid;
  nr.capabilities = server_capabilities_;
  // 2.0.2 has no multi-credit requests: 64 KiB is its ceiling.
  const std::uint32_t cap = chosen == 0x0202 ? 65536u : 0xFFFFFFFFu;
  nr.max_transact_size = std::min(cfg.max_transact, cap);
  nr.max_read_size = std::min(cfg.max_read, cap);
  nr.max_write_size = std::min(cfg.max_write, cap);
  nr.system_time = server_->now();
  nr.server_start_time = 0;
  nr.security_buffer = auth::negotiate_hint_token();
  nr.negotiate_contexts = std::move(contexts);
  lk.unlock();

  Response::BodyBuilder b;
  codec::encode_negotiate_response(b.w, 0, nr);
  rsp.set_body(b.buf);
}

void Connection::derive_keys(Session& s) {
  // MS-SMB2 3.3.5.5.3. 2.x: the session key signs directly (HMAC-SHA256).
  const Bytes key(s.session_key.data(), s.session_key.size());
  if (dialect_ < 0x0300) {
    s.signing_key.assign(s.session_key.begin(), s.session_key.end());
    return;
  }
  auto label = [](std::string_view l) {  // labels and contexts include their trailing NUL
    return std::vector<std::uint8_t>(l.begin(), l.end() + 1);
  };
  if (dialect_ == 0x0311) {
    const Bytes ctx(s.preauth_hash.data(), s.preauth_hash.size());
    // The signing and application keys are 128-bit keys derived with L=128 whatever the cipher
    // (as Windows and Samba do); only the AES-256 cipher keys use L=256 (3.1.4.2, 3.3.5.5.3).
    // The Linux 6.1 client derives its signing key with L=256 under an AES-256 cipher, which is
    // one reason the default cipher preference picks AES-128 when the client offers it.
    const std::size_t enc_len = crypto::key_length(static_cast<crypto::Cipher>(cipher_id_));
    s.signing_key = crypto::kdf_sp800_108(key, label("SMBSigningKey"), ctx, 16);
    s.application_key = crypto::kdf_sp800_108(key, label("SMBAppKey"), ctx, 16);
    s.encryption_key = crypto::kdf_sp800_108(key, label("SMBS2CCipherKey"), ctx, enc_len);
    s.decryption_key = crypto::kdf_sp800_108(key, label("SMBC2SCipherKey"), ctx, enc_len);
    return;
  }
  s.signing_key = crypto::kdf_sp800_108(key, label("SMB2AESCMAC"), label("SmbSign"), 16);
  s.application_key = crypto::kdf_sp800_108(key, label("SMB2APP"), label("SmbRpc"), 16);
  s.encryption_key = crypto::kdf_sp800_108(key, label("SMB2AESCCM"), label("ServerOut"), 16);
  s.decryption_key = crypto::kdf_sp800_108(key, label("SMB2AESCCM"), label("ServerIn "), 16);
}

}  // namespace smbsrv::engine
