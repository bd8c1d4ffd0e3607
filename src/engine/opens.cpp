// The connection's open table (MS-SMB2 3.3.1.7 Connection / 3.3.1.8 Session.OpenTable): finding an
// open for a request, taking it out, and closing it.
#include "engine/async.hpp"
#include "engine/notify.hpp"
#include "engine/request.hpp"
#include "engine/short_names.hpp"
#include "log.hpp"

namespace smbsrv::engine {

Result<std::shared_ptr<Open>> Ctx::find_open(Request& req, const codec::FileId& id) {
  codec::FileId fid = id;
  if (req.related && fid == codec::kAllOnesFileId) {
    // 3.3.5.2.7.2: a related request uses the FileId the chain last created or used. After a
    // failed CREATE it fails with the CREATE's status (and so does every later one until a
    // request names a FileId); a request that failed for another reason (an IOCTL, a WRITE
    // without access) does not stop the ones after it, as Windows does.
    if (req.prev_file_id) {
      fid = *req.prev_file_id;
    } else if (req.prev_status && is_error(*req.prev_status)) {
      return *req.prev_status;
    } else {
      return NtStatus::file_closed;
    }
  }
  req.out_file_id = fid;  // used, found or not: the next related request uses it too
  auto it = conn.client->opens.find(fid.volatile_);
  if (it == conn.client->opens.end() || it->second->file_id.persistent != fid.persistent ||
      it->second->session_id != req.session->session_id || (req.tree && it->second->tree_id != req.tree->tree_id))
    return NtStatus::file_closed;
  if (conn.dialect >= Dialect::smb3_0) {
    // 3.3.5.2.10: a ChannelSequence newer than the open's (by at most 0x7FFF, 16-bit) becomes
    // the open's; an older one fails the requests that change the file. The outstanding request
    // counts are not kept: they only order requests of a channel that failed over, and there is
    // one channel per session here.
    auto& open = *it->second;
    // A request on the open ends its eligibility for a replayed CREATE (Windows: a replay after
    // one opens anew, smbtorture smb2.replay.replay6).
    open.replay_eligible = false;
    const auto csn = static_cast<std::uint16_t>(req.hdr.status & 0xffff);
    const auto ahead = static_cast<std::uint16_t>(csn - open.channel_sequence);
    if (ahead != 0 && ahead <= 0x7fff) {
      open.channel_sequence = csn;
    } else if (ahead != 0 && (req.hdr.command == codec::Command::write || req.hdr.command == codec::Command::set_info ||
                              req.hdr.command == codec::Command::ioctl)) {
      return NtStatus::file_not_available;
    }
  }
  return it->second;
}

void Ctx::register_open(const std::shared_ptr<Open>& o) {
  conn.client->opens[o->file_id.volatile_] = o;
  ++conn.client->opens_per_session[o->session_id];
  if (o->is_durable) ++conn.client->durable_per_session[o->session_id];
}

bool Ctx::open_limit_reached(std::uint64_t sid) const {
  const auto& cfg = server.config;
  auto it = conn.client->opens_per_session.find(sid);
  const std::size_t in_session = it == conn.client->opens_per_session.end() ? 0 : it->second;
  if (conn.client->opens.size() < cfg.max_opens_per_connection && in_session < cfg.max_opens_per_session) return false;
  SMBSRV_LOG_DEBUG("{}: open limit reached ({} on the connection, {} in the session)", peer, conn.client->opens.size(),
                   in_session);
  return true;
}

void uncount_open(ServerState& server, ClientState& client, const Open& o) {
  server.resume_keys.forget(&o);
  auto c = client.opens_per_session.find(o.session_id);
  if (c != client.opens_per_session.end() && --c->second == 0) client.opens_per_session.erase(c);
  if (o.is_durable) {
    auto d = client.durable_per_session.find(o.session_id);
    if (d != client.durable_per_session.end() && --d->second == 0) client.durable_per_session.erase(d);
  }
}

void Ctx::unregister_open(const std::shared_ptr<Open>& o) {
  auto it = conn.client->opens.find(o->file_id.volatile_);
  if (it == conn.client->opens.end() || it->second != o) return;
  conn.client->opens.erase(it);
  uncount_open(server, *conn.client, *o);
  // CHANGE_NOTIFY requests pending on this handle end with STATUS_NOTIFY_CLEANUP (3.3.5.10);
  // READs and transceives waiting on a pipe are cancelled, as the handle's cleanup does on Windows.
  const codec::FileId fid = o->file_id;
  end_async_commands(
      *this, [&](const AsyncCommand& a) { return a.command == codec::Command::change_notify && a.file_id == fid; },
      NtStatus::notify_cleanup);
  if (o->pipe)
    end_async_commands(
        *this,
        [&](const AsyncCommand& a) {
          return (a.command == codec::Command::read || a.command == codec::Command::ioctl) && a.file_id == fid;
        },
        NtStatus::cancelled);
}

void remove_closed(nt::NtCore& nt, Vfs* vfs, const nt::NtCore::Closed& closed, bool short_names) {
  if (!closed.remove) return;
  if (vfs && !closed.stream.empty()) {
    if (auto r = vfs->remove_stream(closed.path, closed.stream); !r)
      SMBSRV_LOG_DEBUG("delete on close of stream '{}:{}' failed: {}", closed.path.to_string(), closed.stream,
                       to_string(r.status()));
    else
      report_stream(nt, vfs, closed.path, closed.stream, codec::kActionRemovedStream);
  } else if (vfs) {
    if (auto r = vfs->remove(closed.path); !r)
      SMBSRV_LOG_DEBUG("delete on close of '{}' failed: {}", closed.path.to_string(), to_string(r.status()));
    else {  // reported when the name is really gone, not when the deletion was asked for
      report_name(nt, vfs, closed.path, codec::kActionRemoved, closed.is_directory);
      if (short_names) nt.name_tunnel().removed(*vfs, closed.path);
    }
  }
  nt.removed(closed.file);
}

void close_in_core(nt::NtCore& nt, Vfs* vfs, const nt::NtCore::OpenRef& open, bool apply_delete_on_close,
                   bool short_names) {
  // The NT core decides whether this was the last open of a file pending deletion.
  remove_closed(nt, vfs, nt.close(open, apply_delete_on_close), short_names);
}

void close_open(nt::NtCore& nt, Open& o) {
  {
    std::lock_guard lk(o.handle.mu);
    o.handle.file.reset();
    o.handle.enum_entries.clear();
  }
  const Share* share = o.tree ? o.tree->share.get() : nullptr;
  if (o.nt) close_in_core(nt, share ? share->vfs.get() : nullptr, o.nt, true, share && share->short_names);
}

nt::NtCore::Closed close_in_core_now(nt::NtCore& nt, Open& o) { return o.nt ? nt.close(o.nt) : nt::NtCore::Closed{}; }

void finish_close(nt::NtCore& nt, Open& o, const nt::NtCore::Closed& closed) {
  {
    std::lock_guard lk(o.handle.mu);
    o.handle.file.reset();  // before the removal
    o.handle.enum_entries.clear();
  }
  const Share* share = o.tree ? o.tree->share.get() : nullptr;
  remove_closed(nt, share ? share->vfs.get() : nullptr, closed, share && share->short_names);
}

}  // namespace smbsrv::engine
