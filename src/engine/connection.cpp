// Connection: frame → compound → per-message checks (sequence window, session, signature, tree)
// → handler → response header, signing, preauth hashing → frame (MS-SMB2 3.3.5.2).
#include "engine/connection.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/encryption.hpp"
#include "engine/request.hpp"
#include "log.hpp"

namespace smbsrv::engine {

using codec::Command;

namespace {
/// True when every message after index i is a CANCEL, which is never answered (3.3.5.16): the
/// response to message i is then the last of the frame, so it is neither padded nor chained.
bool only_cancels_follow(const std::vector<Bytes>& parts, std::size_t i) {
  for (std::size_t k = i + 1; k < parts.size(); ++k) {
    const Bytes m = parts[k];  // split_compound guarantees a full header
    if (static_cast<std::uint16_t>(m[12] | (m[13] << 8)) != static_cast<std::uint16_t>(Command::cancel))
      return false;
  }
  return true;
}
}  // namespace

// ServerConfig's limit defaults equal the k* limits in connection.hpp: checked by the unit test
// EngineLimits.DefaultsAreTheEngineConstants (a static_assert cannot build ServerConfig, which holds
// a std::string, as a constant with clang 14 and libstdc++ 12).

Connection::Connection(std::shared_ptr<ServerState> server, std::string peer)
    : server_(std::move(server)), peer_(std::move(peer)), sequence_window_(server_->config.max_credits) {}

Connection::~Connection() { shutdown(); }

std::size_t Connection::max_frame_size() const {
  std::lock_guard lk(mu_);
  const auto& c = server_->config;
  if (!any_session_valid_) return std::min(kMaxFrameSize, c.max_preauth_frame_size);
  if (c.max_frame_size != 0) return std::min(kMaxFrameSize, c.max_frame_size);
  // A WRITE carries up to max_write bytes plus its header; compounds add a little more.
  return std::min<std::size_t>(kMaxFrameSize, std::max({c.max_write, c.max_transact, c.max_read}) + 64 * 1024);
}

bool Connection::authenticated() const {
  std::lock_guard lk(mu_);
  return any_session_valid_;
}

void Connection::shutdown() {
  std::vector<std::shared_ptr<Open>> opens;
  std::vector<std::uint64_t> waiting;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, p] : pending_) waiting.push_back(id);
    pending_.clear();
    for (auto& [id, o] : opens_) opens.push_back(o);
    opens_.clear();
    opens_per_session_.clear();
    sessions_.clear();
  }
  for (auto id : waiting) server_->leases.forget_waiter(this, id);
  for (auto& o : opens) close_open(o);
}

void Connection::set_sink(std::function<void(Output)> sink) {
  std::lock_guard lk(sink_mu_);
  sink_ = std::move(sink);
}

void Connection::emit(Output out) {
  std::function<void(Output)> sink;
  {
    std::lock_guard lk(sink_mu_);
    sink = sink_;
  }
  if (sink) sink(std::move(out));
}

void Connection::on_tick() { server_->leases.tick(server_->now()); }

void Connection::send_break(const BreakNotice& n) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lk(mu_);
    auto it = sessions_.find(n.session_id);
    if (it != sessions_.end()) session = it->second;
  }
  // 3.3.4.6 / 3.3.4.7: an unsolicited message: MessageId all ones, no session, tree or credits,
  // not signed; encrypted when the open's session encrypts (3.3.4.1.4).
  codec::Header h;
  h.command = Command::oplock_break;
  h.flags = codec::kFlagServerToRedir;
  h.message_id = 0xFFFFFFFFFFFFFFFFULL;
  std::vector<std::uint8_t> msg;
  ByteWriter w(msg);
  codec::encode_header(w, h);
  if (n.is_oplock) {
    const std::uint8_t level = (n.to & codec::kLeaseRead) ? codec::kOplockLevelII : codec::kOplockNone;
    codec::encode_oplock_break(w, level, n.file_id);
  } else {
    codec::LeaseBreakNotification b;
    b.new_epoch = n.version == 2 ? n.epoch : 0;
    b.flags = n.ack_required ? codec::kLeaseBreakAckRequired : 0;
    b.key = n.key;
    b.current_state = n.from;
    b.new_state = n.to;
    codec::encode_lease_break_notification(w, b);
  }
  SMBSRV_LOG_DEBUG("{}: {} break 0x{:x} -> 0x{:x}{}", peer_, n.is_oplock ? "oplock" : "lease", n.from, n.to,
                   n.ack_required ? " (ack required)" : "");
  Output out;
  if (session && n.encrypt && !session->encryption_key.empty()) {
    auto sealed = encrypt(*session, msg);
    if (!sealed) return;
    out.frames.push_back(std::move(*sealed));
  } else {
    out.frames.push_back(std::move(msg));
  }
  emit(std::move(out));
}

