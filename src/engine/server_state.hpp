// State shared by every connection of one server: configuration, shares, credentials, the
// injected clock and randomness, the NT-semantics core (ntcore/nt_core.hpp: the open table, share
// modes, deletion, locks, oplocks and leases) and the buffer pool. Connections hold a shared_ptr.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "codec/messages.hpp"
#include "engine/durable_opens.hpp"
#include "engine/resume_keys.hpp"
#include "engine/session_table.hpp"
#include "ntcore/nt_core.hpp"
#include "rpc/rpc.hpp"
#include "smbsrv/pipe.hpp"
#include "smbsrv/server.hpp"
#include "util/buffer_pool.hpp"

namespace smbsrv::engine {

struct ClientState;

struct ServerState {
  ServerState(ServerConfig config, std::shared_ptr<const CredentialStore> credentials);
  ~ServerState();  // closes the durable opens still waiting for their clients

  const ServerConfig config;
  const std::shared_ptr<const CredentialStore> credentials;
  std::array<std::uint8_t, 16> server_guid{};
  /// The accounts domain (ServerConfig::machine_sid, else random for this process): users are
  /// this SID plus rid_of_account(name) (engine/rpc_directory.hpp).
  const codec::Sid machine_sid;
  /// What the DCE/RPC services see of this server.
  const std::shared_ptr<const rpc::Directory> directory;
  /// Current time as FILETIME. Tests may replace it before the server is used.
  std::function<std::uint64_t()> now;
  /// Cryptographically secure random bytes. Tests may replace it before the server is used.
  std::function<void(std::span<std::uint8_t>)> random;
  /// The one owner of cross-connection file state; reads the clock through `now`.
  nt::NtCore nt;
  /// Frame and response buffers, reused across requests and connections (READ/WRITE path).
  BufferPool buffers;
  /// Descriptors held by zero-copy READ responses not yet sent (Output::tail), all connections
  /// together. Past kMaxZeroCopyFds READs are copied instead, so that clients which do not read
  /// their responses cannot exhaust the process's descriptors.
  std::atomic<std::size_t> zero_copy_fds{0};
  static constexpr std::size_t kMaxZeroCopyFds = 1024;
  /// Durable opens whose connection is gone (engine/durable_opens.hpp). After `nt`: destroyed first.
  DurableOpens durable;
  /// Open.FileId.Persistent (MS-SMB2 3.3.1.10): unique among the server's opens, so that a durable
  /// open keeps it when it is reconnected on another connection.
  std::atomic<std::uint64_t> next_persistent_id{1};
  /// Once a second, on a worker: overdue breaks complete (NtCore::tick) and the durable open
  /// scavenger (3.3.2.2) closes orphans whose timeout passed or which a conflicting open ended.
  void tick();
  /// Server-side copy: resume key → source open, for every connection (engine/resume_keys.hpp).
  ResumeKeys resume_keys;
  /// GlobalSessionTable (3.3.1.5): every session of every connection, by SessionId, with its
  /// owner (engine/session_table.hpp).
  SessionTable sessions;

  /// FSCTL_QUERY_NETWORK_INTERFACE_INFO's answer: the server's interfaces, as the transport finds
  /// them (transport/interfaces.hpp). Empty (tests, an embedder without sockets): none, and the
  /// FSCTL fails with STATUS_NOT_SUPPORTED.
  std::function<std::vector<codec::NetworkInterfaceInfo>()> network_interfaces;

  /// The ClientState that the connections of the client `client_guid` share once their
  /// NEGOTIATE offered multichannel (engine/state.hpp): made by the first, gone with the last.
  std::shared_ptr<ClientState> client_group(const std::array<std::uint8_t, 16>& client_guid);

  void add_share(Share share);
  void remove_share(std::string_view name);
  /// Case-insensitive lookup.
  std::shared_ptr<const Share> find_share(std::string_view name) const;
  /// Every share, in name order.
  std::vector<std::shared_ptr<const Share>> all_shares() const;

  /// Named pipes served on IPC$ (smbsrv/pipe.hpp), by name, case-insensitively. Adding a name
  /// again replaces its service; opens already made keep their instance.
  void add_pipe_service(std::string_view name, PipeFactory factory);
  void remove_pipe_service(std::string_view name);
  /// The factory for `name` (no "\\PIPE\\" prefix), or null.
  PipeFactory find_pipe_service(std::string_view name) const;

 private:
  void register_builtin_pipes();
  mutable std::mutex shares_mu_;  // a leaf lock: nothing else is taken while it is held
  std::map<std::string, std::shared_ptr<const Share>, std::less<>> shares_;  // key: upper-case
  std::mutex groups_mu_;  // a leaf lock
  std::map<std::array<std::uint8_t, 16>, std::weak_ptr<ClientState>> groups_;
  std::size_t groups_swept_ = 0;
  mutable std::mutex pipes_mu_;  // a leaf lock
  std::map<std::string, PipeFactory, std::less<>> pipes_;  // key: upper-case
};

/// Defaults for production: the system clock and OpenSSL's RNG.
std::shared_ptr<ServerState> make_server_state(ServerConfig config,
                                               std::shared_ptr<const CredentialStore> credentials);

}  // namespace smbsrv::engine
