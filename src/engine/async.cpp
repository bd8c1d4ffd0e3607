#include "engine/async.hpp"

#include <variant>

#include "engine/chain.hpp"
#include "engine/connection.hpp"
#include "engine/dispatch.hpp"
#include "engine/handlers/durable.hpp"
#include "engine/mailbox.hpp"
#include "engine/security.hpp"
#include "log.hpp"

namespace smbsrv::engine {

using codec::Command;

namespace {

/// The request an async command becomes again, over its own copy of the message.
Request request_of(const AsyncCommand& a, std::uint64_t id) {
  Request req;
  req.msg = a.msg;
  if (auto h = codec::decode_header_any_command(req.msg)) req.hdr = *h;
  req.session = a.session;
  req.tree = a.tree;
  req.effective_session_id = a.session_id;
  req.effective_tree_id = a.tree_id;
  req.was_encrypted = a.was_encrypted;
  req.signed_ok = a.signed_ok;
  req.async_id = id;
  req.resumed = true;
  return req;
}

}  // namespace

void register_async(Ctx& ctx, Request& req, Response& rsp) {
  const std::uint64_t id = *rsp.async_id;
  AsyncCommand a;
  a.command = req.hdr.command;
  a.file_id = rsp.async_file_id;
  a.msg.assign(req.msg.begin(), req.msg.end());
  a.session = req.session;
  a.tree = req.tree;
  a.message_id = req.hdr.message_id;
  a.session_id = req.effective_session_id;
  a.tree_id = req.effective_tree_id;
  a.was_encrypted = req.was_encrypted;
  a.signed_ok = req.signed_ok;
  a.waits_in_core = rsp.waits_in_core;
  ctx.conn.async_commands[id] = std::move(a);
  req.async_id = id;
}

void settle_async(Ctx& ctx, Request& req, Response& rsp) {
  auto& conn = ctx.conn;
  bool woken = false;
  if (req.core_wait_token) {
    auto it = conn.core_waits_in_flight.find(*req.core_wait_token);
    if (it != conn.core_waits_in_flight.end()) {
      woken = it->second;
      conn.core_waits_in_flight.erase(it);
    }
  }
  const bool waits = rsp.async_id && rsp.waits_in_core;
  if (waits && woken) conn.to_resume.push_back(*rsp.async_id);  // its breaks ended while the job ran
  if (!req.resumed) return;
  auto it = conn.async_commands.find(*req.async_id);
  if (it == conn.async_commands.end()) return;
  if (!rsp.async_id) {  // the final response is out
    conn.pending_create_guids.erase(it->first);
    conn.async_commands.erase(it);
    return;
  }
  it->second.running = false;
  it->second.waits_in_core = rsp.waits_in_core;
  if (it->second.cancel_requested) {
    Response cancelled;
    cancelled.fail(NtStatus::cancelled);
    ctx.complete_async(it->first, cancelled);
  }
}

bool Ctx::complete_async(std::uint64_t id, Response& rsp) {
  auto it = conn.async_commands.find(id);
  if (it == conn.async_commands.end() || it->second.running) return false;
  AsyncCommand a = std::move(it->second);
  conn.async_commands.erase(it);
  conn.pending_create_guids.erase(id);
  if (a.waits_in_core) nt.cancel_wait(owner_id, id);
  std::erase(conn.to_resume, id);
  Request req = request_of(a, id);
  std::vector<std::uint8_t> buf;
  finish_response(*this, req, rsp, buf, 0, true);
  if (!a.was_encrypted) {
    out.frames.push_back(std::move(buf));
  } else if (auto sealed = seal(server, conn, *a.session, buf)) {
    out.frames.push_back(std::move(*sealed));
  }
  return true;
}

void end_async_commands(Ctx& ctx, const std::function<bool(const AsyncCommand&)>& which, NtStatus status) {
  std::vector<std::uint64_t> ids;
  for (auto& [id, a] : ctx.conn.async_commands) {
    if (!which(a)) continue;
    if (a.running) a.cancel_requested = true;
    else ids.push_back(id);
  }
  for (auto id : ids) {
    Response rsp;
    rsp.fail(status);
    ctx.complete_async(id, rsp);
  }
}

std::optional<std::vector<std::uint8_t>> encode_break(Ctx& ctx, const nt::BreakNotice& n) {
  std::shared_ptr<Session> session;
  if (auto it = ctx.conn.sessions.find(n.tag.session_id); it != ctx.conn.sessions.end()) session = it->second;
  // 3.3.4.6 / 3.3.4.7: an unsolicited message: MessageId all ones, no session, tree or credits,
  // not signed; encrypted when the open's session encrypts (3.3.4.1.4).
  codec::Header h;
  h.command = Command::oplock_break;
  h.flags = codec::kFlagServerToRedir;
  h.message_id = ~0ULL;
  std::vector<std::uint8_t> msg;
  ByteWriter w(msg);
  codec::encode_header(w, h);
  if (n.is_oplock) {
    const std::uint8_t level = (n.to & nt::kCacheRead) ? codec::kOplockLevelII : codec::kOplockNone;
    codec::encode_oplock_break(w, level, {n.tag.persistent_id, n.tag.volatile_id});
  } else {
    codec::LeaseBreakNotification b;
    b.new_epoch = n.version == 2 ? n.epoch : 0;
    b.flags = n.ack_required ? codec::kLeaseBreakAckRequired : 0;
    b.key = n.key;
    b.current_state = n.from;
    b.new_state = n.to;
    codec::encode_lease_break_notification(w, b);
  }
  SMBSRV_LOG_DEBUG("{}: {} break 0x{:x} -> 0x{:x}{}", ctx.peer, n.is_oplock ? "oplock" : "lease", n.from, n.to,
                   n.ack_required ? " (ack required)" : "");
  if (session && n.tag.encrypt && !session->encryption_key.empty()) return seal(ctx.server, ctx.conn, *session, msg);
  return msg;
}

Output Connection::on_wake() {
  std::lock_guard group_lock(state_.client->mu);
  Output out;
  Ctx ctx = context(out);
  take_mail(ctx);
  drain_resumes(out);
  return out;
}

void Connection::take_mail(Ctx& ctx) {
  Output& out = ctx.out;
  auto taken = mailbox_->take();
  for (auto& e : taken.events) {
    if (dropped_) continue;
    if (auto* b = std::get_if<nt::BreakNotice>(&e)) {
      if (forward_lease_break(*b)) continue;
      if (auto f = encode_break(ctx, *b)) out.frames.push_back(std::move(*f));
      continue;
    }
    if (auto* ended = std::get_if<nt::OpenEnded>(&e)) {
      drop_ended_open(ctx, ended->tag);
      continue;
    }
    const std::uint64_t token = std::get<nt::Wake>(e).token;
    if (auto it = state_.core_waits_in_flight.find(token); it != state_.core_waits_in_flight.end()) {
      it->second = true;  // its job is still running: settle_async() resumes it
    } else if (auto a = state_.async_commands.find(token);
               a != state_.async_commands.end() && a->second.waits_in_core && !a->second.running) {
      state_.to_resume.push_back(token);
    }
  }
  // Sessions that a SESSION_SETUP with PreviousSessionId replaced, on another connection
  // (3.3.5.5.3): their later requests get USER_SESSION_DELETED; their opens close.
  for (auto sid : taken.expired_sessions) {
    if (dropped_) continue;  // shutdown() closes everything anyway
    SMBSRV_LOG_INFO("{}: session 0x{:x} ends: a new session of its user replaced it, or another channel logged off",
                    peer_, sid);
    close_in_background(ctx, ctx.end_session(sid));
  }
}

void Connection::drop_ended_open(Ctx& ctx, const nt::OpenTag& tag) {
  // The core closed it for another client (3.3.4.17): the client's later requests on the FileId
  // get STATUS_FILE_CLOSED, and the backend file is released as for a closed session's opens.
  auto it = state_.client->opens.find(tag.volatile_id);
  if (it == state_.client->opens.end() || it->second->file_id.persistent != tag.persistent_id) return;
  auto open = it->second;
  if (!open->nt || !server_->nt.ended(open->nt)) return;
  SMBSRV_LOG_INFO("{}: open 0x{:x} closed: another client opened its file with the same AppInstanceId", peer_,
                  tag.persistent_id);
  ctx.unregister_open(open);
  close_in_background(ctx, {std::move(open)});
}

void Connection::close_in_background(Ctx& ctx, std::vector<std::shared_ptr<Open>> opens) {
  if (opens.empty()) return;
  // The NT core lets go now; the backend work (closing files, a pending deletion) is a job.
  using Closing = std::vector<std::pair<std::shared_ptr<Open>, nt::NtCore::Closed>>;
  Closing closing;
  closing.reserve(opens.size());
  for (auto& o : opens) {
    auto closed = close_in_core_now(server_->nt, *o);
    closing.emplace_back(std::move(o), std::move(closed));
  }
  Chain& c = new_chain();  // a chain with no messages, parked on the closing job
  c.rsp.defer(make_job(
      std::move(closing),
      [&nt = server_->nt](Closing& os) {
        for (auto& [o, closed] : os) finish_close(nt, *o, closed);
      },
      [](Ctx&, Request&, Response&, Closing&) {}));
  c.parts.push_back({});
  c.in_message = true;
  c.rsp.no_response = true;
  run_chain(ctx, c);
}

void Connection::resume(Ctx& ctx, std::uint64_t id) {
  auto it = state_.async_commands.find(id);
  if (it == state_.async_commands.end() || it->second.running) return;
  it->second.running = true;
  it->second.waits_in_core = false;  // the core forgot the wait when it woke it
  Chain& c = new_chain();
  c.frame.assign(it->second.msg.begin(), it->second.msg.end());
  c.parts.push_back(c.frame);
  c.resumed = id;
  if (it->second.was_encrypted) c.encrypted_by = it->second.session;
  run_chain(ctx, c);
}

bool Connection::forward_lease_break(const nt::BreakNotice& b) {
  // 3.3.4.7: a lease break goes to the client, on its oldest live connection (ClientState::
  // connections). An oplock break stays with its open's connection (3.3.4.6), and so does a
  // break that must be encrypted: only the open's own connection holds its session's keys.
  if (b.is_oplock || b.tag.encrypt || !state_.in_group) return false;
  for (const auto& w : state_.client->connections) {
    auto first = w.lock();
    if (!first) continue;
    if (first.get() == mailbox_.get()) return false;
    first->post(b);
    return true;
  }
  return false;
}

std::vector<std::shared_ptr<Open>> Connection::leave_client(bool keep_durable) {
  // A session with another channel lives on there (3.3.7.1, multichannel): its opens stay, and
  // those this connection held in the NT core now get their breaks on that channel.
  std::map<std::uint64_t, std::shared_ptr<Session>> surviving;
  std::erase_if(state_.client->connections, [&](const std::weak_ptr<nt::Owner>& w) {
    return w.expired() || w.lock().get() == mailbox_.get();
  });
  for (auto& [sid, s] : state_.sessions) {
    std::erase_if(s->channels, [&](const Session::Channel& ch) { return ch.id == mailbox_.get(); });
    if (s->channels.empty() || s->state != Session::State::valid) {
      server_->sessions.forget(sid, mailbox_.get());
      continue;
    }
    auto& first = s->channels.front();
    if (auto h = first.host.lock()) server_->sessions.move_host(sid, mailbox_.get(), h);
    SMBSRV_LOG_INFO("{}: channel of session 0x{:x} closed; {} left", peer_, sid, s->channels.size());
    surviving[sid] = s;
  }
  std::vector<std::shared_ptr<Open>> opens;
  auto& table = state_.client->opens;
  for (auto it = table.begin(); it != table.end();) {
    auto o = it->second;
    const bool mine = state_.sessions.count(o->session_id) != 0 || !state_.in_group;
    if (!mine) {
      ++it;
      continue;
    }
    if (auto sv = surviving.find(o->session_id); sv != surviving.end()) {
      if (o->nt) server_->nt.rehome(o->nt, mailbox_.get(), sv->second->channels.front().owner);
      ++it;
      continue;
    }
    it = table.erase(it);
    uncount_open(*server_, *state_.client, *o);
    // A durable open outlives its connection, for its client to reconnect (3.3.7.1).
    if (keep_durable && handlers::keep_durable(*server_, o)) continue;
    opens.push_back(o);
  }
  state_.sessions.clear();
  state_.bindings.clear();
  state_.logged_off.clear();
  return opens;
}

Output Connection::shutdown() {
  std::lock_guard group_lock(state_.client->mu);
  Output out;
  if (shut_down_) return out;
  shut_down_ = dropped_ = true;
  // No answer can reach the client any more: waits end silently, every open closes but the
  // durable ones.
  // A CREATE woken from its wait whose retry is under way leaves the core's record of the wake
  // too: a later owner at the same address must not be taken for it.
  for (auto& [id, a] : state_.async_commands)
    if (a.waits_in_core || a.command == codec::Command::create) server_->nt.cancel_wait(mailbox_.get(), id);
  state_.async_commands.clear();
  state_.pending_create_guids.clear();
  state_.to_resume.clear();
  auto opens = leave_client(true);
  Ctx ctx = context(out);
  close_in_background(ctx, std::move(opens));
  return out;
}

}  // namespace smbsrv::engine