void Connection::complete_pending(Pending& p, std::uint64_t async_id, Request& req, Response& rsp) {
  (void)async_id;
  std::vector<std::uint8_t> buf;
  finish_response(req, rsp, buf, 0, true);
  Output out;
  if (p.was_encrypted) {
    auto sealed = encrypt(*p.session, buf);
    if (!sealed) return;
    out.frames.push_back(std::move(*sealed));
  } else {
    out.frames.push_back(std::move(buf));
  }
  emit(std::move(out));
}

void Connection::interims_posted(std::span<const std::uint64_t> ids) {
  for (const auto id : ids) {
    bool ready = false;
    {
      std::lock_guard lk(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end() || !it->second.interim_pending) continue;
      it->second.interim_pending = false;
      ready = it->second.ready;
    }
    if (ready) resume_pending(id);  // its breaks completed while the interim was on its way
  }
}

void Connection::resume_pending(std::uint64_t async_id) {
  Pending p;
  {
    std::lock_guard lk(mu_);
    auto it = pending_.find(async_id);
    if (it == pending_.end()) return;
    if (it->second.interim_pending) {  // on_create has not answered STATUS_PENDING yet
      it->second.ready = true;
      return;
    }
    if (it->second.command != Command::create) return;
    p = std::move(it->second);
    pending_.erase(it);
    auto s = sessions_.find(p.session_id);
    if (s == sessions_.end() || s->second->state != Session::State::valid) return;  // logged off
    if (!s->second->tree_connects.count(p.tree_id)) return;                         // disconnected
  }
  Request req = request_of(p, async_id);
  Response rsp;
  on_create(req, rsp);
  if (rsp.status == NtStatus::pending) return;  // waits again (on_create stored it anew)
  complete_pending(p, async_id, req, rsp);
}

Connection::Pending Connection::pending_of(const Request& req) {
  Pending p;
  p.msg.assign(req.msg.begin(), req.msg.end());
  p.session = req.session;
  p.tree = req.tree;
  p.message_id = req.hdr.message_id;
  p.session_id = req.effective_session_id;
  p.tree_id = req.effective_tree_id;
  p.was_encrypted = req.was_encrypted;
  p.signed_ok = req.signed_ok;
  return p;
}

Connection::Request Connection::request_of(const Pending& p, std::uint64_t async_id) {
  Request req;
  req.msg = p.msg;
  if (auto h = codec::decode_header(req.msg)) req.hdr = *h;
  req.session = p.session;
  req.tree = p.tree;
  req.effective_session_id = p.session_id;
  req.effective_tree_id = p.tree_id;
  req.was_encrypted = p.was_encrypted;
  req.signed_ok = p.signed_ok;
  req.may_go_async = true;
  req.async_id = async_id;
  req.resumed = true;
  return req;
}

std::map<std::uint64_t, std::shared_ptr<Open>>::iterator Connection::erase_open_locked(
    std::map<std::uint64_t, std::shared_ptr<Open>>::iterator it) {
  auto c = opens_per_session_.find(it->second->session_id);
  if (c != opens_per_session_.end() && --c->second == 0) opens_per_session_.erase(c);
  return opens_.erase(it);
}

bool Connection::signs_response(const Request& req, const Response& rsp) const {
  const auto& session = rsp.session_for_signing ? rsp.session_for_signing : req.session;
  return session && !session->signing_key.empty() && !rsp.no_sign && !req.was_encrypted &&
         (req.signed_ok || session->signing_required || rsp.sign_anyway) && rsp.status != NtStatus::pending;
}

FileTail& FileTail::operator=(FileTail&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    offset_ = o.offset_;
    length_ = o.length_;
    held_ = std::exchange(o.held_, nullptr);
  }
  return *this;
}

void FileTail::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  if (held_) held_->fetch_sub(1, std::memory_order_relaxed);
  fd_ = -1;
  held_ = nullptr;
}

