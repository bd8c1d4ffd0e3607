// SESSION_SETUP and LOGOFF (MS-SMB2 3.3.5.5, 3.3.5.6).
//
// The authenticator (and through it the embedder's CredentialStore) runs on the connection's
// executor, which is a worker, not a network thread, and holds no lock: a slow credential store
// delays only this connection.
#include "engine/async.hpp"
#include "engine/dispatch.hpp"
#include "engine/handlers/durable.hpp"
#include "engine/security.hpp"
#include "log.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine::handlers {

namespace {

/// Session.ChannelList's limit (Windows: 32 channels per session).
constexpr std::size_t kMaxChannelsPerSession = 32;

auth::AuthConfig auth_config(Ctx& ctx) {
  const auto& cfg = ctx.server.config;
  auth::AuthConfig ac;
  ac.netbios_computer_name = cfg.server_name;
  ac.netbios_domain_name = cfg.domain_name;
  ac.dns_computer_name = cfg.server_name;
  ac.allow_guest = cfg.allow_guest;
  ac.credentials = ctx.server.credentials.get();
  ac.now = ctx.server.now;
  ac.random = ctx.server.random;
  return ac;
}

/// A SESSION_SETUP response carrying the authentication's next token (no session flags).
void answer_token(Response& rsp, std::vector<std::uint8_t> token) {
  codec::SessionSetupResponse r;
  r.security_buffer = std::move(token);
  Response::BodyBuilder b;
  codec::encode_session_setup_response(b.w, 0, r);
  rsp.set_body(b.buf);
}

/// A session that never became valid leaves both session tables.
void forget_session(Ctx& ctx, std::uint64_t sid) {
  ctx.conn.sessions.erase(sid);
  ctx.server.sessions.forget(sid, ctx.host.get());
}

/// 3.3.5.5.3 PreviousSessionId: once `s` is authenticated, a previous session of the same user
/// (compared by domain and user name, our security context) is removed — a client that lost its
/// connection tells the server that the old session's opens are gone for good. Another user's
/// session, an unknown id, or the session itself is ignored. The previous session lives on some
/// connection, whose state only its own executor touches: another connection is sent the
/// teardown through its mailbox (it ends the session on its executor, Ctx::end_session); on this
/// connection it ends here and the returned opens are to be closed by the caller.
std::vector<std::shared_ptr<Open>> replace_previous(Ctx& ctx, const Session& s, std::uint64_t previous) {
  if (previous == 0 || previous == s.session_id || s.is_guest || s.is_anonymous) return {};
  auto host = ctx.server.sessions.take_previous(previous, s.user, s.domain);
  if (!host) return {};
  SMBSRV_LOG_INFO("{}: session 0x{:x} replaces previous session 0x{:x} of {}\\{}", ctx.peer, s.session_id, previous,
                  s.domain, s.user);
  if (host == ctx.host) return ctx.end_session(previous);
  host->post_session_expired(previous);
  return {};
}

/// 3.3.5.5 with SMB2_SESSION_FLAG_BINDING: a request to add this connection as a channel of a
/// session set up on another connection (multichannel). The checks come first, with the status
/// and the signature Windows gives, which a client checks:
/// - the session is looked up in GlobalSessionTable, not in this connection's table;
/// - the request must be signed (else INVALID_PARAMETER) and is verified with Session.SigningKey
///   (3.3.5.2.4), with the algorithm of the session's connection, with which the client signs;
///   it fails with ACCESS_DENIED, unsigned, when that does not verify, so that an unverified
///   request never obtains a signature (no signing oracle);
/// - a verified request is answered signed with that same key and algorithm (3.3.4.1.1: every
///   SESSION_SETUP response but the final SUCCESS): a client that requires signing takes an
///   unsigned refusal as ACCESS_DENIED, whatever the status.
/// The refusals, in Windows's order (smbtorture smb2.session.bind_negative_*, which were written
/// against Windows Server): a GMAC-signed session bound from a connection that signs otherwise,
/// REQUEST_OUT_OF_SEQUENCE; a GMAC connection for a session that signs otherwise, NOT_SUPPORTED;
/// a 2.x connection, REQUEST_NOT_ACCEPTED; another dialect or cipher, INVALID_PARAMETER; another
/// client (ClientGuid, 3.3.5.5: MAY), USER_SESSION_DELETED; no multichannel offered,
/// REQUEST_NOT_ACCEPTED. Then the connection authenticates (3.3.5.5.3, with its own preauth hash
/// on 3.1.1: Connection.PreauthSessionTable) as the session's user: another user, a guest or
/// anonymous gets ACCESS_DENIED, a failed logon LOGON_FAILURE, and the session is untouched
/// either way. Success adds the channel, with its own signing key.
void bind_channel(Ctx& ctx, Request& req, Response& rsp, const codec::SessionSetupRequest& d) {
  auto& conn = ctx.conn;
  const std::uint64_t sid = req.hdr.session_id;
  // A session of this connection already has its channel here (signed through req.session).
  if (conn.sessions.count(sid) != 0) return rsp.fail(NtStatus::request_not_accepted);
  if (!(req.hdr.flags & codec::kFlagSigned)) return rsp.fail(NtStatus::invalid_parameter);
  auto info = ctx.server.sessions.bind_info(sid);
  if (!info || info->signing_key.empty()) return rsp.fail(NtStatus::user_session_deleted);
  if (!sign_with_session_key(rsp, req, sid, info->signing_key, {info->signing_algorithm, conn.signing_algorithm()})) {
    SMBSRV_LOG_INFO("{}: binding request for session 0x{:x} with a bad signature", ctx.peer, sid);
    rsp.no_sign = true;
    return rsp.fail(NtStatus::access_denied);
  }
  rsp.session_id_out = sid;
  using crypto::SigningAlgorithm;
  const bool session_gmac = info->signing_algorithm == SigningAlgorithm::aes_gmac;
  const bool channel_gmac = conn.signing_algorithm() == SigningAlgorithm::aes_gmac;
  std::optional<NtStatus> refusal;
  if (session_gmac && !channel_gmac) {
    refusal = NtStatus::request_out_of_sequence;
  } else if (channel_gmac && !session_gmac) {
    refusal = NtStatus::not_supported;
  } else if (conn.dialect < Dialect::smb3_0) {
    refusal = NtStatus::request_not_accepted;
  } else if (conn.dialect != info->dialect || conn.cipher != info->cipher) {
    refusal = NtStatus::invalid_parameter;
  } else if (conn.client_guid != info->client_guid) {
    refusal = NtStatus::user_session_deleted;
  } else if (!(conn.server_capabilities & codec::kCapMultiChannel) || info->client != conn.client.get()) {
    refusal = NtStatus::request_not_accepted;  // no multichannel offered (or not to this client)
  }
  // The session is one of this client's: under the lock this call holds (engine/connection.hpp).
  auto s = refusal ? nullptr : info->session.lock();
  if (!refusal && (!s || s->state != Session::State::valid)) refusal = NtStatus::user_session_deleted;
  if (!refusal && s->channels.size() >= kMaxChannelsPerSession) refusal = NtStatus::insufficient_resources;
  if (!refusal && conn.bindings.count(sid) == 0 && conn.bindings.size() >= ctx.server.config.max_sessions_per_connection)
    refusal = NtStatus::insufficient_resources;
  if (refusal) {
    SMBSRV_LOG_INFO("{}: binding to session 0x{:x} refused: {}", ctx.peer, sid, to_string(*refusal));
    conn.bindings.erase(sid);
    return rsp.fail(*refusal);
  }

  auto& slot = conn.bindings[sid];
  if (!slot) slot = std::make_shared<Binding>();
  Binding& b = *slot;
  if (!b.authenticator) {
    b.authenticator = std::make_unique<auth::Authenticator>(auth_config(ctx));
    b.preauth_hash = conn.preauth_hash;
  }
  if (conn.dialect == Dialect::smb3_1_1) b.preauth_hash = crypto::sha512({b.preauth_hash, req.msg});
  auto step = b.authenticator->step(d.security_buffer);
  if (step.status == NtStatus::more_processing_required) {
    answer_token(rsp, std::move(step.out_token));
    rsp.status = NtStatus::more_processing_required;
    rsp.binding_preauth = &b.preauth_hash;
    return;
  }
  const auto user = b.authenticator->user(), domain = b.authenticator->domain();
  const bool nobody = b.authenticator->is_guest() || b.authenticator->is_anonymous();
  const auto key = b.authenticator->session_key();
  const crypto::Digest64 preauth = b.preauth_hash;
  conn.bindings.erase(sid);  // `b` with it
  if (step.status != NtStatus::success) {
    SMBSRV_LOG_INFO("{}: binding to session 0x{:x} failed: {}", ctx.peer, sid, to_string(step.status));
    return rsp.fail(step.status == NtStatus::invalid_parameter ? NtStatus::invalid_parameter : NtStatus::logon_failure);
  }
  // 3.3.5.5.3: the channel's user must be the session's.
  if (nobody || upcase_utf8(user) != info->user || upcase_utf8(domain) != info->domain) {
    SMBSRV_LOG_INFO("{}: binding to session 0x{:x} as {}\\{}, another user: refused", ctx.peer, sid, domain, user);
    return rsp.fail(NtStatus::access_denied);
  }
  Session::Channel ch{ctx.owner_id, ctx.owner, ctx.host, channel_signing_key(conn, key, preauth)};
  s->channels.push_back(std::move(ch));
  conn.sessions[sid] = s;
  conn.any_session_valid = true;
  SMBSRV_LOG_INFO("{}: bound to session 0x{:x} of {}\\{} as channel {}", ctx.peer, sid, s->domain, s->user,
                  s->channels.size());
  // The final response: signed with the new channel's key (3.3.4.1.1), as are all that follow.
  rsp.session_for_signing = s;
  rsp.sign_algorithm.reset();
  answer_token(rsp, std::move(step.out_token));
}

}  // namespace

