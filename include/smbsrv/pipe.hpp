// File: smbsrv/pipe.hpp
// Named pipes on IPC$ (MS-SMB2 3.3.5.9 with a pipe name, 3.3.5.12/13 READ and WRITE on a pipe,
// 3.3.5.15.3 FSCTL_PIPE_TRANSCEIVE). The server ships the DCE/RPC pipes `srvsvc`, `wkssvc` and
// `lsarpc`; an application adds its own with Server::add_pipe_service:
//
//   class Echo : public smbsrv::PipeInstance {
//    public:
//     std::vector<std::vector<std::uint8_t>> write(std::span<const std::uint8_t> m) override {
//       return {{m.begin(), m.end()}};
//     }
//   };
//   server.add_pipe_service("echo", [](const smbsrv::PipeClient&) { return std::make_unique<Echo>(); });
//
// A pipe is in message mode: each WRITE (or transceive input) is one message to the instance,
// and each message it answers is read back whole or in parts (a READ smaller than the message
// gets STATUS_BUFFER_OVERFLOW with the first part; the rest follows on the next READs).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace smbsrv {

/// Who opened the pipe: the SMB session's authenticated identity.
struct PipeClient {
  std::string user;    // as the client gave it at logon; empty for an anonymous session
  std::string domain;  // the domain the client gave
  bool guest = false;  // mapped to the guest account (allow_guest) or anonymous
  std::string address; // the client's address, "ip:port"
};

/// One open of a pipe. Called on the connection's engine strand, one call at a time: it must not
/// block (no disk or network I/O; hand such work to your own thread and answer later is not
/// supported). Destroyed at CLOSE or when the session ends.
class PipeInstance {
 public:
  virtual ~PipeInstance() = default;
  /// One message from the client. Returns the messages to send back, in order (often one; none
  /// for a message that needs no answer). A message the instance cannot take (malformed) still
  /// returns normally: the protocol on the pipe says how to reject it (DCE/RPC: a fault or
  /// bind_nak).
  virtual std::vector<std::vector<std::uint8_t>> write(std::span<const std::uint8_t> message) = 0;
};

/// Makes the instance for a CREATE of the pipe; nullptr refuses the open (STATUS_ACCESS_DENIED).
using PipeFactory = std::function<std::unique_ptr<PipeInstance>(const PipeClient&)>;

}  // namespace smbsrv
