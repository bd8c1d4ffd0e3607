// Durable handles in CREATE (MS-SMB2 3.3.5.9.6, 3.3.5.9.7, 3.3.5.9.10, 3.3.5.9.12, 3.3.7.1).
// The NT core keeps an orphan's share mode, locks and lease (NtCore::orphan/reconnect); the
// server's DurableOpens keeps its backend file until it is reconnected or scavenged.
#include "engine/handlers/durable.hpp"

#include <algorithm>

#include "codec/fscc.hpp"
#include "engine/dispatch.hpp"
#include "log.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine::handlers {
namespace {

std::string owner_of(const Session& s) { return s.domain + "\\" + s.user; }

/// FILETIME ticks in `ms` milliseconds.
std::uint64_t ticks(std::uint32_t ms) { return std::uint64_t{ms} * 10'000; }

/// How long a reconnect waits for the connection that still holds its open to finish closing
/// (FILETIME ticks). The client closed it before reconnecting, so its end is on the way; one
/// that never comes (a half-open TCP connection) fails the reconnect after this.
constexpr std::uint64_t kTeardownWait = 5ULL * 10'000'000;

std::optional<codec::LeaseContext> lease_context_of(const codec::CreateRequest& c, NtStatus& bad) {
  for (const auto& ctxt : c.create_contexts) {
    if (!codec::context_is(ctxt, codec::kCtxRequestLease)) continue;
    auto l = codec::decode_lease_context(ctxt.data);
    if (!l) {
      bad = l.status();
      return std::nullopt;
    }
    return *l;
  }
  return std::nullopt;
}

/// Answers for `open`, now registered, after a stat of its file (a job: the backend blocks).
void answer_existing(Response& rsp, std::shared_ptr<Open> open, nt::LeaseGrant grant,
                     std::optional<codec::LeaseContext> lease, std::vector<codec::OwnedCreateContext> contexts) {
  struct Existing {
    std::shared_ptr<Open> open;
    nt::LeaseGrant grant;
    std::optional<codec::LeaseContext> lease;
    std::vector<codec::OwnedCreateContext> contexts;
    Result<FileInfo> info = NtStatus::file_closed;
  };
  rsp.defer(make_job(
      Existing{std::move(open), grant, std::move(lease), std::move(contexts)},
      [](Existing& e) {
        std::lock_guard lk(e.open->handle.mu);
        if (e.open->handle.file) e.info = e.open->handle.file->stat();
      },
      [](Ctx&, Request&, Response& r, Existing& e) {
        if (!e.info) return r.fail(e.info.status());
        answer_create(r, *e.open, *e.info, CreateAction::opened, e.grant, e.lease, std::move(e.contexts));
      }));
}

}  // namespace

Result<DurableAsk> parse_durable(const codec::CreateRequest& c, Dialect dialect) {
  DurableAsk a;
  const bool v3 = dialect >= Dialect::smb3_0;
  int v2_contexts = 0, v1_contexts = 0;
  for (const auto& ctxt : c.create_contexts) {
    if (codec::context_is(ctxt, codec::kCtxDurableRequest)) {
      if (auto d = codec::decode_durable_request(ctxt.data); !d) return d.status();
      a.request_v1 = true;
      ++v1_contexts;
    } else if (codec::context_is(ctxt, codec::kCtxDurableReconnect)) {
      auto d = codec::decode_durable_reconnect(ctxt.data);
      if (!d) return d.status();
      a.reconnect_v1 = *d;
      ++v1_contexts;
    } else if (v3 && codec::context_is(ctxt, codec::kCtxDurableRequestV2)) {
      auto d = codec::decode_durable_request_v2(ctxt.data);
      if (!d) return d.status();
      a.request_v2 = *d;
      ++v2_contexts;
    } else if (v3 && codec::context_is(ctxt, codec::kCtxDurableReconnectV2)) {
      auto d = codec::decode_durable_reconnect_v2(ctxt.data);
      if (!d) return d.status();
      a.reconnect_v2 = *d;
      ++v2_contexts;
    }
  }
  // 3.3.5.9.10 / 3.3.5.9.12: a v2 context goes with no other durable context; 3.3.5.9.6: DHnQ
  // with DHnC is a reconnect (the request is ignored).
  if (v2_contexts > 1 || (v2_contexts && v1_contexts)) return NtStatus::invalid_parameter;
  if (a.reconnect_v1) a.request_v1 = false;
  return a;
}

void reconnect_durable(Ctx& ctx, Request& req, Response& rsp, const codec::CreateRequest& c, const DurableAsk& ask) {
  auto& conn = ctx.conn;
  const auto& cfg = ctx.server.config;
  NtStatus bad = NtStatus::success;
  auto lease = lease_context_of(c, bad);
  if (bad != NtStatus::success) return rsp.fail(bad);
  if (!cfg.durable_handles) return rsp.fail(NtStatus::object_name_not_found);
  if (ctx.open_limit_reached(req.session->session_id)) return rsp.fail(NtStatus::too_many_opened_files);
  const codec::FileId fid = ask.reconnect_v2 ? ask.reconnect_v2->file_id : *ask.reconnect_v1;
  std::uint64_t expires_at = 0;
  auto old = ctx.server.durable.take(fid.persistent, &expires_at);
  if (!old && req.may_go_async && !req.resumed) {
    // A client that dropped its connection and reconnected at once may be here before that
    // connection's close has reached the engine: the open is still held by it (or is being
    // kept). Wait for it, briefly, rather than fail a reconnect the client is entitled to.
    const std::uint64_t token = req.async_id ? *req.async_id : conn.next_async_id++;
    if (ctx.nt.await_orphan(fid.persistent, conn.client_guid, {ctx.owner, token}, ctx.server.now() + kTeardownWait)) {
      old = ctx.server.durable.take(fid.persistent, &expires_at);  // kept meanwhile?
      if (!old) return rsp.go_async(token, true);
      ctx.nt.cancel_wait(ctx.owner_id, token);
    }
  }
  // 3.3.5.9.7 / 3.3.5.9.12: no such orphan (or one that is still open on a connection).
  if (!old) return rsp.fail(NtStatus::object_name_not_found);
  const auto refuse = [&](NtStatus s) {
    ctx.server.durable.put_back(old, expires_at);
    rsp.fail(s);
  };
  // DH2C names the open by its CreateGuid too (3.3.5.9.12); a v1 open has none (all zero), and
  // a v2 open may come back through DHnC (smbtorture smb2.durable-v2-open.reopen2b/2c and
  // smb2.durable-open.reopen2-lease, as Windows).
  if (ask.reconnect_v2 && ask.reconnect_v2->create_guid != old->create_guid)
    return refuse(NtStatus::object_name_not_found);
  if (!req.tree->share || old->tree->share != req.tree->share) return refuse(NtStatus::object_name_not_found);
  // Only the user who opened it may take it back (3.3.5.9.7: Open.DurableOwner).
  const std::string who = owner_of(*req.session);
  if (!iequal_names(who, old->durable_owner)) {
    SMBSRV_LOG_WARN("{}: '{}' tried to reconnect a durable open of '{}'; refused", ctx.peer, who, old->durable_owner);
    return refuse(NtStatus::access_denied);
  }
  std::optional<SmbPath> path;
  if (auto p = SmbPath::parse(c.name)) path = *p;
  const std::uint64_t volatile_id = conn.client->next_volatile_id++;
  nt::NtCore::Reconnect r;
  r.client_guid = conn.client_guid;
  if (lease) r.lease_key = lease->key;
  r.path = path;
  r.owner = ctx.owner;
  r.tag = {req.session->session_id, req.was_encrypted, fid.persistent, volatile_id};
  auto grant = ctx.nt.reconnect(old->nt, r);
  if (!grant) return refuse(grant.status());

  // The open continues under a new volatile id on this connection, with everything it had.
  auto o = std::make_shared<Open>();
  o->file_id = {fid.persistent, volatile_id};
  o->session_id = req.session->session_id;
  o->tree_id = req.tree->tree_id;
  o->tree = req.tree;
  o->granted_access = old->granted_access;
  o->is_directory = old->is_directory;
  o->nt = old->nt;
  {
    std::lock_guard lk(old->handle.mu);
    o->handle.file = std::move(old->handle.file);
    o->handle.position = old->handle.position;
    o->handle.mode = old->handle.mode;
  }
  o->is_resilient = old->is_resilient;
  o->is_durable = true;
  o->durable_v2 = old->durable_v2;
  o->durable_timeout_ms = old->durable_timeout_ms;
  o->create_guid = old->create_guid;
  o->client_guid = conn.client_guid;
  o->durable_owner = old->durable_owner;
  o->resiliency_timeout_ms = old->resiliency_timeout_ms;
  o->lock_sequences = old->lock_sequences;
  o->replay_eligible = old->replay_eligible;
  o->create_reply = old->create_reply;
  o->channel_sequence = old->channel_sequence;
  ctx.register_open(o);
  if (o->replay_eligible) ctx.server.durable.remember(o->client_guid, o->create_guid, o);
  SMBSRV_LOG_DEBUG("{}: durable open {:#x} reconnected", ctx.peer, fid.persistent);
  rsp.file_id_out = o->file_id;
  // No durable response context on a reconnect (smbtorture smb2.durable-v2-open.reopen2).
  if (lease && grant->lease) lease->version = grant->lease->version;
  answer_existing(rsp, std::move(o), *grant, lease, {});
}

bool replay_durable(Ctx& ctx, Request& req, Response& rsp, const codec::CreateRequest& c, const DurableAsk& ask) {
  // A CREATE run again after a wait was checked when it came: it is no replay of an open made
  // meanwhile (Windows: smbtorture smb2.replay.dhv2-pending1n-vs-violation-lease-close-windows).
  if (!ask.request_v2 || req.resumed) return false;
  auto& conn = ctx.conn;
  const auto& guid = ask.request_v2->create_guid;
  const bool replay = (req.hdr.flags & codec::kFlagReplayOperation) != 0;
  // The original is still waiting for break acknowledgments with its open granted: Windows
  // refuses the replay (smbtorture smb2.replay.dhv2-pending1*-vs-*-windows). One that waits to
  // be retried after a sharing violation is no open yet: the replay goes on as a new CREATE.
  if (replay && std::any_of(conn.pending_create_guids.begin(), conn.pending_create_guids.end(),
                            [&](const auto& e) { return e.second == guid; })) {
    rsp.fail(NtStatus::access_denied);
    return true;
  }
  // 3.3.5.9.10: the open this CreateGuid created on this client (Open.IsReplayEligible). Only
  // one of this connection's: there is no multichannel, and an orphan is reconnected instead.
  auto o = ctx.server.durable.by_create_guid(conn.client_guid, guid);
  if (!o || !o->replay_eligible) return false;
  auto it = conn.client->opens.find(o->file_id.volatile_);
  if (it == conn.client->opens.end() || it->second != o || o->session_id != req.session->session_id) return false;
  if (!replay) {
    // 3.3.5.9.10: the CreateGuid names an open already (Windows: smbtorture smb2.replay.replay6).
    rsp.fail(NtStatus::duplicate_objectid);
    return true;
  }
  NtStatus bad = NtStatus::success;
  auto lease = lease_context_of(c, bad);
  if (bad != NtStatus::success) {
    rsp.fail(bad);
    return true;
  }
  const bool wants_lease = ctx.server.config.leases && lease && c.requested_oplock_level == codec::kOplockLease;
  if (!wants_lease) lease.reset();
  // The replay names the original's lease, or none when it had none (Windows: smbtorture
  // smb2.replay.replay-dhv2-lease3, replay-dhv2-oplock-lease).
  const auto& key = o->create_reply.lease_key;
  if (key ? (!lease || lease->key != *key) : lease.has_value()) {
    rsp.fail(NtStatus::access_denied);
    return true;
  }
  // The answer is the original's, with the lease as it is now, or the oplock the open holds as
  // far as the replay asks for it; the open itself stays as it is (Windows: smbtorture
  // smb2.replay.replay-dhv2-lease1/2, replay-dhv2-oplock2).
  auto grant = ctx.nt.current_grant(o->nt);
  if (!lease) {
    grant.lease.reset();
    if (grant.oplock_level == nt::kOplockLease) grant.oplock_level = nt::kOplockNone;
    if (c.requested_oplock_level != codec::kOplockLease)
      grant.oplock_level = std::min<std::uint8_t>(grant.oplock_level, c.requested_oplock_level);
  }
  const bool durable = o->is_durable && (grant.oplock_level == nt::kOplockBatch ||
                                         (grant.lease && (grant.lease->state & nt::kCacheHandle)));
  std::vector<codec::OwnedCreateContext> contexts;
  if (durable)
    contexts.push_back({codec::context_name(codec::kCtxDurableRequestV2),
                        codec::encode_durable_response_v2(o->durable_timeout_ms, 0)});
  rsp.file_id_out = o->file_id;
  answer_create(rsp, *o, o->create_reply.info, o->create_reply.action, grant, lease, std::move(contexts));
  return true;
}

void grant_durable(Ctx& ctx, Request& req, Open& open, const DurableAsk& ask, const nt::LeaseGrant& grant,
                   std::vector<codec::OwnedCreateContext>& out) {
  const auto& cfg = ctx.server.config;
  if (!cfg.durable_handles || (!ask.request_v1 && !ask.request_v2) || open.is_directory) return;
  // 3.3.5.9.6 / 3.3.5.9.10: only with a batch oplock or a lease that caches handles.
  const bool qualifies = grant.oplock_level == nt::kOplockBatch ||
                         (grant.oplock_level == nt::kOplockLease && grant.lease && (grant.lease->state & nt::kCacheHandle));
  if (!qualifies) return;
  auto n = ctx.conn.client->durable_per_session.find(open.session_id);
  if (n != ctx.conn.client->durable_per_session.end() && n->second >= cfg.max_durable_opens_per_session) {
    SMBSRV_LOG_DEBUG("{}: durable open limit of the session reached; granted without durability", ctx.peer);
    return;
  }
  open.is_durable = true;
  open.client_guid = ctx.conn.client_guid;
  open.durable_owner = owner_of(*req.session);
  if (ask.request_v2) {
    // Persistent handles need continuously available shares, which there are not: durable only.
    open.durable_v2 = true;
    open.create_guid = ask.request_v2->create_guid;
    const std::uint32_t asked = ask.request_v2->timeout_ms;
    open.durable_timeout_ms = asked == 0 ? cfg.durable_v2_default_timeout_ms : std::min(asked, cfg.durable_v2_max_timeout_ms);
    out.push_back({codec::context_name(codec::kCtxDurableRequestV2),
                   codec::encode_durable_response_v2(open.durable_timeout_ms, 0)});
  } else {
    open.durable_timeout_ms = cfg.durable_v1_timeout_ms;
    out.push_back({codec::context_name(codec::kCtxDurableRequest), codec::encode_durable_response()});
  }
}

bool keep_durable(ServerState& server, const std::shared_ptr<Open>& open) {
  if (!open->is_durable || !open->nt) return false;
  if (!server.nt.orphan(open->nt)) return false;
  const std::uint64_t expires_at = server.now() + ticks(open->durable_timeout_ms);
  if (!server.durable.keep(open, expires_at, server.config.max_durable_orphans)) {
    SMBSRV_LOG_WARN("durable open limit ({}) reached: closing an open whose connection dropped",
                    server.config.max_durable_orphans);
    return false;  // the core's orphan is closed by the caller's close_open
  }
  server.nt.announce_orphan(open->nt);  // a reconnect may be waiting for it already
  return true;
}

}  // namespace smbsrv::engine::handlers
