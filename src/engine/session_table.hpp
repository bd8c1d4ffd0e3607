// The server's GlobalSessionTable (MS-SMB2 3.3.1.5): every session of every connection, by
// SessionId, with the connection that owns it and the user it authenticated. It keeps SessionIds
// unique across the server (3.3.5.5.1) and lets a SESSION_SETUP with PreviousSessionId
// (3.3.5.5.3) find the previous session on whatever connection it lives.
//
// The table never touches a connection's state: it only hands the owner (SessionHost) back, and
// the caller posts the teardown to it; the owner tears the session down on its own executor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace smbsrv::engine {

/// A connection as the session table reaches it. post_session_expired() is called on any thread,
/// with no lock held; it must only queue the request for the connection's executor.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual void post_session_expired(std::uint64_t session_id) = 0;
};

class SessionTable {
 public:
  /// Claims `id` for a new session of `host`; false when the id is taken (the caller draws again).
  bool reserve(std::uint64_t id, const std::shared_ptr<SessionHost>& host);
  /// The session authenticated as domain\user (empty user: anonymous or guest, which no
  /// PreviousSessionId can name: there is no identity to compare).
  void authenticated(std::uint64_t id, const std::string& user, const std::string& domain);
  /// The session is gone (logoff, failed authentication, teardown, connection closed). Only the
  /// host that owns it may forget it.
  void forget(std::uint64_t id, const SessionHost* host);
  /// 3.3.5.5.3 PreviousSessionId: when `previous` is an authenticated session of the same user
  /// (case-insensitive domain and user), takes it out of the table and returns its host, which
  /// must then be told to tear it down. Otherwise (no such session, another user, anonymous or
  /// guest, the host is gone) nothing changes and null is returned.
  std::shared_ptr<SessionHost> take_previous(std::uint64_t previous, const std::string& user,
                                             const std::string& domain);
  std::size_t size() const;

 private:
  struct Entry {
    std::weak_ptr<SessionHost> host;
    const SessionHost* host_id = nullptr;
    std::string user, domain;  // upper-case; empty user until authenticated (or anonymous/guest)
  };
  mutable std::mutex mu_;  // a leaf: nothing else is taken while it is held
  std::map<std::uint64_t, Entry> by_id_;
};

}  // namespace smbsrv::engine
