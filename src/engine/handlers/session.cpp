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

namespace smbsrv::engine::handlers {

void session_setup(Ctx& ctx, Request& req, Response& rsp) {
  auto& conn = ctx.conn;
  const auto& cfg = ctx.server.config;
  auto decoded = codec::decode_session_setup_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  // No multichannel: a binding request cannot be honoured (3.3.5.5: REQUEST_NOT_ACCEPTED).
  if (decoded->flags & codec::kSessionFlagBinding) return rsp.fail(NtStatus::request_not_accepted);

  std::shared_ptr<Session> s;
  if (req.hdr.session_id == 0) {
    if (conn.sessions.size() >= cfg.max_sessions_per_connection) {
      SMBSRV_LOG_DEBUG("{}: session limit ({}) reached", ctx.peer, cfg.max_sessions_per_connection);
      return rsp.fail(NtStatus::insufficient_resources);
    }
    s = std::make_shared<Session>();
    do {
      std::array<std::uint8_t, 8> r{};
      ctx.server.random(r);
      std::uint64_t id = 0;
      for (std::size_t i = 0; i < 8; ++i) id |= std::uint64_t{r[i]} << (8 * i);
      s->session_id = id;
    } while (s->session_id == 0 || s->session_id == ~0ULL || conn.sessions.count(s->session_id));
    if (conn.dialect == Dialect::smb3_1_1) s->preauth_hash = conn.preauth_hash;
    conn.sessions[s->session_id] = s;
  } else {
    auto it = conn.sessions.find(req.hdr.session_id);
    if (it == conn.sessions.end()) return rsp.fail(NtStatus::user_session_deleted);
    s = it->second;
  }
  if (!s->authenticator) {
    auth::AuthConfig ac;
    ac.netbios_computer_name = cfg.server_name;
    ac.netbios_domain_name = cfg.domain_name;
    ac.dns_computer_name = cfg.server_name;
    ac.allow_guest = cfg.allow_guest;
    ac.credentials = ctx.server.credentials.get();
    ac.now = ctx.server.now;
    ac.random = ctx.server.random;
    s->authenticator = std::make_unique<auth::Authenticator>(std::move(ac));
  }
  // Reauthentication keeps the keys and does not use the preauth hash again (3.3.5.5.3).
  const bool reauth = s->state == Session::State::valid;
  if (conn.dialect == Dialect::smb3_1_1 && !reauth) s->preauth_hash = crypto::sha512({s->preauth_hash, req.msg});

  auto step = s->authenticator->step(decoded->security_buffer);
  rsp.session_id_out = s->session_id;
  rsp.session_for_signing = s;
  req.session = s;

  if (step.status == NtStatus::more_processing_required) {
    codec::SessionSetupResponse r;
    r.security_buffer = std::move(step.out_token);
    Response::BodyBuilder b;
    codec::encode_session_setup_response(b.w, 0, r);
    rsp.set_body(b.buf);
    rsp.status = NtStatus::more_processing_required;
    return;
  }
  if (step.status != NtStatus::success) {
    SMBSRV_LOG_INFO("{}: session setup failed: {}", ctx.peer, to_string(step.status));
    s->authenticator.reset();
    if (!reauth) conn.sessions.erase(s->session_id);
    else s->state = Session::State::expired;  // a failed reauth invalidates the session (3.3.5.5.3)
    rsp.session_for_signing = nullptr;
    return rsp.fail(step.status == NtStatus::invalid_parameter ? NtStatus::invalid_parameter
                                                               : NtStatus::logon_failure);
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
        conn.sessions.erase(s->session_id);
        rsp.session_for_signing = nullptr;
        return rsp.fail(NtStatus::access_denied);
      }
      s->encrypt_data = true;
    }
    conn.any_session_valid = true;
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
  Response::BodyBuilder b;
  codec::encode_session_setup_response(b.w, 0, r);
  rsp.set_body(b.buf);
}

void logoff(Ctx& ctx, Request& req, Response& rsp) {
  if (!codec::decode_logoff_request(req.msg)) return rsp.fail(NtStatus::invalid_parameter);
  auto& conn = ctx.conn;
  const auto sid = req.session->session_id;
  // Its opens close (CHANGE_NOTIFYs on them end with NOTIFY_CLEANUP); requests of the session
  // still waiting (a CREATE waiting for a break) are cancelled. A waiting LOCK is decided by the
  // closes instead, in open order (Windows: smbtorture smb2.lock.cancel-logoff).
  std::vector<std::shared_ptr<Open>> to_close;
  for (auto& [id, o] : conn.opens)
    if (o->session_id == sid) to_close.push_back(o);
  for (auto& o : to_close) ctx.unregister_open(o);
  // Durable opens outlive a LOGOFF as they outlive their connection: the user may reconnect them
  // from a new session (Windows and Samba: smbtorture smb2.durable-open.reopen4).
  std::erase_if(to_close, [&](const std::shared_ptr<Open>& o) { return keep_durable(ctx.server, o); });
  end_async_commands(
      ctx, [&](const AsyncCommand& a) { return a.session_id == sid && a.command != codec::Command::lock; },
      NtStatus::cancelled);
  if (!req.session->signing_key.empty()) {
    if (conn.logged_off.size() >= 16) conn.logged_off.erase(conn.logged_off.begin());
    conn.logged_off[sid] = req.session;
  }
  conn.sessions.erase(sid);
  // The response is still signed with the (now removed) session's key: req.session keeps it.
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
