// Connection::Chain (private to the engine's connection.cpp and async.cpp).
#pragma once

#include <optional>
#include <vector>

#include "engine/connection.hpp"
#include "engine/request.hpp"

namespace smbsrv::engine {

/// One frame being handled: its messages run one after another; while one waits for its job the
/// chain is parked here (other frames of the connection go on meanwhile).
struct Connection::Chain {
  std::uint32_t id = 0;
  std::vector<std::uint8_t> frame;  // as received (or, resumed, the async request's message)
  std::vector<std::uint8_t> plain;  // the decrypted payload of an encrypted frame
  std::shared_ptr<Session> encrypted_by;
  std::vector<Bytes> parts;
  std::size_t next = 0;     // the message being handled
  bool in_message = false;  // parts[next] was dispatched and its job is out
  std::optional<std::uint64_t> resumed;  // the async command this chain completes
  Request prev;
  bool have_prev = false;
  // What a related request inherits (MS-SMB2 3.3.5.2.7.2): the FileId the chain last created or
  // used, and the status of a CREATE that failed (carried on until a request names a FileId).
  std::optional<codec::FileId> file_id;
  std::optional<NtStatus> create_failure;
  std::shared_ptr<Session> last_session;  // the session of the chain's latest message that had one
  Request req;
  Response rsp;
  std::shared_ptr<Open> job_open;  // the open the job out now works on (Open::jobs_in_flight)
  std::vector<std::uint8_t> out;
  FileTail tail;
};

}  // namespace smbsrv::engine
