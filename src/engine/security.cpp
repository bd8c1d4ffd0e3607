#include "engine/security.hpp"

#include <algorithm>

#include "engine/encryption.hpp"
#include "log.hpp"

namespace smbsrv::engine {

std::optional<std::vector<std::uint8_t>> seal(ServerState& server, const ConnectionState& conn, Session& s,
                                              Bytes plain) {
  if (!conn.cipher || s.encryption_key.empty()) return std::nullopt;
  const auto n = next_nonce_counter(s.nonce_counter);
  if (!n) return std::nullopt;
  auto out = server.buffers.take(codec::kTransformHeaderSize + plain.size());
  if (!seal_message_into(*conn.cipher, s.encryption_key, s.session_id, encryption_nonce(*conn.cipher, *n, s.nonce_salt),
                         plain, out)) {
    server.buffers.give(std::move(out));
    return std::nullopt;
  }
  return out;
}

std::shared_ptr<Session> unseal(const ConnectionState& conn, Bytes frame, std::vector<std::uint8_t>& plain) {
  auto t = codec::decode_transform_header(frame);
  if (!t || t->flags != 0x0001 || !conn.cipher) return nullptr;
  auto it = conn.sessions.find(t->session_id);
  if (it == conn.sessions.end() || it->second->decryption_key.empty()) return nullptr;
  if (!open_message_into(*conn.cipher, it->second->decryption_key, *t, frame, plain)) return nullptr;
  return it->second;
}

void derive_keys(const ConnectionState& conn, Session& s) {
  // MS-SMB2 3.3.5.5.3. 2.x: the session key signs directly (HMAC-SHA256).
  const Bytes key(s.session_key.data(), s.session_key.size());
  if (conn.dialect < Dialect::smb3_0) {
    s.signing_key.assign(s.session_key.begin(), s.session_key.end());
    return;
  }
  auto label = [](std::string_view l) {  // labels and contexts include their trailing NUL
    return std::vector<std::uint8_t>(l.begin(), l.end() + 1);
  };
  if (conn.dialect == Dialect::smb3_1_1) {
    const Bytes ctx(s.preauth_hash.data(), s.preauth_hash.size());
    // The signing and application keys are 128-bit keys derived with L=128 whatever the cipher
    // (as Windows and Samba do); only the AES-256 cipher keys use L=256 (3.1.4.2, 3.3.5.5.3).
    // The Linux 6.1 client derives its signing key with L=256 under an AES-256 cipher, which is
    // one reason the default cipher preference picks AES-128 when the client offers it.
    const std::size_t enc_len = conn.cipher ? crypto::key_length(*conn.cipher) : 16;
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

bool sign_with_session_key(Response& rsp, const Request& req, std::uint64_t session_id,
                           const std::vector<std::uint8_t>& key,
                           std::initializer_list<crypto::SigningAlgorithm> algs) {
  for (auto a : algs) {
    if (!crypto::smb2_verify(a, key, req.msg)) continue;
    auto signer = std::make_shared<Session>();
    signer->session_id = session_id;
    signer->signing_key = key;
    rsp.session_for_signing = std::move(signer);
    rsp.sign_algorithm = a;
    rsp.sign_anyway = true;
    return true;
  }
  return false;
}

std::vector<std::uint8_t> channel_signing_key(const ConnectionState& conn, const std::array<std::uint8_t, 16>& session_key,
                                              const crypto::Digest64& preauth_hash) {
  // 3.3.5.5.3: Channel.SigningKey, from the binding's own authentication: on 3.1.1 with the
  // channel's preauth hash, else as the session's signing key is.
  const Bytes key(session_key.data(), session_key.size());
  auto label = [](std::string_view l) { return std::vector<std::uint8_t>(l.begin(), l.end() + 1); };
  if (conn.dialect == Dialect::smb3_1_1)
    return crypto::kdf_sp800_108(key, label("SMBSigningKey"), Bytes(preauth_hash.data(), preauth_hash.size()), 16);
  return crypto::kdf_sp800_108(key, label("SMB2AESCMAC"), label("SmbSign"), 16);
}

bool signs_response(const Request& req, const Response& rsp) {
  const auto& session = rsp.session_for_signing ? rsp.session_for_signing : req.session;
  return session && !session->signing_key.empty() && !rsp.no_sign && !req.was_encrypted &&
         (req.signed_ok || session->signing_required || rsp.sign_anyway) && rsp.status != NtStatus::pending;
}

void finish_response(Ctx& ctx, Request& req, Response& rsp, std::vector<std::uint8_t>& out, std::size_t hdr,
                     bool last) {
  auto& conn = ctx.conn;
  req.final_status = rsp.status;
  SMBSRV_LOG_TRACE("{}: {} mid={} -> {}{}", ctx.peer, codec::command_name(req.hdr.command), req.hdr.message_id,
                   to_string(rsp.status), req.was_encrypted ? " (encrypted)" : "");
  if (rsp.session_id_out) req.effective_session_id = *rsp.session_id_out;
  if (rsp.tree_id_out) req.effective_tree_id = *rsp.tree_id_out;
  // The FileId a later related request inherits (3.3.5.2.7.2): the one this request created, or
  // else the one it used (find_open records it), so CREATE + WRITE + CLOSE chains work.
  if (rsp.file_id_out) req.out_file_id = rsp.file_id_out;

  codec::Header h;
  h.credit_charge = req.hdr.credit_charge;
  h.status = static_cast<std::uint32_t>(rsp.status);
  h.command = req.hdr.command;
  h.flags = codec::kFlagServerToRedir | (req.hdr.flags & codec::kFlagRelatedOperations);
  h.message_id = req.hdr.message_id;
  h.tree_id = req.effective_tree_id;
  h.session_id = req.effective_session_id;
  if (req.async_id) {  // 3.3.4.2: interim and final responses of an async request
    h.flags |= codec::kFlagAsyncCommand;
    h.async_id = *req.async_id;
  }
  // The interim response already granted an async request's credits.
  if (!req.resumed) h.credit = conn.sequence_window.grant(std::max<std::uint16_t>(req.hdr.credit, 1));
  ByteWriter w(out);
  if (rsp.has_body && out.empty() && rsp.buf.size() >= codec::kHeaderSize) {
    // The common case, one response in the frame: take the handler's buffer as it is and write
    // the header into its placeholder (no copy of a READ's data).
    out.swap(rsp.buf);
    codec::put_header(std::span<std::uint8_t, codec::kHeaderSize>(out.data(), codec::kHeaderSize), h);
  } else {
    codec::encode_header(w, h);
    if (!rsp.has_body) {
      codec::encode_error_response(w);
    } else {
      out.insert(out.end(), rsp.buf.begin() + codec::kHeaderSize, rsp.buf.end());
    }
  }
  if (!last) w.align(8);
  const std::size_t end = out.size();
  std::span<std::uint8_t> msg(out.data() + hdr, end - hdr);
  if (!last) codec::set_next_command(msg, static_cast<std::uint32_t>(end - hdr));
  // Signing (3.3.4.1.1): responses to signed requests, all responses of a session that requires
  // signing, and the final SESSION_SETUP response; never with an unknown key.
  if (signs_response(req, rsp)) {
    auto& session = rsp.session_for_signing ? rsp.session_for_signing : req.session;
    codec::mark_signed(msg);
    // 3.3.4.1.1: with Channel.SigningKey on a channel of the session; a binding's legs and
    // refusals (no channel here yet) with Session.SigningKey (session_for_signing holds it).
    crypto::smb2_sign(rsp.sign_algorithm.value_or(conn.signing_algorithm()), session->signing_key_on(ctx.owner_id),
                      msg);
  } else if (rsp.status == NtStatus::user_session_deleted && (req.hdr.flags & codec::kFlagSigned) &&
             !req.was_encrypted && !req.session && !rsp.session_for_signing) {
    // A signed request for a session the server does not know: there is no key to sign the
    // answer with, but a client that signs everything (Samba's, written against Windows) drops
    // the connection when a response lacks SMB2_FLAGS_SIGNED, and takes USER_SESSION_DELETED
    // unverified. So: the flag, a zero signature (smbtorture smb2.session-id, smb2.tcon).
    codec::mark_signed(msg);
  }
  // 3.1.1 preauth integrity (3.3.5.4, 3.3.5.5): hash NEGOTIATE and non-final SESSION_SETUP
  // responses exactly as sent.
  if (conn.dialect == Dialect::smb3_1_1 || rsp.negotiated_311) {
    if (req.hdr.command == codec::Command::negotiate && rsp.status == NtStatus::success) {
      conn.preauth_hash = crypto::sha512({conn.preauth_hash, msg});
    } else if (req.hdr.command == codec::Command::session_setup &&
               rsp.status == NtStatus::more_processing_required && rsp.binding_preauth) {
      *rsp.binding_preauth = crypto::sha512({*rsp.binding_preauth, msg});  // a channel's own
    } else if (req.hdr.command == codec::Command::session_setup &&
               rsp.status == NtStatus::more_processing_required && rsp.session_for_signing) {
      auto& s = *rsp.session_for_signing;
      s.preauth_hash = crypto::sha512({s.preauth_hash, msg});
    }
  }
}

}  // namespace smbsrv::engine
