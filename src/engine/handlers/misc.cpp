// ECHO, CHANGE_NOTIFY, OPLOCK_BREAK, CANCEL (MS-SMB2 3.3.5.17, 3.3.5.19, 3.3.5.22, 3.3.5.16).
#include <algorithm>

#include "engine/request.hpp"

namespace smbsrv::engine {

using codec::Command;

void Connection::on_echo(Request& req, Response& rsp) {
  if (!codec::decode_echo_request(req.msg)) return rsp.fail(NtStatus::invalid_parameter);
  Response::BodyBuilder b;
  codec::encode_echo_response(b.w);
  rsp.set_body(b.buf);
}

void Connection::on_change_notify(Request& req, Response& rsp) {
  auto decoded = codec::decode_change_notify_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  auto open = find_open(req, decoded->file_id);
  if (!open) return rsp.fail(open.status());
  if (!(*open)->is_directory) return rsp.fail(NtStatus::invalid_parameter);
  // Changes are not tracked yet: the request pends (3.3.5.19: clients such as macOS expect it
  // to, not to fail) until CANCEL (STATUS_CANCELLED) or the close of the directory's handle
  // (STATUS_NOTIFY_CLEANUP, close_open). Nothing depends on its result, so it may go async
  // anywhere in a chain.
  if (weak_from_this().expired()) return rsp.fail(NtStatus::not_implemented);  // no sink
  std::lock_guard lk(mu_);
  const std::uint64_t id = next_async_id_++;
  Pending& p = pending_[id] = pending_of(req);
  p.command = Command::change_notify;
  p.file_id = (*open)->file_id;
  p.interim_pending = false;
  req.async_id = id;
  rsp.fail(NtStatus::pending);
}

void Connection::on_oplock_break(Request& req, Response& rsp) {
  auto decoded = codec::decode_oplock_break_ack(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& ack = *decoded;
  Response::BodyBuilder b;
  if (ack.is_lease) {  // 3.3.5.22.2
    std::array<std::uint8_t, 16> client_guid{};
    {
      std::lock_guard lk(mu_);
      if (dialect_ == 0x0202) return rsp.fail(NtStatus::invalid_parameter);  // no leases in 2.0.2
      client_guid = client_guid_;
    }
    auto state = server_->leases.ack_lease(client_guid, ack.lease_key, ack.lease_state, server_->now(),
                                           server_->lease_break_timeout());
    if (!state) return rsp.fail(state.status());
    codec::encode_lease_break_response(b.w, ack.lease_key, *state);
  } else {  // 3.3.5.22.1
    auto open = find_open(req, ack.file_id);
    if (!open) return rsp.fail(open.status());
    auto fo = (*open)->file_object;
    if (!fo) return rsp.fail(NtStatus::file_closed);
    auto level = server_->leases.ack_oplock({fo->vfs, fo->file_id}, open->get(), ack.oplock_level);
    if (!level) return rsp.fail(level.status());
    codec::encode_oplock_break(b.w, *level, ack.file_id);
  }
  rsp.set_body(b.buf);
}

void Connection::on_cancel(Request& req, Response& rsp) {
  rsp.no_response = true;  // CANCEL itself is never answered (3.3.5.16)
  std::optional<std::pair<std::uint64_t, Pending>> found;
  {
    std::lock_guard lk(mu_);
    auto it = pending_.end();
    if (req.hdr.flags & codec::kFlagAsyncCommand) {
      it = pending_.find(req.hdr.async_id);
    } else {
      it = std::find_if(pending_.begin(), pending_.end(),
                        [&](const auto& e) { return e.second.message_id == req.hdr.message_id; });
    }
    if (it == pending_.end() || it->second.session_id != req.hdr.session_id) return;
    found.emplace(it->first, std::move(it->second));
    pending_.erase(it);
  }
  auto& [id, p] = *found;
  server_->leases.forget_waiter(this, id);
  Request r = request_of(p, id);
  Response cancelled;
  cancelled.fail(NtStatus::cancelled);
  complete_pending(p, id, r, cancelled);
}

}  // namespace smbsrv::engine
