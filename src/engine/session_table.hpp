// The server's GlobalSessionTable (MS-SMB2 3.3.1.5): every session of every connection, by
// SessionId, with the connection that owns it and the user it authenticated. It keeps SessionIds
// unique across the server (3.3.5.5.1) and lets a SESSION_SETUP with PreviousSessionId
// (3.3.5.5.3) find the previous session on whatever connection it lives.
//
// The table never touches a connection's state: it only hands the owner (SessionHost) back, and
// the caller posts the teardown to it; the owner tears the session down on its own executor.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "smbsrv/server.hpp"

namespace smbsrv::engine {

/// A connection as the session table reaches it. post_session_expired() is called on any thread,
/// with no lock held; it must only queue the request for the connection's executor.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual void post_session_expired(std::uint64_t session_id) = 0;
};

/// What a binding request (MS-SMB2 3.3.5.5, SMB2_SESSION_FLAG_BINDING) on another connection
/// is checked against: Session.Connection's dialect, signing algorithm, cipher and ClientGuid,
/// and Session.SigningKey (3.3.5.2.4: a binding request is verified with it). A copy, taken
/// under the table's lock: the session itself stays on its own connection's executor.
struct Session;

struct SessionBindInfo {
  Dialect dialect = Dialect::smb2_0_2;
  crypto::SigningAlgorithm signing_algorithm = crypto::SigningAlgorithm::hmac_sha256;
  std::optional<Cipher> cipher;
  std::array<std::uint8_t, 16> client_guid{};
  std::vector<std::uint8_t> signing_key;
  std::string user, domain;  // upper-case
  /// The session and the ClientState of its connections: a binding connection of the same
  /// group (and only one) may touch the session, under the group's lock (engine/connection.hpp).
  std::weak_ptr<Session> session;
  const void* client = nullptr;
};

class SessionTable {
 public:
  /// Claims `id` for a new session of `host`; false when the id is taken (the caller draws again).
  bool reserve(std::uint64_t id, const std::shared_ptr<SessionHost>& host);
  /// The session authenticated as info.domain\info.user, with what a binding request is checked
  /// against. Only for authenticated, non-guest, non-anonymous sessions: those have no identity a
  /// PreviousSessionId could name, and no key a binding request could be signed with.
  void authenticated(std::uint64_t id, SessionBindInfo info);
  /// The binding facts of an authenticated session, or nothing (unknown, in progress, anonymous
  /// or guest: no key a binding request could be signed with).
  std::optional<SessionBindInfo> bind_info(std::uint64_t id) const;
  /// The session is gone (logoff, failed authentication, teardown, connection closed). Only the
  /// host that owns it may forget it.
  void forget(std::uint64_t id, const SessionHost* host);
  /// 3.3.5.5.3 PreviousSessionId: when `previous` is an authenticated session of the same user
  /// (case-insensitive domain and user), takes it out of the table and returns its host, which
  /// must then be told to tear it down. Otherwise (no such session, another user, anonymous or
  /// guest, the host is gone) nothing changes and null is returned.
  /// The session's connection `from` is gone but the session lives on as a channel of `to`
  /// (multichannel): `to` now owns it.
  void move_host(std::uint64_t id, const SessionHost* from, const std::shared_ptr<SessionHost>& to);
  std::shared_ptr<SessionHost> take_previous(std::uint64_t previous, const std::string& user,
                                             const std::string& domain);
  std::size_t size() const;

 private:
  struct Entry {
    std::weak_ptr<SessionHost> host;
    const SessionHost* host_id = nullptr;
    std::optional<SessionBindInfo> bind;  // once authenticated (never for anonymous or guest)
  };
  mutable std::mutex mu_;  // a leaf: nothing else is taken while it is held
  std::map<std::uint64_t, Entry> by_id_;
};

}  // namespace smbsrv::engine
