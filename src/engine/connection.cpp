// Connection: frame → compound → per message: dispatch (engine/dispatch.cpp) → handler, which may
// hand out a job and wait for it → response header, signing, preauth hashing → frame, sealed when
// the request was (MS-SMB2 3.3.5.2). Async commands and the NT core's events: engine/async.cpp.
#include "engine/connection.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "engine/async.hpp"
#include "engine/chain.hpp"
#include "engine/dispatch.hpp"
#include "engine/mailbox.hpp"
#include "engine/security.hpp"
#include "log.hpp"

namespace smbsrv::engine {

using codec::Command;

Connection::Connection(std::shared_ptr<ServerState> server, std::string peer)
    : server_(std::move(server)),
      peer_(std::move(peer)),
      mailbox_(std::make_shared<Mailbox>()),
      state_(server_->config.max_credits) {}

Connection::~Connection() {
  // The owner ran shutdown() and completed every job (tests may skip that: close what is left).
  const auto client = state_.client;
  std::lock_guard group_lock(client->mu);
  for (auto& [id, a] : state_.async_commands)
    if (a.waits_in_core || a.command == codec::Command::create) server_->nt.cancel_wait(mailbox_.get(), id);
  if (!shut_down_)
    for (auto& o : leave_client(false)) close_open(server_->nt, *o);
  for (auto& c : chains_) server_->buffers.give(std::move(c->frame));
}

void Connection::set_wake(std::function<void()> wake) { mailbox_->set_wake(std::move(wake)); }

const nt::Owner* Connection::core_owner() const { return mailbox_.get(); }

std::size_t Connection::max_frame_size() const {
  const auto& c = server_->config;
  if (!authenticated()) return std::min(kMaxFrameSize, c.max_preauth_frame_size);
  if (c.max_frame_size != 0) return std::min(kMaxFrameSize, c.max_frame_size);
  // A WRITE carries up to max_write bytes plus its header; compounds add a little more.
  return std::min<std::size_t>(kMaxFrameSize, std::max({c.max_write, c.max_transact, c.max_read}) + 64 * 1024);
}

Ctx Connection::context(Output& out) {
  return Ctx{*server_, server_->nt, state_, out, peer_, mailbox_, mailbox_.get(), mailbox_};
}

Connection::Chain& Connection::new_chain() {
  if (free_chains_.empty()) {
    chains_.push_back(std::make_unique<Chain>());
    chains_.back()->id = static_cast<std::uint32_t>(chains_.size() - 1);
    return *chains_.back();
  }
  Chain& c = *chains_[free_chains_.back()];
  free_chains_.pop_back();
  return c;
}

void Connection::release_chain(Chain& c) {
  server_->buffers.give(std::move(c.frame));
  c.frame = {};
  c.plain.clear();
  c.encrypted_by.reset();
  c.parts.clear();
  c.next = 0;
  c.in_message = false;
  c.resumed.reset();
  c.prev = Request{};
  c.have_prev = false;
  c.file_id.reset();
  c.create_failure.reset();
  c.last_session.reset();
  c.req = Request{};
  c.rsp.reset();
  c.out.clear();
  c.tail.reset();
  free_chains_.push_back(c.id);
}

Output Connection::on_message(std::vector<std::uint8_t> frame) {
  // Held through the call: join_group() below replaces state_.client.
  const auto client = state_.client;
  std::lock_guard group_lock(client->mu);
  Output out;
  const codec::Protocol protocol = codec::protocol_of(frame);
  if (dropped_) {
    out.disposition = Disposition::close_now;
  } else if (protocol == codec::Protocol::smb1) {
    Ctx ctx = context(out);
    handlers::smb1_negotiate(ctx, frame);
    server_->buffers.give(std::move(frame));
  } else if (protocol == codec::Protocol::smb2) {
    Ctx ctx = context(out);
    Chain& c = new_chain();
    c.frame = std::move(frame);
    if (!codec::split_compound(c.frame, c.parts)) {
      out.disposition = Disposition::close_now;  // a broken chain cannot be answered per message
      release_chain(c);
    } else {
      run_chain(ctx, c);
    }
  } else if (protocol == codec::Protocol::transform) {
    return handle_encrypted(std::move(frame));
  } else {
    // Compression is never negotiated; anything else is not SMB2: disconnect (3.3.5.2).
    out.disposition = Disposition::close_now;
  }
  if (out.disposition == Disposition::close_now) dropped_ = true;
  drain_resumes(out);
  authenticated_.store(state_.any_session_valid, std::memory_order_relaxed);
  if (state_.join_group && !dropped_) join_group();
  return out;
}

void Connection::join_group() {
  // After NEGOTIATE, before any session: the connection's own ClientState holds nothing yet.
  state_.join_group = false;
  state_.in_group = true;
  state_.client = server_->client_group(state_.client_guid);
  std::lock_guard lk(state_.client->mu);  // the group's, not the one this call holds
  auto& list = state_.client->connections;
  std::erase_if(list, [](const std::weak_ptr<nt::Owner>& w) { return w.expired(); });
  list.push_back(mailbox_);
}

void Connection::drain_resumes(Output& out) {
  Ctx ctx = context(out);
  // In the order they were woken: two CREATEs woken by one close retry in the order they waited
  // (smbtorture smb2.replay.dhv2-pending1n-vs-violation-lease-close-windows).
  while (!state_.to_resume.empty() && !dropped_) {
    const std::uint64_t id = state_.to_resume.front();
    state_.to_resume.erase(state_.to_resume.begin());
    resume(ctx, id);
  }
}

Output Connection::handle_encrypted(std::vector<std::uint8_t> frame) {
  Output out;
  Chain& c = new_chain();
  c.frame = std::move(frame);
  c.plain = server_->buffers.take(c.frame.size());
  // MS-SMB2 3.3.5.2.1.1: any failure to decrypt disconnects.
  c.encrypted_by = unseal(state_, c.frame, c.plain);
  if (!c.encrypted_by || codec::protocol_of(c.plain) != codec::Protocol::smb2 ||
      !codec::split_compound(c.plain, c.parts)) {
    SMBSRV_LOG_DEBUG("{}: encrypted frame refused: disconnect", peer_);
    server_->buffers.give(std::move(c.plain));
    release_chain(c);
    dropped_ = true;
    return Output{{}, Disposition::close_now, {}, {}};
  }
  Ctx ctx = context(out);
  run_chain(ctx, c);
  if (out.disposition == Disposition::close_now) dropped_ = true;
  drain_resumes(out);
  return out;
}

Output Connection::on_complete(Work done) {
  std::lock_guard group_lock(state_.client->mu);
  Output out;
  Ctx ctx = context(out);
  // A break the core posted before this job finished goes out before its response, as a server
  // that breaks synchronously sends it: a client that pipelined a RENAME and an open of the new
  // name sees the break before the open's answer (smbtorture smb2.lease.rename_wait).
  if (mailbox_->has_mail()) take_mail(ctx);
  --jobs_;
  Chain& c = *chains_[done.chain];
  JobPtr job = std::move(c.rsp.job);
  if (auto o = std::move(c.job_open); o && --o->jobs_in_flight == 0)
    for (const auto id : std::exchange(o->parked_chains, {})) hand_out(ctx, *chains_[id]);  // CLOSE jobs
  job->finish(ctx, c.req, c.rsp);
  run_chain(ctx, c);
  if (out.disposition == Disposition::close_now) dropped_ = true;
  drain_resumes(out);
  authenticated_.store(state_.any_session_valid, std::memory_order_relaxed);
  return out;
}

void Connection::hand_out(Ctx& ctx, Chain& c) {
  ctx.out.work.push_back(Work{c.rsp.job.get(), c.id, c.rsp.job->bulk()});
  ++jobs_;
  // The open the job works on: the one its request named, or the one a CLOSE waited for.
  std::shared_ptr<Open> o = std::move(c.rsp.job_after);
  if (!o && c.req.out_file_id)
    if (auto it = ctx.conn.client->opens.find(c.req.out_file_id->volatile_);
        it != ctx.conn.client->opens.end() && it->second->file_id == *c.req.out_file_id)
      o = it->second;
  if (o) ++o->jobs_in_flight;
  c.job_open = std::move(o);
}

void Connection::run_chain(Ctx& ctx, Chain& c) {
  while (c.next < c.parts.size()) {
    if (!c.in_message) {
      begin_message(ctx, c);
      c.in_message = true;
    }
    if (c.rsp.job) {  // the chain waits for its job (on_complete)
      if (c.rsp.job_after && c.rsp.job_after->jobs_in_flight > 0) {
        c.rsp.job_after->parked_chains.push_back(c.id);  // handed out by on_complete
        return;
      }
      hand_out(ctx, c);
      return;
    }
    c.in_message = false;
    end_message(ctx, c);
    if (ctx.out.disposition == Disposition::close_now) {
      release_chain(c);
      return;
    }
    ++c.next;
  }
  finish_chain(ctx, c);
}

void Connection::begin_message(Ctx& ctx, Chain& c) {
  Request& req = c.req;
  req = Request{};
  c.rsp.reset();
  req.msg = c.parts[c.next];
  const bool last = c.next + 1 == c.parts.size();
  // An unknown Command is answered with STATUS_INVALID_PARAMETER (dispatch), not with a
  // disconnect, as long as the rest of the header is sound.
  auto h = codec::decode_header_any_command(req.msg);
  if (!h) {
    c.rsp.disconnect = true;
    return;
  }
  req.hdr = *h;
  req.related = (req.hdr.flags & codec::kFlagRelatedOperations) != 0;
  req.sole = c.parts.size() == 1;
  req.was_encrypted = c.encrypted_by != nullptr;
  if (c.resumed) {
    const AsyncCommand& a = ctx.conn.async_commands.at(*c.resumed);
    req.session = a.session;
    req.tree = a.tree;
    req.effective_session_id = a.session_id;
    req.effective_tree_id = a.tree_id;
    req.was_encrypted = a.was_encrypted;
    req.signed_ok = a.signed_ok;
    req.may_go_async = true;
    req.async_id = *c.resumed;
    req.resumed = true;
    dispatch(ctx, req, c.rsp);
    return;
  }
  // 3.3.5.2.1.1: the decrypted messages must belong to the session that encrypted them.
  if (c.encrypted_by && req.hdr.session_id != c.encrypted_by->session_id && !req.related) {
    c.rsp.disconnect = true;
    return;
  }
  if (req.related && c.have_prev) {
    // A chain that started with a related message is invalid as a whole: every related message
    // after it fails the same way (Windows behaviour, smbtorture compound.related9).
    req.first_related_invalid = c.prev.first_related_invalid;
    req.prev_status = c.create_failure;
    req.prev_file_id = c.file_id;
    req.inherit_session = c.prev.effective_session_id;
    req.inherit_tree = c.prev.effective_tree_id;
    req.prev_session_unknown = c.prev.effective_session_id != 0 && !c.prev.session;
    req.chain_session = c.last_session;
  } else if (req.related) {
    req.first_related_invalid = true;  // 3.3.5.2.7.2: the first message may not be related
  }
  // Only the last request of a chain may go async (CANCELs after it are never answered).
  bool only_cancels_follow = true;
  for (std::size_t k = c.next + 1; k < c.parts.size(); ++k)
    if (codec::peek_command(c.parts[k]) != Command::cancel) only_cancels_follow = false;
  req.may_go_async = last || only_cancels_follow;
  dispatch(ctx, req, c.rsp);
}

void Connection::end_message(Ctx& ctx, Chain& c) {
  Request& req = c.req;
  Response& rsp = c.rsp;
  if (rsp.disconnect) {
    SMBSRV_LOG_DEBUG("{}: {} ends the connection", peer_, codec::command_name(req.hdr.command));
    ctx.out.disposition = Disposition::close_now;
    return;
  }
  const bool last = c.next + 1 == c.parts.size() ||
                    std::all_of(c.parts.begin() + static_cast<std::ptrdiff_t>(c.next) + 1, c.parts.end(),
                                [](Bytes m) { return codec::peek_command(m) == Command::cancel; });
  if (!rsp.no_response && !(req.resumed && rsp.async_id)) {
    if (rsp.async_id && !req.resumed) register_async(ctx, req, rsp);
    finish_response(ctx, req, rsp, c.out, c.out.size(), last);
    if (rsp.buf.capacity() != 0) server_->buffers.give(std::move(rsp.buf));  // copied into out
    if (rsp.tail) c.tail = std::move(rsp.tail);  // only ever on a sole, unsigned, plaintext READ
  }
  settle_async(ctx, req, rsp);
  // 3.3.5.2.7.2: a request that created or used a FileId passes it on; only a failed CREATE
  // passes its failure on (Windows: an IOCTL that fails does not stop the CLOSE after it).
  if (req.out_file_id) {
    c.file_id = req.out_file_id;
    c.create_failure.reset();
  } else if (req.hdr.command == Command::create && is_error(req.final_status)) {
    c.file_id.reset();
    c.create_failure = req.final_status;
  }
  if (req.session) c.last_session = req.session;
  c.prev = std::move(req);
  c.have_prev = true;
}

void Connection::finish_chain(Ctx& ctx, Chain& c) {
  if (!c.out.empty()) {
    if (c.encrypted_by) {
      // 3.3.4.1.4: a response to an encrypted request is encrypted (the whole chain at once).
      auto sealed = seal(*server_, state_, *c.encrypted_by, c.out);
      if (!sealed) {
        ctx.out.disposition = Disposition::close_now;
      } else {
        ctx.out.frames.push_back(std::move(*sealed));
      }
      server_->buffers.give(std::move(c.out));
    } else {
      ctx.out.frames.push_back(std::move(c.out));
      if (c.tail) ctx.out.tail = std::move(c.tail);
    }
    c.out = {};
  }
  if (!c.plain.empty()) server_->buffers.give(std::move(c.plain));
  release_chain(c);
}

}  // namespace smbsrv::engine
