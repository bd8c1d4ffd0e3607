// SESSION_SETUP and LOGOFF (MS-SMB2 3.3.5.5, 3.3.5.6).
#include "engine/request.hpp"
#include "log.hpp"

namespace smbsrv::engine {

void Connection::on_session_setup(Request& req, Response& rsp) {
  auto decoded = codec::decode_session_setup_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  std::unique_lock lk(mu_);
  // No multichannel: a binding request cannot be honoured (3.3.5.5: REQUEST_NOT_ACCEPTED).
  if (decoded->flags & codec::kSessionFlagBinding) return rsp.fail(NtStatus::request_not_accepted);

  std::shared_ptr<Session> s;
  bool created = false;
  if (req.hdr.session_id == 0) {
    if (sessions_.size() >= server_->config.max_sessions_per_connection) {
      SMBSRV_LOG_DEBUG("{}: session limit ({}) reached", peer_, server_->config.max_sessions_per_connection);
      return rsp.fail(NtStatus::insufficient_resources);
    }
    s = std::make_shared<Session>();
    do {
      std::array<std::uint8_t, 8> r{};
      server_->random(r);
      std::uint64_t id = 0;
      for (int i = 0; i < 8; ++i) id |= std::uint64_t{r[static_cast<std::size_t>(i)]} << (8 * i);
      s->session_id = id;
    } while (s->session_id == 0 || s->session_id == ~0ULL || sessions_.count(s->session_id));
    if (dialect_ == 0x0311) s->preauth_hash = preauth_hash_;
    s->created_at = server_->now();
    sessions_[s->session_id] = s;
    created = true;
  } else {
    auto it = sessions_.find(req.hdr.session_id);
    if (it == sessions_.end()) return rsp.fail(NtStatus::user_session_deleted);
    s = it->second;
    if (s->state == Session::State::valid && !s->authenticator && dialect_ == 0x0311) {
      // Reauthentication: the keys stay as they are (3.3.5.5.3), the hash is not used again.
    }
  }
  if (!s->authenticator) {
    auth::AuthConfig ac;
    ac.netbios_computer_name = server_->config.server_name;
    ac.netbios_domain_name = server_->config.domain_name;
    ac.dns_computer_name = server_->config.server_name;
    ac.allow_guest = server_->config.allow_guest;
    ac.credentials = server_->credentials.get();
    ac.now = server_->now;
    ac.random = server_->random;
    s->authenticator = std::make_unique<auth::Authenticator>(std::move(ac));
  }
  const bool reauth = s->state == Session::State::valid;
  if (dialect_ == 0x0311 && !reauth) s->preauth_hash = crypto::sha512({s->preauth_hash, req.msg});

  auto step = s->authenticator->step(decoded->security_buffer);
  rsp.session_id_out = s->session_id;
  rsp.session_for_signing = s;
  req.session = s;

  if (step.status == NtStatus::more_processing_required) {
    codec::SessionSetupResponse r;
    r.security_buffer = std::move(step.out_token);
    lk.unlock();
    Response::BodyBuilder b;
    codec::encode_session_setup_response(b.w, 0, r);
    rsp.set_body(b.buf);
    rsp.status = NtStatus::more_processing_required;
    return;
  }
  if (step.status != NtStatus::success) {
    SMBSRV_LOG_INFO("{}: session setup failed: {}", peer_, to_string(step.status));
    s->authenticator.reset();
    if (!reauth) sessions_.erase(s->session_id);
    else s->state = Session::State::expired;  // a failed reauth invalidates the session (3.3.5.5.3)
    rsp.session_for_signing = nullptr;
    (void)created;
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
      derive_keys(*s);
      s->signing_required = server_->config.require_signing ||
                            (client_security_mode_ & codec::kSigningRequired) != 0;
      server_->random(s->nonce_salt);
    }
    if (server_->config.encrypt_all) {
      // 3.3.5.5.3: a server that requires encryption refuses clients that cannot encrypt.
      if (cipher_id_ == 0 || s->is_guest || s->is_anonymous) {
        SMBSRV_LOG_WARN("{}: refused: the server requires encryption and this {} cannot encrypt", peer_,
                        cipher_id_ == 0 ? "client" : "guest/anonymous session");
        sessions_.erase(s->session_id);
        rsp.session_for_signing = nullptr;
        return rsp.fail(NtStatus::access_denied);
      }
      s->encrypt_data = true;
    }
    s->state = Session::State::valid;
    any_session_valid_ = true;
    SMBSRV_LOG_INFO("{}: {} logged on{} (dialect 0x{:04x}, signing {})", peer_,
                    s->is_anonymous ? std::string("anonymous") : s->domain + "\\" + s->user,
                    s->is_guest ? " as guest" : "", dialect_, s->signing_required ? "required" : "optional");
  } else {
    s->state = Session::State::valid;
  }
  if (s->is_guest) r.session_flags = codec::kSessionFlagIsGuest;
  if (s->is_anonymous) r.session_flags = codec::kSessionFlagIsNull;
  if (s->encrypt_data) r.session_flags |= codec::kSessionFlagEncryptData;
  s->authenticator.reset();
  // 3.3.5.5.3 step 12: the final response of a non-anonymous, non-guest session is signed.
  rsp.sign_anyway = !s->signing_key.empty();
  lk.unlock();
  Response::BodyBuilder b;
  codec::encode_session_setup_response(b.w, 0, r);
  rsp.set_body(b.buf);
}

void Connection::on_logoff(Request& req, Response& rsp) {
  if (!codec::decode_logoff_request(req.msg)) return rsp.fail(NtStatus::invalid_parameter);
  std::vector<std::shared_ptr<Open>> to_close;
  {
    std::lock_guard lk(mu_);
    const auto sid = req.session->session_id;
    for (auto it = opens_.begin(); it != opens_.end();) {
      if (it->second->session_id == sid) {
        to_close.push_back(it->second);
        it = erase_open_locked(it);
      } else {
        ++it;
      }
    }
    if (!req.session->signing_key.empty()) {
      if (logged_off_.size() >= 16) logged_off_.erase(logged_off_.begin());
      logged_off_[sid] = req.session;
    }
    sessions_.erase(sid);
  }
  for (auto& o : to_close) close_open(o);
  Response::BodyBuilder b;
  codec::encode_logoff_response(b.w);
  rsp.set_body(b.buf);
  // The response is still signed with the (now removed) session's key: req.session keeps it.
}

}  // namespace smbsrv::engine
