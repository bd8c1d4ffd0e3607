// TREE_CONNECT, TREE_DISCONNECT (MS-SMB2 3.3.5.7, 3.3.5.8), and Open bookkeeping shared by the
// file handlers.
#include <algorithm>

#include "engine/request.hpp"
#include "log.hpp"
#include "util/utf16.hpp"

namespace smbsrv::engine {

void Connection::on_tree_connect(Request& req, Response& rsp) {
  auto decoded = codec::decode_tree_connect_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  // Path is "\\server\share"; the share is the last component.
  const std::string& path = decoded->path;
  if (path.size() < 3 || path[0] != '\\' || path[1] != '\\') return rsp.fail(NtStatus::bad_network_name);
  const auto slash = path.find('\\', 2);
  if (slash == std::string::npos || slash + 1 >= path.size()) return rsp.fail(NtStatus::bad_network_name);
  const std::string share_name = path.substr(slash + 1);
  if (share_name.find('\\') != std::string::npos) return rsp.fail(NtStatus::bad_network_name);

  auto tree = std::make_shared<TreeConnect>();
  codec::TreeConnectResponse r;
  if (upcase_utf8(share_name) == "IPC$") {
    tree->is_ipc = true;
    tree->maximal_access = kFullAccess;
    r.share_type = codec::kShareTypePipe;
  } else {
    auto share = server_->find_share(share_name);
    if (!share) return rsp.fail(NtStatus::bad_network_name);
    Access access = share->default_access;
    std::string user_lc = req.session->user;
    std::transform(user_lc.begin(), user_lc.end(), user_lc.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (auto it = share->user_access.find(user_lc); it != share->user_access.end()) access = it->second;
    if (access == Access::none) return rsp.fail(NtStatus::access_denied);
    tree->share = share;
    if (share->encrypt_data || server_->config.encrypt_all) {
      // 3.3.5.7: a share that requires encryption refuses connections that cannot encrypt.
      std::uint16_t cipher = 0;
      {
        std::lock_guard lk(mu_);
        cipher = cipher_id_;
      }
      if (cipher == 0 || req.session->encryption_key.empty()) {
        SMBSRV_LOG_WARN("{}: share {} requires encryption, which this client cannot do: access denied", peer_,
                        share->name);
        return rsp.fail(NtStatus::access_denied);
      }
      tree->encrypt_data = true;
      r.share_flags |= codec::kShareFlagEncryptData;
    }
    tree->read_only = access == Access::read_only || share->vfs->read_only();
    tree->maximal_access = tree->read_only ? kReadOnlyAccess : kFullAccess;
    r.share_type = codec::kShareTypeDisk;
  }
  r.maximal_access = tree->maximal_access;
  {
    std::lock_guard lk(mu_);
    if (req.session->tree_connects.size() >= server_->config.max_trees_per_session) {
      SMBSRV_LOG_DEBUG("{}: tree connect limit ({}) reached", peer_, server_->config.max_trees_per_session);
      return rsp.fail(NtStatus::insufficient_resources);
    }
    do {
      tree->tree_id = next_tree_id_++;
    } while (tree->tree_id == 0 || tree->tree_id == 0xFFFFFFFFu ||
             req.session->tree_connects.count(tree->tree_id));
    req.session->tree_connects[tree->tree_id] = tree;
  }
  rsp.tree_id_out = tree->tree_id;
  Response::BodyBuilder b;
  codec::encode_tree_connect_response(b.w, r);
  rsp.set_body(b.buf);
}

void Connection::on_tree_disconnect(Request& req, Response& rsp) {
  if (!codec::decode_tree_disconnect_request(req.msg)) return rsp.fail(NtStatus::invalid_parameter);
  {
    std::lock_guard lk(mu_);
    req.session->tree_connects.erase(req.tree->tree_id);
  }
  close_tree_opens(req.session->session_id, req.tree->tree_id);
  Response::BodyBuilder b;
  codec::encode_tree_disconnect_response(b.w);
  rsp.set_body(b.buf);
}

void Connection::close_tree_opens(std::uint64_t session_id, std::uint32_t tree_id) {
  std::vector<std::shared_ptr<Open>> to_close;
  {
    std::lock_guard lk(mu_);
    for (auto it = opens_.begin(); it != opens_.end();) {
      if (it->second->session_id == session_id && it->second->tree_id == tree_id) {
        to_close.push_back(it->second);
        it = erase_open_locked(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& o : to_close) close_open(o);
}

Result<std::shared_ptr<Open>> Connection::find_open(Request& req, const codec::FileId& id) {
  codec::FileId fid = id;
  if (req.related && fid == codec::kAllOnesFileId) {
    // 3.3.5.2.7.2: a related request uses the FileId of the previous one (the one it created or
    // used); if that one failed without producing a FileId (a failed CREATE, or a request that
    // had already inherited a failure), this one fails with the same status. A request that did
    // name a valid FileId but then failed (a WRITE without access) passes its FileId on, as
    // Windows does.
    if (req.prev_file_id) {
      fid = *req.prev_file_id;
    } else if (req.prev_status && is_error(*req.prev_status)) {
      return *req.prev_status;
    } else {
      return NtStatus::file_closed;
    }
  }
  std::lock_guard lk(mu_);
  auto it = opens_.find(fid.volatile_);
  if (it == opens_.end() || it->second->file_id.persistent != fid.persistent ||
      it->second->session_id != req.session->session_id ||
      (req.tree && it->second->tree_id != req.tree->tree_id))
    return NtStatus::file_closed;
  req.out_file_id = fid;
  return it->second;
}

void Connection::close_open(const std::shared_ptr<Open>& open) {
  // CHANGE_NOTIFY requests pending on this handle end with STATUS_NOTIFY_CLEANUP (3.3.5.10).
  std::vector<std::pair<std::uint64_t, Pending>> notifies;
  {
    std::lock_guard lk(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.command == codec::Command::change_notify && it->second.file_id == open->file_id) {
        notifies.emplace_back(it->first, std::move(it->second));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [id, p] : notifies) {
    Request r = request_of(p, id);
    Response cleanup;
    cleanup.fail(NtStatus::notify_cleanup);
    complete_pending(p, id, r, cleanup);
  }
  std::unique_lock olk(open->mu);
  open->file.reset();
  auto fo = open->file_object;
  if (!fo) return;
  if (open->delete_on_close) {
    std::lock_guard tlk(server_->files.mutex());
    fo->delete_pending = true;
  }
  if (server_->files.detach(fo, open.get())) {
    SmbPath path;
    {
      std::lock_guard tlk(server_->files.mutex());
      path = fo->path;
    }
    if (open->tree && open->tree->share) (void)open->tree->share->vfs->remove(path);
  }
  // After the FileTable: a CREATE this close lets resume must not meet the closed open.
  olk.unlock();
  server_->leases.detach({fo->vfs, fo->file_id}, open.get());
  olk.lock();
  open->file_object.reset();
}

void Connection::break_caches_for_write(Open& o) {
  std::shared_ptr<FileObject> fo;
  {
    std::lock_guard olk(o.mu);
    fo = o.file_object;
  }
  if (!fo || !server_->config.leases) return;
  server_->leases.break_for_write({fo->vfs, fo->file_id}, &o, server_->now(), server_->lease_break_timeout());
}

void Connection::break_cached_handles(Open& o) {
  std::shared_ptr<FileObject> fo;
  {
    std::lock_guard olk(o.mu);
    fo = o.file_object;
  }
  if (!fo || !server_->config.leases) return;
  server_->leases.break_handles({fo->vfs, fo->file_id}, &o, server_->now(), server_->lease_break_timeout());
}

}  // namespace smbsrv::engine
