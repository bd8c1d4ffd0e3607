// ECHO, CHANGE_NOTIFY, OPLOCK_BREAK, CANCEL (MS-SMB2 3.3.5.17, 3.3.5.19, 3.3.5.22, 3.3.5.16).
#include <algorithm>

#include "codec/access_mask.hpp"
#include "engine/async.hpp"
#include "engine/dispatch.hpp"

namespace smbsrv::engine::handlers {

using codec::Command;

void echo(Ctx&, Request& req, Response& rsp) {
  if (!codec::decode_echo_request(req.msg)) return rsp.fail(NtStatus::invalid_parameter);
  Response::BodyBuilder b;
  codec::encode_echo_response(b.w);
  rsp.set_body(b.buf);
}

namespace {

/// The answer to a CHANGE_NOTIFY from what the NT core collected: the FILE_NOTIFY_INFORMATION
/// chain, or STATUS_NOTIFY_ENUM_DIR without data when changes were lost or do not fit the
/// client's OutputBufferLength (MS-SMB2 3.3.5.19, MS-FSA 2.1.5.10).
void answer_notify(Response& rsp, const nt::NtCore::NotifyBatch& b, std::uint32_t output_buffer_length) {
  if (b.status != NtStatus::success) return rsp.fail(b.status);
  if (b.overflow || codec::notify_information_size(b.changes) > output_buffer_length)
    return rsp.fail(NtStatus::notify_enum_dir);
  std::vector<std::uint8_t> chain;
  ByteWriter cw(chain);
  codec::encode_notify_information(cw, b.changes);
  Response::BodyBuilder body;
  codec::encode_change_notify_response(body.w, 0, chain);
  rsp.set_body(body.buf);
}

/// What a CHANGE_NOTIFY that armed its handle does off the executor: the backend's watch of the
/// directory, for changes made behind the server's back (another process on the host), while
/// the handle watches (Vfs::watch; a VFS call, so in a job). What the backend reports goes to
/// this handle alone, through the same queue as the server's own changes (NtCore::report_host).
struct HostWatchSetup {
  Vfs* vfs = nullptr;
  nt::NtCore* nt = nullptr;
  nt::NtCore::OpenRef open;
  SmbPath path;
  bool watch_tree = false;
};

void set_up_host_watch(HostWatchSetup& s) {
  std::weak_ptr<nt::NtCore::Open> target = s.open;
  nt::NtCore* nt = s.nt;
  auto w = s.vfs->watch(s.path, s.watch_tree, [nt, target](std::span<const VfsChange> changes, bool lost) {
    nt->report_host(target, changes, lost);
  });
  if (w) nt->attach_host_watch(s.open, std::move(w));
}

}  // namespace

void change_notify(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_change_notify_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& n = *decoded;
  if (req.resumed) {  // woken: the core has decided what this request gets (or it was spurious)
    auto b = ctx.nt.notify_outcome(ctx.owner_id, *req.async_id);
    if (b.status == NtStatus::pending) return rsp.go_async(*req.async_id, true, n.file_id);
    return answer_notify(rsp, b, n.output_buffer_length);
  }
  // 3.3.5.19: an OutputBufferLength beyond what was negotiated is refused.
  if (n.output_buffer_length > ctx.server.config.max_transact) return rsp.fail(NtStatus::invalid_parameter);
  auto open = ctx.find_open(req, n.file_id);
  if (!open) return rsp.fail(open.status());
  if (!(*open)->is_directory || !(*open)->nt) return rsp.fail(NtStatus::invalid_parameter);
  // MS-FSA 2.1.5.10: the handle must have been opened with FILE_LIST_DIRECTORY.
  if (!((*open)->granted_access & access::kFileReadData)) return rsp.fail(NtStatus::access_denied);
  // The request waits for a change (3.3.5.19: clients such as macOS expect it to, not to fail)
  // until one comes, CANCEL (STATUS_CANCELLED) or the close of the directory's handle
  // (STATUS_NOTIFY_CLEANUP). Only the last request of a chain may wait: one in the middle fails
  // with STATUS_INTERNAL_ERROR and the rest of the chain goes on (3.3.5.2.7 <262>, Windows;
  // smbtorture compound.interim2); it still arms the handle.
  nt::NtCore::NotifyRequest r;
  r.filter = n.completion_filter;
  r.watch_tree = (n.flags & codec::kWatchTree) != 0;
  r.buffer_size = n.output_buffer_length;
  if (req.may_go_async) r.wait = nt::NtCore::LockWait{ctx.owner, ctx.conn.next_async_id++};
  auto b = ctx.nt.notify_request((*open)->nt, r);
  const auto reply = [token = r.wait ? std::optional(r.wait->token) : std::nullopt, file_id = (*open)->file_id,
                      out_len = n.output_buffer_length](Response& to, const nt::NtCore::NotifyBatch& batch) {
    if (batch.status != NtStatus::pending) return answer_notify(to, batch, out_len);
    if (!token) return to.fail(NtStatus::internal_error);
    to.go_async(*token, true, file_id);
  };
  Vfs* vfs = (*open)->tree && (*open)->tree->share ? (*open)->tree->share->vfs.get() : nullptr;
  if (!b.armed || !vfs) return reply(rsp, b);
  // The first request on the handle: the host watch is set up before it is answered, so that a
  // change the client makes once it sees the interim response is seen.
  // A change meanwhile wakes the wait while the job runs: settle_async() resumes it then.
  if (b.status == NtStatus::pending && r.wait) {
    ctx.conn.core_waits_in_flight[r.wait->token] = false;
    req.core_wait_token = r.wait->token;
  }
  ctx.conn.notify_setups_in_flight[req.hdr.message_id] = false;
  HostWatchSetup setup{vfs, &ctx.nt, (*open)->nt, ctx.nt.path((*open)->nt), r.watch_tree};
  rsp.defer(make_job(std::move(setup), set_up_host_watch,
                     [reply, b = std::move(b), fid = n.file_id, token = r.wait ? std::optional(r.wait->token) : std::nullopt](
                         Ctx& c, Request& q, Response& rs, HostWatchSetup&) {
                       bool cancelled = false;
                       if (auto it = c.conn.notify_setups_in_flight.find(q.hdr.message_id);
                           it != c.conn.notify_setups_in_flight.end()) {
                         cancelled = it->second;
                         c.conn.notify_setups_in_flight.erase(it);
                       }
                       // Closed meanwhile: the close ended the wait (the core forgot it).
                       if (!c.find_open(q, fid)) return rs.fail(NtStatus::notify_cleanup);
                       if (cancelled && b.status == NtStatus::pending) {
                         if (token) c.nt.cancel_wait(c.owner_id, *token);  // the watch stays armed
                         return rs.fail(NtStatus::cancelled);
                       }
                       reply(rs, b);
                     }));
}

void oplock_break(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_oplock_break_ack(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& ack = *decoded;
  Response::BodyBuilder b;
  if (ack.is_lease) {  // 3.3.5.22.2
    if (ctx.conn.dialect == Dialect::smb2_0_2) return rsp.fail(NtStatus::invalid_parameter);  // no leases in 2.0.2
    auto state = ctx.nt.ack_lease(ctx.conn.client_guid, ack.lease_key, ack.lease_state);
    if (!state) return rsp.fail(state.status());
    codec::encode_lease_break_response(b.w, ack.lease_key, *state);
  } else {  // 3.3.5.22.1
    auto open = ctx.find_open(req, ack.file_id);
    if (!open) return rsp.fail(open.status());
    auto level = ctx.nt.ack_oplock((*open)->nt, ack.oplock_level);
    if (!level) return rsp.fail(level.status());
    codec::encode_oplock_break(b.w, *level, ack.file_id);
  }
  rsp.set_body(b.buf);
}

void cancel(Ctx& ctx, Request& req, Response& rsp) {
  rsp.no_response = true;  // CANCEL itself is never answered (3.3.5.16)
  auto& cmds = ctx.conn.async_commands;
  auto it = cmds.end();
  if (req.hdr.flags & codec::kFlagAsyncCommand) {
    it = cmds.find(req.hdr.async_id);
  } else {
    it = std::find_if(cmds.begin(), cmds.end(), [&](const auto& e) { return e.second.message_id == req.hdr.message_id; });
  }
  if (it == cmds.end()) {
    // A CHANGE_NOTIFY still setting up its host watch: its job's finish() answers CANCELLED.
    if (!(req.hdr.flags & codec::kFlagAsyncCommand))
      if (auto s = ctx.conn.notify_setups_in_flight.find(req.hdr.message_id); s != ctx.conn.notify_setups_in_flight.end())
        s->second = true;
    return;
  }
  if (it->second.session_id != req.hdr.session_id) return;
  if (it->second.running) {  // its job is under way: it ends cancelled if it has to wait again
    it->second.cancel_requested = true;
    return;
  }
  Response cancelled;
  cancelled.fail(NtStatus::cancelled);
  ctx.complete_async(it->first, cancelled);
}

}  // namespace smbsrv::engine::handlers