void session_setup(Ctx& ctx, Request& req, Response& rsp) {
  auto& conn = ctx.conn;
  const auto& cfg = ctx.server.config;
  auto decoded = codec::decode_session_setup_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  // 3.3.5.5: SessionId 0 is a new session whatever the flags.
  if ((decoded->flags & codec::kSessionFlagBinding) && req.hdr.session_id != 0)
    return bind_channel(ctx, req, rsp, *decoded);

  std::shared_ptr<Session> s;
  if (req.hdr.session_id == 0) {
    if (conn.sessions.size() >= cfg.max_sessions_per_connection) {
      SMBSRV_LOG_DEBUG("{}: session limit ({}) reached", ctx.peer, cfg.max_sessions_per_connection);
      return rsp.fail(NtStatus::insufficient_resources);
    }
    s = std::make_shared<Session>();
    // 3.3.5.5.1: unique in GlobalSessionTable; 0 and -1 are reserved. Random, but within 32
    // bits, as Samba's: some clients keep a SessionId in 32 bits (smbtorture smb2.session-id
    // does, and then expects its truncated id to still name the session).
    do {
      std::array<std::uint8_t, 4> r{};
      ctx.server.random(r);
      std::uint64_t id = 0;
      for (std::size_t i = 0; i < r.size(); ++i) id |= std::uint64_t{r[i]} << (8 * i);
      s->session_id = id;
    } while (s->session_id == 0 || s->session_id == ~0ULL || !ctx.server.sessions.reserve(s->session_id, ctx.host));
    if (conn.dialect == Dialect::smb3_1_1) s->preauth_hash = conn.preauth_hash;
    s->channels.push_back(Session::Channel{ctx.owner_id, ctx.owner, ctx.host, {}});
    conn.sessions[s->session_id] = s;
  } else {
    auto it = conn.sessions.find(req.hdr.session_id);
    if (it == conn.sessions.end()) return rsp.fail(NtStatus::user_session_deleted);
    s = it->second;
  }
  if (s->state == Session::State::ended) return rsp.fail(NtStatus::user_session_deleted);
  if (!s->authenticator) s->authenticator = std::make_unique<auth::Authenticator>(auth_config(ctx));
  // Reauthentication keeps the keys and does not use the preauth hash again (3.3.5.5.3).
  const bool reauth = s->state == Session::State::valid;
  if (conn.dialect == Dialect::smb3_1_1 && !reauth) s->preauth_hash = crypto::sha512({s->preauth_hash, req.msg});

  auto step = s->authenticator->step(decoded->security_buffer);
  rsp.session_id_out = s->session_id;
  rsp.session_for_signing = s;
  req.session = s;

  if (step.status == NtStatus::more_processing_required) {
    answer_token(rsp, std::move(step.out_token));
    rsp.status = NtStatus::more_processing_required;
    return;
  }
  if (step.status != NtStatus::success) {
    SMBSRV_LOG_INFO("{}: session setup failed: {}", ctx.peer, to_string(step.status));
    s->authenticator.reset();
    rsp.session_for_signing = nullptr;
    const NtStatus status =
        step.status == NtStatus::invalid_parameter ? NtStatus::invalid_parameter : NtStatus::logon_failure;
    if (!reauth) {
      forget_session(ctx, s->session_id);
      return rsp.fail(status);
    }
    // 3.3.5.5.3: a failed authentication removes the session — a reauthentication too — and
    // closes its opens; its later requests get USER_SESSION_DELETED (smbtorture
    // smb2.session.reauth6).
    auto to_close = ctx.end_session(s->session_id);
    if (to_close.empty()) return rsp.fail(status);
    rsp.defer(make_job(
        std::move(to_close),
        [&nt = ctx.nt](std::vector<std::shared_ptr<Open>>& os) {
          for (auto& o : os) close_open(nt, *o);
        },
        [status](Ctx&, Request&, Response& out, std::vector<std::shared_ptr<Open>>&) { out.fail(status); }));
    return;
  }

  codec::SessionSetupResponse r;
  r.security_buffer = std::move(step.out_token);
  if (!reauth) {
    s->is_guest = s->authenticator->is_guest();
    s->is_anonymous = s->authenticator->is_anonymous();
    s->user = s->authenticator->user();
    s->domain = s->authenticator->domain();
    s->session_key = s->authenticator->session_key();
    if (!s->is_guest && !s->is_anonymous) {
      derive_keys(conn, *s);
      s->signing_required = cfg.require_signing || (conn.client_security_mode & codec::kSigningRequired) != 0;
      ctx.server.random(s->nonce_salt);
    }
    if (cfg.encrypt_all) {
      // 3.3.5.5.3: a server that requires encryption refuses clients that cannot encrypt.
      if (!conn.cipher || s->is_guest || s->is_anonymous) {
        SMBSRV_LOG_WARN("{}: refused: the server requires encryption and this {} cannot encrypt", ctx.peer,
                        !conn.cipher ? "client" : "guest/anonymous session");
        forget_session(ctx, s->session_id);
        rsp.session_for_signing = nullptr;
        return rsp.fail(NtStatus::access_denied);
      }
      s->encrypt_data = true;
    }
    conn.any_session_valid = true;
    if (!s->is_guest && !s->is_anonymous) {
      SessionBindInfo info;
      info.dialect = conn.dialect;
      info.signing_algorithm = conn.signing_algorithm();
      info.cipher = conn.cipher;
      info.client_guid = conn.client_guid;
      info.signing_key = s->signing_key;
      info.user = s->user;
      info.domain = s->domain;
      info.session = s;
      info.client = conn.client.get();
      ctx.server.sessions.authenticated(s->session_id, std::move(info));
    }
    SMBSRV_LOG_INFO("{}: {} logged on{} (dialect {}, signing {})", ctx.peer,
                    s->is_anonymous ? std::string("anonymous") : s->domain + "\\" + s->user,
                    s->is_guest ? " as guest" : "", to_string(conn.dialect),
                    s->signing_required ? "required" : "optional");
  }
  s->state = Session::State::valid;
  if (s->is_guest) r.session_flags = codec::kSessionFlagIsGuest;
  if (s->is_anonymous) r.session_flags = codec::kSessionFlagIsNull;
  if (s->encrypt_data) r.session_flags |= codec::kSessionFlagEncryptData;
  s->authenticator.reset();
  // 3.3.5.5.3 step 12: the final response of a non-anonymous, non-guest session is signed.
  rsp.sign_anyway = !s->signing_key.empty();
  auto respond = [r = std::move(r)](Ctx&, Request&, Response& out) {
    Response::BodyBuilder b;
    codec::encode_session_setup_response(b.w, 0, r);
    out.set_body(b.buf);
  };
  auto to_close = replace_previous(ctx, *s, decoded->previous_session_id);
  if (to_close.empty()) return respond(ctx, req, rsp);
  // The previous session lived on this connection: its opens are closed before the answer, so
  // that the client's next CREATE meets no trace of them.
  rsp.defer(make_job(
      std::move(to_close),
      [&nt = ctx.nt](std::vector<std::shared_ptr<Open>>& os) {
        for (auto& o : os) close_open(nt, *o);
      },
      [respond](Ctx& c, Request& q, Response& out, std::vector<std::shared_ptr<Open>>&) { respond(c, q, out); }));
}

void logoff(Ctx& ctx, Request& req, Response& rsp) {
  if (!codec::decode_logoff_request(req.msg)) return rsp.fail(NtStatus::invalid_parameter);
  // The response is still signed with the (now removed) session's key: req.session keeps it.
  auto to_close = ctx.end_session(req.session->session_id);
  auto respond = [](Ctx&, Request&, Response& r) {
    Response::BodyBuilder b;
    codec::encode_logoff_response(b.w);
    r.set_body(b.buf);
  };
  if (to_close.empty()) return respond(ctx, req, rsp);
  rsp.defer(make_job(
      std::move(to_close),
      [&nt = ctx.nt](std::vector<std::shared_ptr<Open>>& os) {
        for (auto& o : os) close_open(nt, *o);
      },
      [respond](Ctx& c, Request& q, Response& r, std::vector<std::shared_ptr<Open>>&) { respond(c, q, r); }));
}

}  // namespace smbsrv::engine::handlers
