// ECHO, CHANGE_NOTIFY, OPLOCK_BREAK (MS-SMB2 3.3.5.17, 3.3.5.19, 3.3.5.22).
#include "engine/request.hpp"

namespace smbsrv::engine {

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
  // Change notification needs asynchronous (STATUS_PENDING) responses, which are not built yet.
  rsp.fail(NtStatus::not_implemented);
}

void Connection::on_oplock_break(Request& req, Response& rsp) {
  auto decoded = codec::decode_oplock_break_ack(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  // No oplock or lease is ever granted, so there is never a break to acknowledge (3.3.5.22.1).
  rsp.fail(NtStatus::invalid_oplock_protocol);
}

}  // namespace smbsrv::engine