void inline_file_tail(Output& out) {
  if (!out.tail || out.frames.empty()) return;
  auto& f = out.frames[out.frames.size() - 1];
  const std::size_t at = f.size();
  f.resize(at + out.tail.length(), 0);
  std::size_t done = 0;
  while (done < out.tail.length()) {
    const ssize_t n = ::pread(out.tail.fd(), f.data() + at + done, out.tail.length() - done,
                              static_cast<off_t>(out.tail.offset() + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the rest stays zero, as the transport would send it
    done += static_cast<std::size_t>(n);
  }
  out.tail.reset();
}

crypto::SigningAlgorithm Connection::signing_algorithm() const {
  if (dialect_ < 0x0300) return crypto::SigningAlgorithm::hmac_sha256;
  if (dialect_ == 0x0311 && signing_algorithm_id_) return *signing_algorithm_id_;
  return crypto::SigningAlgorithm::aes_cmac;
}

Output Connection::on_message(Bytes frame) {
  if (frame.size() >= 4 && frame[0] == 0xFF && frame[1] == 'S' && frame[2] == 'M' && frame[3] == 'B')
    return handle_smb1_negotiate(frame);
  if (frame.size() >= 4 && frame[0] == 0xFE && frame[1] == 'S' && frame[2] == 'M' && frame[3] == 'B')
    return handle_frame(frame);
  if (frame.size() >= 4 && frame[0] == 0xFD && frame[1] == 'S' && frame[2] == 'M' && frame[3] == 'B')
    return handle_encrypted(frame);
  // 0xFC (compression) is never negotiated. Anything else is not SMB2.
  // MS-SMB2 3.3.5.2: an unrecognised ProtocolId → disconnect.
  return Output{{}, Disposition::close_now};
}

Output Connection::handle_encrypted(Bytes frame) {
  // MS-SMB2 3.3.5.2.1.1: any failure to decrypt disconnects.
  const auto drop = [] { return Output{{}, Disposition::close_now}; };
  auto t = codec::decode_transform_header(frame);
  if (!t || t->flags != 0x0001) return drop();
  std::shared_ptr<Session> s;
  crypto::Cipher cipher{};
  {
    std::lock_guard lk(mu_);
    if (cipher_id_ == 0) return drop();
    cipher = static_cast<crypto::Cipher>(cipher_id_);
    auto it = sessions_.find(t->session_id);
    if (it == sessions_.end() || it->second->decryption_key.empty()) {
      SMBSRV_LOG_DEBUG("{}: encrypted message for unknown session 0x{:x}: disconnect", peer_, t->session_id);
      return drop();
    }
    s = it->second;
  }
  // Decrypted in one pass into a pooled buffer, which goes back to the pool afterwards (the
  // output never points into the request).
  std::vector<std::uint8_t> plain = server_->buffers.take(frame.size() - std::min(frame.size(), codec::kTransformHeaderSize));
  struct GiveBack {
    BufferPool& pool;
    std::vector<std::uint8_t>& v;
    ~GiveBack() { pool.give(std::move(v)); }
  } give_back{server_->buffers, plain};
  if (!open_message_into(cipher, s->decryption_key, *t, frame, plain)) {
    SMBSRV_LOG_DEBUG("{}: decryption failed: disconnect", peer_);
    return drop();
  }
  if (plain.size() < codec::kHeaderSize || plain[0] != 0xFE || plain[1] != 'S') return drop();
  return handle_frame(plain, s);
}

std::optional<std::vector<std::uint8_t>> Connection::encrypt(Session& s, Bytes plain) {
  crypto::Cipher cipher{};
  {
    std::lock_guard lk(mu_);
    cipher = static_cast<crypto::Cipher>(cipher_id_);
  }
  // See engine/encryption.hpp for why these nonces never repeat under one key.
  const auto n = next_nonce_counter(s.nonce_counter);
  if (!n) return std::nullopt;
  auto out = server_->buffers.take(codec::kTransformHeaderSize + plain.size());
  if (!seal_message_into(cipher, s.encryption_key, s.session_id, encryption_nonce(cipher, *n, s.nonce_salt), plain, out)) {
    server_->buffers.give(std::move(out));
    return std::nullopt;
  }
  return out;
}

Output Connection::handle_frame(Bytes frame, std::shared_ptr<Session> encrypted_by) {
  Output out;
  // Reused across calls on this thread (handle_frame never nests), so a steady stream of
  // requests allocates nothing here.
  thread_local std::vector<Bytes> parts_storage;
  if (!codec::split_compound(frame, parts_storage)) {
    out.disposition = Disposition::close_now;  // a broken chain cannot be answered per message
    return out;
  }
  const std::vector<Bytes>& parts = parts_storage;
  std::vector<std::uint8_t> buf;
  Request prev;  // the previous message of the chain, for related operations (3.3.5.2.7.2)
  bool have_prev = false;
  const std::size_t count = parts.size();
  for (std::size_t i = 0; i < count; ++i) {
    Request req;
    req.msg = parts[i];
    auto h = codec::decode_header(req.msg);
    if (!h && req.msg.size() >= codec::kHeaderSize) {
      // An unknown Command is answered with STATUS_INVALID_PARAMETER (handle_one), not with a
      // disconnect, as long as the rest of the header is sound.
      std::vector<std::uint8_t> copy(req.msg.begin(), req.msg.begin() + codec::kHeaderSize);
      const auto raw = static_cast<std::uint16_t>(copy[12] | (copy[13] << 8));
      copy[12] = static_cast<std::uint8_t>(Command::echo);
      copy[13] = 0;
      h = codec::decode_header(copy);
      if (h) h->command = static_cast<Command>(raw);
    }
    if (!h) {
      out.disposition = Disposition::close_now;
      return out;
    }
    req.hdr = *h;
    req.related = (req.hdr.flags & codec::kFlagRelatedOperations) != 0;
    req.index = i;
    req.sole = count == 1;
    req.was_encrypted = encrypted_by != nullptr;
    // 3.3.5.2.1.1: the decrypted messages must belong to the session that encrypted them.
    if (encrypted_by && req.hdr.session_id != encrypted_by->session_id &&
        !(req.hdr.flags & codec::kFlagRelatedOperations)) {
      out.disposition = Disposition::close_now;
      return out;
    }
    if (req.related && have_prev) {
      // A chain that started with a related message is invalid as a whole: every related
      // message after it fails the same way (Windows behaviour, smbtorture compound.related9).
      req.first_related_invalid = prev.first_related_invalid;
      req.prev_status = prev.final_status;
      req.prev_file_id = prev.out_file_id;
      req.inherit_session = prev.effective_session_id;
      req.inherit_tree = prev.effective_tree_id;
    } else if (req.related) {
      req.first_related_invalid = true;  // 3.3.5.2.7.2: first message may not be related
    }
    req.may_go_async = i + 1 == count || only_cancels_follow(parts, i);
    Response rsp;
    handle_one(req, rsp);
    if (rsp.disconnect) {
      SMBSRV_LOG_DEBUG("{}: {} ends the connection", peer_, codec::command_name(req.hdr.command));
      out.frames.clear();
      out.disposition = Disposition::close_now;
      if (!rsp.send_before_disconnect) return out;
    }
    if (rsp.no_response) {
      prev = std::move(req);
      have_prev = true;
      continue;
    }
    const std::size_t hdr = buf.size();
    if (rsp.status == NtStatus::pending && req.async_id && !req.resumed) out.interims.push_back(*req.async_id);
    finish_response(req, rsp, buf, hdr, i + 1 == count || only_cancels_follow(parts, i));
    if (rsp.buf.capacity() != 0) server_->buffers.give(std::move(rsp.buf));  // copied into buf
    if (rsp.tail) out.tail = std::move(rsp.tail);  // only ever on a sole, unsigned, plaintext READ
    prev = std::move(req);
    have_prev = true;
    if (rsp.disconnect) {
      out.frames.push_back(std::move(buf));
      out.disposition = Disposition::close_after_flush;
      return out;
    }
  }
  if (buf.empty()) return out;
  // 3.3.4.1.4: a response to an encrypted request is encrypted (the whole chain at once).
  if (encrypted_by) {
    auto sealed = encrypt(*encrypted_by, buf);
    server_->buffers.give(std::move(buf));
    if (!sealed) return Output{{}, Disposition::close_now};
    out.frames.push_back(std::move(*sealed));
    return out;
  }
  out.frames.push_back(std::move(buf));
  return out;
}

void Connection::handle_one(Request& req, Response& rsp) {
  const auto cmd = req.hdr.command;
  std::unique_lock lk(mu_);
  // MS-SMB2 3.3.5.2: before NEGOTIATE, only NEGOTIATE is acceptable.
  // After the SMB1 upgrade (dialect 2.???), likewise: only the SMB2 NEGOTIATE may follow.
  if ((!negotiated_ || dialect_ == 0x02FF) && cmd != Command::negotiate) {
    SMBSRV_LOG_DEBUG("{}: {} before NEGOTIATE: disconnect", peer_, codec::command_name(cmd));
    rsp.disconnect = true;
    return;
  }
  // 3.3.5.2.3 / 3.3.5.2.5: sequence window and CreditCharge. CANCEL consumes nothing.
  if (cmd != Command::cancel) {
    std::uint16_t charge = req.hdr.credit_charge;
    if (dialect_ == 0x0202 || !(server_capabilities_ & codec::kCapLargeMtu)) charge = 1;
    if (!sequence_window_.consume(req.hdr.message_id, charge)) {
      SMBSRV_LOG_DEBUG("{}: MessageId {} (charge {}) outside the window: disconnect", peer_,
                       req.hdr.message_id, charge);
      rsp.disconnect = true;
      return;
    }
    req.charge = charge == 0 ? 1 : charge;
  }
  // Effective SessionId / TreeId (related operations inherit them). A first message that claims
  // to be related has nothing to inherit: it is checked (session, signature) with its own ids and
  // then failed below, so that the error is signed like any other answer.
  const bool inherits = req.related && !req.first_related_invalid;
  req.effective_session_id = inherits ? req.inherit_session : req.hdr.session_id;
  req.effective_tree_id = inherits ? req.inherit_tree : req.hdr.tree_id;
  if (req.related && req.hdr.session_id != 0xFFFFFFFFFFFFFFFFULL && req.hdr.session_id != 0)
    req.effective_session_id = req.hdr.session_id;
  if (req.related && req.hdr.tree_id != 0xFFFFFFFFu && req.hdr.tree_id != 0)
    req.effective_tree_id = req.hdr.tree_id;

  // 3.3.5.2.9: commands other than NEGOTIATE, SESSION_SETUP and ECHO need a valid session.
  const bool needs_session = cmd != Command::negotiate && cmd != Command::session_setup &&
                             cmd != Command::echo && cmd != Command::cancel;
  if (req.effective_session_id != 0 || needs_session) {
    auto it = sessions_.find(req.effective_session_id);
    if (it != sessions_.end()) req.session = it->second;
  }
  if (needs_session) {
    if (!req.session) {
      auto gone = logged_off_.find(req.effective_session_id);
      if (gone != logged_off_.end() && (req.hdr.flags & codec::kFlagSigned) &&
          crypto::smb2_verify(signing_algorithm(), gone->second->signing_key, req.msg))
        rsp.session_for_signing = gone->second;
      rsp.status = NtStatus::user_session_deleted;
      return;
    }
    if (req.session->state != Session::State::valid) {
      rsp.status = req.session && req.session->state == Session::State::expired
                       ? NtStatus::network_session_expired
                       : NtStatus::user_session_deleted;
      return;
    }
  }
  // 3.3.5.2.9: a session that must encrypt refuses plaintext requests.
  if (req.session && req.session->encrypt_data && !req.was_encrypted && cmd != Command::negotiate &&
      !(cmd == Command::session_setup && req.session->state != Session::State::valid)) {
    rsp.status = NtStatus::access_denied;
    return;
  }
  // 3.3.5.2.4: signature verification (an encrypted message is authenticated by its AEAD tag).
  const bool is_signed = (req.hdr.flags & codec::kFlagSigned) != 0;
  if (req.session && !req.session->signing_key.empty() && cmd != Command::negotiate && !req.was_encrypted) {
    const bool in_setup = cmd == Command::session_setup && req.session->state != Session::State::valid;
    if (is_signed) {
      if (!crypto::smb2_verify(signing_algorithm(), req.session->signing_key, req.msg)) {
        if (cmd == Command::cancel) {  // CANCEL is never answered (3.3.5.16), not even to refuse it
          rsp.no_response = true;
          return;
        }
        rsp.status = NtStatus::access_denied;
        rsp.no_sign = true;
        return;
      }
      req.signed_ok = true;
    } else if (req.session->signing_required && !in_setup && cmd != Command::cancel &&
               cmd != Command::echo) {
      rsp.status = NtStatus::access_denied;
      rsp.no_sign = true;
      return;
    }
  }
  if (static_cast<std::uint16_t>(cmd) >= codec::kCommandCount) {
    rsp.status = NtStatus::invalid_parameter;
    return;
  }
  // 3.3.5.2.7.2: the first message of a chain cannot be a related operation.
  if (req.first_related_invalid) {
    rsp.status = NtStatus::invalid_parameter;
    return;
  }
  // Related operations after a failure (3.3.5.2.7.2): fail with the same status when they
  // depend on the FileId the failed request would have produced.
  // (Handled where the FileId is resolved: find_open.)
  const bool needs_tree = cmd == Command::tree_disconnect || cmd == Command::create ||
                          cmd == Command::close || cmd == Command::flush || cmd == Command::read ||
                          cmd == Command::write || cmd == Command::lock || cmd == Command::ioctl ||
                          cmd == Command::query_directory || cmd == Command::change_notify ||
                          cmd == Command::query_info || cmd == Command::set_info;
  if (needs_tree) {
    auto it = req.session->tree_connects.find(req.effective_tree_id);
    if (it == req.session->tree_connects.end()) {
      rsp.status = NtStatus::network_name_deleted;
      return;
    }
    req.tree = it->second;
    if (req.tree->encrypt_data && !req.was_encrypted) {  // 3.3.5.2.11
      rsp.status = NtStatus::access_denied;
      return;
    }
  }
  lk.unlock();

  switch (cmd) {
    case Command::negotiate: on_negotiate(req, rsp); break;
    case Command::session_setup: on_session_setup(req, rsp); break;
    case Command::logoff: on_logoff(req, rsp); break;
    case Command::tree_connect: on_tree_connect(req, rsp); break;
    case Command::tree_disconnect: on_tree_disconnect(req, rsp); break;
    case Command::create: on_create(req, rsp); break;
    case Command::close: on_close(req, rsp); break;
    case Command::flush: on_flush(req, rsp); break;
    case Command::read: on_read(req, rsp); break;
    case Command::write: on_write(req, rsp); break;
    case Command::lock: on_lock(req, rsp); break;
    case Command::ioctl: on_ioctl(req, rsp); break;
    case Command::cancel: on_cancel(req, rsp); break;
    case Command::echo: on_echo(req, rsp); break;
    case Command::query_directory: on_query_directory(req, rsp); break;
    case Command::change_notify: on_change_notify(req, rsp); break;
    case Command::query_info: on_query_info(req, rsp); break;
    case Command::set_info: on_set_info(req, rsp); break;
    case Command::oplock_break: on_oplock_break(req, rsp); break;
  }
}

void Connection::finish_response(Request& req, Response& rsp, std::vector<std::uint8_t>& out,
                                 std::size_t hdr, bool last) {
  req.final_status = rsp.status;
  SMBSRV_LOG_TRACE("{}: {} mid={} -> {}{}", peer_, codec::command_name(req.hdr.command), req.hdr.message_id,
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
  if (!req.resumed) {  // the interim response already granted this request's credits
    std::lock_guard lk(mu_);
    h.credit = sequence_window_.grant(std::max<std::uint16_t>(req.hdr.credit, 1));
  }
  ByteWriter w(out);
  if (rsp.has_body && out.empty() && rsp.buf.size() >= codec::kHeaderSize) {
    // The common case, one response in the frame: take the handler's buffer as it is and write
    // the header into its placeholder (no copy of a READ's data).
    out.swap(rsp.buf);
    thread_local std::vector<std::uint8_t> hb;  // reused: no allocation per response
    hb.clear();
    ByteWriter hw(hb);
    codec::encode_header(hw, h);
    std::copy(hb.begin(), hb.end(), out.begin());
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
  if (!last) w.put_u32(hdr + 20, static_cast<std::uint32_t>(end - hdr));

  std::span<std::uint8_t> msg(out.data() + hdr, end - hdr);
  // Signing (3.3.4.1.1): responses to signed requests, all responses of a session that requires
  // signing, and the final SESSION_SETUP response; never with an unknown key.
  if (signs_response(req, rsp)) {
    auto& session = rsp.session_for_signing ? rsp.session_for_signing : req.session;
    msg[16] = static_cast<std::uint8_t>(msg[16] | codec::kFlagSigned);
    crypto::smb2_sign(signing_algorithm(), session->signing_key, msg);
  }
  // 3.1.1 preauth integrity (3.3.5.4, 3.3.5.5): hash NEGOTIATE and non-final SESSION_SETUP
  // responses exactly as sent.
  if (dialect_ == 0x0311 || rsp.negotiated_311) {
    Bytes sent(msg.data(), last ? msg.size() : msg.size());
    if (req.hdr.command == Command::negotiate && rsp.status == NtStatus::success) {
      std::lock_guard lk(mu_);
      preauth_hash_ = crypto::sha512({preauth_hash_, sent});
    } else if (req.hdr.command == Command::session_setup &&
               rsp.status == NtStatus::more_processing_required && rsp.session_for_signing) {
      std::lock_guard lk(mu_);
      auto& s = *rsp.session_for_signing;
      s.preauth_hash = crypto::sha512({s.preauth_hash, sent});
    }
  }
}

Output Connection::handle_smb1_negotiate(Bytes frame) {
  // MS-SMB2 3.3.5.3: an SMB1 NEGOTIATE that lists SMB2 dialects is answered with an SMB2
  // NEGOTIATE response: 0x02FF ("SMB 2.???") when the server supports 2.1 or later, else 0x0202
  // ("SMB 2.002"). Anything else SMB1 is never served: disconnect.
  Output out;
  std::unique_lock lk(mu_);
  if (negotiated_ || frame.size() < 35 || frame[4] != 0x72) {
    out.disposition = Disposition::close_now;
    return out;
  }
  // SMB1 header is 32 bytes; then WordCount (1), ByteCount (2), dialect strings "\x02name\0".
  ByteReader r(frame);
  r.skip(32);
  const std::uint8_t word_count = r.u8();
  r.skip(std::size_t{word_count} * 2);
  const std::uint16_t byte_count = r.u16();
  Bytes strings = r.bytes(std::min<std::size_t>(byte_count, r.remaining()));
  bool has_202 = false, has_wild = false;
  for (std::size_t i = 0; i < strings.size();) {
    if (strings[i] != 0x02) break;
    std::size_t j = i + 1;
    while (j < strings.size() && strings[j] != 0) ++j;
    std::string_view name(reinterpret_cast<const char*>(strings.data() + i + 1), j - i - 1);
    if (name == "SMB 2.002") has_202 = true;
    if (name == "SMB 2.???") has_wild = true;
    i = j + 1;
  }
  const auto& cfg = server_->config;
  std::uint16_t dialect = 0;
  if (has_wild && static_cast<std::uint16_t>(cfg.max_dialect) >= 0x0210) dialect = 0x02FF;
  else if ((has_202 || has_wild) && static_cast<std::uint16_t>(cfg.min_dialect) <= 0x0202) dialect = 0x0202;
  if (dialect == 0) {
    out.disposition = Disposition::close_now;
    return out;
  }
  // The SMB1 request used MessageId 0. After 0x02FF a second (SMB2) NEGOTIATE is expected.
  (void)sequence_window_.consume(0, 1);
  negotiated_ = true;
  dialect_ = dialect;
  server_security_mode_ = static_cast<std::uint16_t>(
      codec::kSigningEnabled | (cfg.require_signing ? codec::kSigningRequired : 0));
  server_capabilities_ = dialect == 0x02FF ? codec::kCapLargeMtu : 0;
  codec::NegotiateResponse nr;
  nr.security_mode = server_security_mode_;
  nr.dialect_revision = dialect;
  nr.server_guid = server_->server_guid;
  nr.capabilities = server_capabilities_;
  nr.max_transact_size = dialect == 0x0202 ? 65536 : cfg.max_transact;
  nr.max_read_size = dialect == 0x0202 ? 65536 : cfg.max_read;
  nr.max_write_size = dialect == 0x0202 ? 65536 : cfg.max_write;
  nr.system_time = server_->now();
  nr.security_buffer = auth::negotiate_hint_token();
  // Encoders take offsets from the header start: build into a buffer that starts with the header.
  std::vector<std::uint8_t> msg;
  codec::Header h;
  h.command = Command::negotiate;
  h.flags = codec::kFlagServerToRedir;
  h.credit = sequence_window_.grant(1);
  lk.unlock();
  ByteWriter w(msg);
  codec::encode_header(w, h);
  codec::encode_negotiate_response(w, 0, nr);
  out.frames.push_back(std::move(msg));
  return out;
}

}  // namespace smbsrv::engine
