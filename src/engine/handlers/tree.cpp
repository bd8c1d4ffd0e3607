// TREE_CONNECT and TREE_DISCONNECT (MS-SMB2 3.3.5.7, 3.3.5.8).
#include "codec/access_mask.hpp"
#include "engine/async.hpp"
#include "engine/dispatch.hpp"
#include "engine/handlers/descriptor.hpp"
#include "log.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine::handlers {
namespace {

/// The share's access for `user`: a per-user entry (names compared case-insensitively), else
/// the share's default.
Access access_for(const Share& share, const std::string& user) {
  for (const auto& [name, access] : share.user_access)
    if (iequal_names(name, user)) return access;
  return share.default_access;
}

}  // namespace

void tree_connect(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_tree_connect_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& cfg = ctx.server.config;
  // Path is "\\server\share"; the share is the last component.
  const std::string& path = decoded->path;
  if (path.size() < 3 || path[0] != '\\' || path[1] != '\\') return rsp.fail(NtStatus::bad_network_name);
  const auto slash = path.find('\\', 2);
  if (slash == std::string::npos || slash + 1 >= path.size()) return rsp.fail(NtStatus::bad_network_name);
  const std::string share_name = path.substr(slash + 1);
  if (share_name.find('\\') != std::string::npos) return rsp.fail(NtStatus::bad_network_name);

  auto tree = std::make_shared<TreeConnect>();
  codec::TreeConnectResponse r;
  if (iequal_names(share_name, "IPC$")) {
    tree->is_ipc = true;
    tree->maximal_access = access::kFullAccess;
    r.share_type = codec::kShareTypePipe;
  } else {
    auto share = ctx.server.find_share(share_name);
    if (!share) return rsp.fail(NtStatus::bad_network_name);
    const Access access = access_for(*share, req.session->user);
    if (access == Access::none) return rsp.fail(NtStatus::access_denied);
    tree->share = share;
    if (share->encrypt_data || cfg.encrypt_all) {
      // 3.3.5.7: a share that requires encryption refuses connections that cannot encrypt.
      if (!ctx.conn.cipher || req.session->encryption_key.empty()) {
        SMBSRV_LOG_WARN("{}: share {} requires encryption, which this client cannot do: access denied", ctx.peer,
                        share->name);
        return rsp.fail(NtStatus::access_denied);
      }
      tree->encrypt_data = true;
      r.share_flags |= codec::kShareFlagEncryptData;
    }
    if (enumerates_by_access(*share))
      r.share_flags |= codec::kShareFlagAccessBasedDirectoryEnum;
    tree->read_only = access == Access::read_only || share->vfs->read_only();
    tree->maximal_access = tree->read_only ? access::kReadOnlyAccess : access::kFullAccess;
    r.share_type = codec::kShareTypeDisk;
  }
  r.maximal_access = tree->maximal_access;
  auto& trees = req.session->tree_connects;
  if (trees.size() >= cfg.max_trees_per_session) {
    SMBSRV_LOG_DEBUG("{}: tree connect limit ({}) reached", ctx.peer, cfg.max_trees_per_session);
    return rsp.fail(NtStatus::insufficient_resources);
  }
  do {
    tree->tree_id = ctx.conn.client->next_tree_id++;
  } while (tree->tree_id == 0 || tree->tree_id == 0xFFFFFFFFu || trees.count(tree->tree_id));
  trees[tree->tree_id] = tree;
  rsp.tree_id_out = tree->tree_id;
  Response::BodyBuilder b;
  codec::encode_tree_connect_response(b.w, r);
  rsp.set_body(b.buf);
}

void tree_disconnect(Ctx& ctx, Request& req, Response& rsp) {
  if (!codec::decode_tree_disconnect_request(req.msg)) return rsp.fail(NtStatus::invalid_parameter);
  const auto sid = req.session->session_id;
  const auto tid = req.tree->tree_id;
  req.session->tree_connects.erase(tid);
  // Its opens close (CHANGE_NOTIFYs on them end with NOTIFY_CLEANUP); requests on the tree still
  // waiting (a CREATE waiting for a break) are cancelled. A waiting LOCK is decided by the closes
  // instead, in open order: granted when the holder closes first, RANGE_NOT_LOCKED when its own
  // open does (Windows: smbtorture smb2.lock.cancel-tdis).
  std::vector<std::shared_ptr<Open>> to_close;
  for (auto& [id, o] : ctx.conn.client->opens)
    if (o->session_id == sid && o->tree_id == tid) to_close.push_back(o);
  for (auto& o : to_close) ctx.unregister_open(o);
  end_async_commands(
      ctx,
      [&](const AsyncCommand& a) {
        return a.session_id == sid && a.tree_id == tid && a.command != codec::Command::lock;
      },
      NtStatus::cancelled);
  auto respond = [](Ctx&, Request&, Response& r) {
    Response::BodyBuilder b;
    codec::encode_tree_disconnect_response(b.w);
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
