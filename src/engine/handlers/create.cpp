// CREATE and CLOSE (MS-SMB2 3.3.5.9, 3.3.5.10; NT semantics from MS-FSA 2.1.5.1).
#include <cstring>

#include "codec/fscc.hpp"
#include "engine/request.hpp"
#include "log.hpp"

namespace smbsrv::engine {
namespace {

// CreateOptions (MS-SMB2 2.2.13)
constexpr std::uint32_t kDirectoryFile = 0x1, kNonDirectoryFile = 0x40, kDeleteOnClose = 0x1000,
                        kOpenByFileId = 0x2000;

std::uint32_t map_generic(std::uint32_t a) {
  if (a & kGenericRead) a |= 0x00120089;
  if (a & kGenericWrite) a |= 0x00120116;
  if (a & kGenericExecute) a |= 0x001200A0;
  if (a & kGenericAll) a |= kFullAccess;
  return a & ~(kGenericRead | kGenericWrite | kGenericExecute | kGenericAll);
}

void put_u32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}
void put_u64(std::vector<std::uint8_t>& v, std::uint64_t x) {
  for (int i = 0; i < 8; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}

bool name_is(Bytes name, const char* tag) {
  return name.size() == 4 && std::memcmp(name.data(), tag, 4) == 0;
}

}  // namespace

void Connection::on_create(Request& req, Response& rsp) {
  auto decoded = codec::decode_create_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& c = *decoded;
  if (req.tree->is_ipc) return rsp.fail(NtStatus::object_name_not_found);  // no pipes yet

  // Parameter validation (3.3.5.9).
  if (c.create_disposition > 5) return rsp.fail(NtStatus::invalid_parameter);
  if (c.impersonation_level > 3) return rsp.fail(NtStatus::bad_impersonation_level);
  if ((c.create_options & kDirectoryFile) && (c.create_options & kNonDirectoryFile))
    return rsp.fail(NtStatus::invalid_parameter);
  if (c.create_options & kOpenByFileId) return rsp.fail(NtStatus::not_supported);
  if (!c.name.empty() && (c.name[0] == '\\' || c.name[0] == '/')) return rsp.fail(NtStatus::invalid_parameter);
  const auto disposition = static_cast<CreateDisposition>(c.create_disposition);
  const bool want_dir = (c.create_options & kDirectoryFile) != 0;
  if (want_dir && (disposition == CreateDisposition::overwrite || disposition == CreateDisposition::overwrite_if ||
                   disposition == CreateDisposition::supersede))
    return rsp.fail(NtStatus::invalid_parameter);

  auto path = SmbPath::parse(c.name);
  if (!path) return rsp.fail(path.status());

  // Access: MAXIMUM_ALLOWED grants the tree's maximal access; generic rights are mapped.
  std::uint32_t access = map_generic(c.desired_access);
  if (access & kMaximumAllowed) access = (access & ~kMaximumAllowed) | req.tree->maximal_access;
  if ((c.create_options & kDeleteOnClose) && !(access & kDelete)) return rsp.fail(NtStatus::access_denied);
  if (access & ~req.tree->maximal_access & ~kMaximumAllowed & 0x011F01FF) return rsp.fail(NtStatus::access_denied);
  const bool truncating = disposition == CreateDisposition::overwrite ||
                          disposition == CreateDisposition::overwrite_if ||
                          disposition == CreateDisposition::supersede;
  if (req.tree->read_only && (truncating || disposition == CreateDisposition::create))
    return rsp.fail(NtStatus::access_denied);

  // Open limits: checked before the backend creates anything (and again when the open is
  // registered, since requests of one connection run concurrently).
  {
    std::lock_guard lk(mu_);
    const auto& cfg = server_->config;
    auto it = opens_per_session_.find(req.session->session_id);
    const std::size_t in_session = it == opens_per_session_.end() ? 0 : it->second;
    if (opens_.size() >= cfg.max_opens_per_connection || in_session >= cfg.max_opens_per_session) {
      SMBSRV_LOG_DEBUG("{}: open limit reached ({} on the connection, {} in the session)", peer_, opens_.size(),
                       in_session);
      return rsp.fail(NtStatus::too_many_opened_files);
    }
  }

  Vfs& vfs = *req.tree->share->vfs;
  OpenParams params;
  params.read = true;
  params.write = (access & (kFileWriteData | kFileAppendData)) != 0 || truncating;
  params.directory = want_dir;
  params.non_directory = (c.create_options & kNonDirectoryFile) != 0;
  params.attributes = c.file_attributes & (kAttrReadonly | kAttrHidden | kAttrSystem | kAttrArchive);
  // Truncation waits until the share-mode check has passed (MS-FSA 2.1.5.1.2).
  switch (disposition) {
    case CreateDisposition::overwrite: params.disposition = CreateDisposition::open; break;
    case CreateDisposition::overwrite_if:
    case CreateDisposition::supersede: params.disposition = CreateDisposition::open_if; break;
    default: params.disposition = disposition; break;
  }
  if (req.tree->read_only && params.disposition == CreateDisposition::open_if)
    params.disposition = CreateDisposition::open;

  auto opened = vfs.open(*path, params);
  if (!opened) {
    if (req.tree->read_only && disposition == CreateDisposition::open_if &&
        opened.status() == NtStatus::object_name_not_found)
      return rsp.fail(NtStatus::access_denied);
    return rsp.fail(opened.status());
  }
  auto open = std::make_shared<Open>();
  open->file = std::move(opened->file);
  CreateAction action = opened->action;
  auto info = open->file->stat();
  if (!info) return rsp.fail(info.status());
  if ((c.create_options & kDeleteOnClose) && (info->attributes & kAttrReadonly))
    return rsp.fail(NtStatus::cannot_delete);

  // Oplocks and leases (3.3.5.9.8, 3.3.5.9.11): what the client asks for, and which breaks of
  // other clients' caching this open needs first.
  const FileKey file_key{&vfs, info->file_id};
  Requester who;
  LeaseRequest wanted;
  std::uint16_t dialect = 0;
  {
    std::lock_guard lk(mu_);
    who.client_guid = client_guid_;
    dialect = dialect_;
  }
  const bool leasing = server_->config.leases;
  if (leasing) {
    wanted.oplock_level = c.requested_oplock_level;
    for (const auto& ctx : c.create_contexts) {
      if (!name_is(ctx.name, "RqLs") || c.requested_oplock_level != codec::kOplockLease || dialect < 0x0210)
        continue;
      auto l = codec::decode_lease_context(ctx.data);
      if (!l) return rsp.fail(l.status());
      wanted.lease = *l;
      who.lease_key = l->key;
    }
  }
  // A CREATE that must wait for a break acknowledgment answers STATUS_PENDING and runs again
  // when the break completes (resume_pending). Only the last request of a chain can wait: one
  // inside a compound carries on once the breaks are sent.
  const bool can_wait = req.may_go_async && !weak_from_this().expired();
  enum class BreakWait { go_on, went_async, retry };
  auto wait_for_breaks = [&](BreakCause cause) -> Result<BreakWait> {
    std::uint64_t id = 0;
    {
      std::lock_guard lk(mu_);
      id = req.async_id ? *req.async_id : next_async_id_++;
      if (can_wait) {
        pending_[id] = pending_of(req);  // a fresh entry: a resumed request's was erased
      }
    }
    auto w = server_->leases.prepare_open(file_key, who, cause, {weak_from_this(), this, id}, server_->now(),
                                          server_->lease_break_timeout());
    bool ready = false;
    {
      std::lock_guard lk(mu_);
      auto it = pending_.find(id);
      if (it != pending_.end()) {
        ready = it->second.ready;
        if (w && *w && !ready) {
          // A first wait sends an interim response: the entry stays "interim pending" until the
          // transport has queued it (interims_posted), so the final answer cannot overtake it.
          // A resumed request that waits again sends none.
          if (req.resumed) it->second.interim_pending = false;
          req.async_id = id;
          return BreakWait::went_async;
        }
        pending_.erase(it);
      }
    }
    if (!w) return w.status();
    if (!*w) return BreakWait::go_on;
    if (ready) {  // every break completed before the interim response was even sent
      req.async_id = id;
      return BreakWait::retry;
    }
    server_->leases.forget_waiter(this, id);
    return BreakWait::go_on;
  };
  // MS-FSA 2.1.5.1.2 order: the share-mode check first, then the oplock check.
  auto fo = server_->files.attach(&vfs, info->file_id, *path, info->is_directory, open.get(), access,
                                  c.share_access);
  if (!fo && fo.status() == NtStatus::sharing_violation && leasing) {
    // Cached handles of other clients may be what conflicts: break handle caching and retry
    // once they are closed or the break completes (MS-FSA 2.1.5.1.2 on a sharing violation).
    auto bw = wait_for_breaks(BreakCause::sharing);
    if (!bw) return rsp.fail(bw.status());
    if (*bw == BreakWait::went_async) return rsp.fail(NtStatus::pending);
    if (*bw == BreakWait::retry) return on_create(req, rsp);
  }
  if (!fo) return rsp.fail(fo.status());
  // Opens for attributes only break nothing (MS-FSA 2.1.5.1.2: no oplock check without data or
  // delete access; smbtorture smb2.lease.statopen).
  constexpr std::uint32_t kBreakingAccess = kFileReadData | kFileWriteData | kFileAppendData | kFileExecute | kDelete;
  if (leasing && (truncating || (access & kBreakingAccess))) {
    auto bw = wait_for_breaks(truncating ? BreakCause::overwrite : BreakCause::open);
    if (!bw || *bw != BreakWait::go_on) {
      // Not registered while it waits: the run after the break attaches again.
      (void)server_->files.detach(*fo, open.get());
      if (!bw) return rsp.fail(bw.status());
      if (*bw == BreakWait::went_async) return rsp.fail(NtStatus::pending);
      return on_create(req, rsp);
    }
  }
  open->file_object = *fo;
  if (truncating && action == CreateAction::opened && !info->is_directory) {
    if (auto t = open->file->truncate(0); !t) {
      server_->files.detach(open->file_object, open.get());
      return rsp.fail(t.status());
    }
    action = disposition == CreateDisposition::supersede ? CreateAction::superseded : CreateAction::overwritten;
    if (leasing) server_->leases.break_for_write(file_key, open.get(), server_->now(), server_->lease_break_timeout());
    if (auto again = open->file->stat()) info = std::move(again);
  }
  open->granted_access = access;
  open->is_directory = info->is_directory;
  open->delete_on_close = (c.create_options & kDeleteOnClose) != 0;
  open->name = path->to_wire();
  open->session_id = req.session->session_id;
  open->tree_id = req.tree->tree_id;
  open->tree = req.tree;

  codec::CreateResponse r;
  {
    std::lock_guard lk(mu_);
    const auto& cfg = server_->config;
    auto& per_session = opens_per_session_[open->session_id];
    if (opens_.size() >= cfg.max_opens_per_connection || per_session >= cfg.max_opens_per_session) {
      SMBSRV_LOG_DEBUG("{}: open limit reached ({} on the connection, {} in the session)", peer_, opens_.size(),
                       per_session);
      if (per_session == 0) opens_per_session_.erase(open->session_id);
      server_->files.detach(open->file_object, open.get());
      return rsp.fail(NtStatus::too_many_opened_files);
    }
    const std::uint64_t id = next_volatile_id_++;
    open->file_id = {id, id};
    opens_[id] = open;
    ++per_session;
  }
  if (leasing) {
    const LeaseGrant g = server_->leases.attach(file_key, open.get(), who, wanted, info->is_directory,
                                                truncating || (access & kBreakingAccess) != 0, dialect,
                                                weak_from_this(), open->session_id, req.was_encrypted,
                                                open->file_id, server_->now(), server_->lease_break_timeout());
    r.oplock_level = g.oplock_level;
    if (g.lease) r.create_contexts.push_back({"RqLs", codec::encode_lease_context(*g.lease)});
  }
  r.create_action = static_cast<std::uint32_t>(action);
  r.creation_time = info->creation;
  r.last_access_time = info->last_access;
  r.last_write_time = info->last_write;
  r.change_time = info->change;
  r.allocation_size = info->is_directory ? 0 : info->allocation_size;
  r.end_of_file = info->is_directory ? 0 : info->size;
  r.file_attributes = fscc::attributes_of(*info);
  r.file_id = open->file_id;
  // Create contexts: MxAc and QFid are answered here, leases above; durable handles are declined
  // by returning no context (3.3.5.9.x allows that).
  for (const auto& ctx : c.create_contexts) {
    if (name_is(ctx.name, "MxAc")) {
      codec::OwnedCreateContext out{"MxAc", {}};
      put_u32(out.data, 0);  // QueryStatus
      put_u32(out.data, req.tree->maximal_access);
      r.create_contexts.push_back(std::move(out));
    } else if (name_is(ctx.name, "QFid")) {
      codec::OwnedCreateContext out{"QFid", {}};
      put_u64(out.data, info->file_id);  // DiskFileId, the same value as FileInternalInformation
      put_u64(out.data, 0);              // VolumeId
      out.data.resize(32, 0);            // Reserved
      r.create_contexts.push_back(std::move(out));
    }
  }
  rsp.file_id_out = open->file_id;
  Response::BodyBuilder b;
  codec::encode_create_response(b.w, 0, r);
  rsp.set_body(b.buf);
}

void Connection::on_close(Request& req, Response& rsp) {
  auto decoded = codec::decode_close_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  auto open = find_open(req, decoded->file_id);
  if (!open) return rsp.fail(open.status());
  {
    std::lock_guard lk(mu_);
    auto it = opens_.find((*open)->file_id.volatile_);
    if (it == opens_.end()) return rsp.fail(NtStatus::file_closed);
    erase_open_locked(it);
  }
  codec::CloseResponse r;
  if (decoded->flags & codec::kClosePostqueryAttrib) {
    std::lock_guard olk((*open)->mu);
    if ((*open)->file) {
      if (auto info = (*open)->file->stat()) {
        r.flags = codec::kClosePostqueryAttrib;
        r.creation_time = info->creation;
        r.last_access_time = info->last_access;
        r.last_write_time = info->last_write;
        r.change_time = info->change;
        r.allocation_size = info->is_directory ? 0 : info->allocation_size;
        r.end_of_file = info->is_directory ? 0 : info->size;
        r.file_attributes = fscc::attributes_of(*info);
      }
    }
  }
  close_open(*open);
  Response::BodyBuilder b;
  codec::encode_close_response(b.w, r);
  rsp.set_body(b.buf);
}

}  // namespace smbsrv::engine
