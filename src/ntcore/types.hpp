// Small value types of the NT-semantics core (nt_core.hpp): what identifies a file, what the core
// tells the owner of an open, and the cache (oplock/lease) states it grants.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "smbsrv/vfs.hpp"

namespace smbsrv::nt {

using Key16 = std::array<std::uint8_t, 16>;

/// One file or directory of one backend: the backend and its file id (FileInfo::file_id, unique
/// and stable within the backend), so that every open of the same object, from any connection,
/// meets the same state. A named stream is an object of its own (MS-FSA Stream: own share modes,
/// locks, oplocks and deletion): `stream` is its name in the share's case rule (folded when the
/// share is case-insensitive), empty for the file itself.
struct FileKey {
  const Vfs* vfs = nullptr;
  std::uint64_t id = 0;
  std::string stream;
  friend auto operator<=>(const FileKey&, const FileKey&) = default;
};

/// Caching states (MS-SMB2 2.2.13.2.8 LeaseState). An oplock is held as the equivalent state:
/// batch = RWH, exclusive = RW, level II = R.
inline constexpr std::uint32_t kCacheRead = 0x1, kCacheHandle = 0x2, kCacheWrite = 0x4;

/// Oplock levels (MS-SMB2 2.2.13 RequestedOplockLevel).
inline constexpr std::uint8_t kOplockNone = 0x00, kOplockLevelII = 0x01, kOplockExclusive = 0x08,
                              kOplockBatch = 0x09, kOplockLease = 0xFF;

/// A lease as the client asks for it (SMB2_CREATE_REQUEST_LEASE[_V2], 2.2.13.2.8/.10).
struct LeaseRequest {
  Key16 key{};
  std::uint32_t state = 0;
  int version = 1;  // 2: SMB2_CREATE_REQUEST_LEASE_V2
  std::uint16_t epoch = 0;
  bool parent_key_set = false;
};

/// SMB2_CREATE_APP_INSTANCE_ID (3.x) and, at 3.1.1, SMB2_CREATE_APP_INSTANCE_VERSION
/// (MS-SMB2 3.3.5.9.13). At namespace scope: clang cannot default-construct a nested struct with
/// member initializers inside std::optional while its enclosing class is incomplete.
struct AppInstance {
  Key16 id{};
  std::optional<std::pair<std::uint64_t, std::uint64_t>> version;  // (high, low)
};

/// What the open is granted: an oplock level, or (oplock_level == kOplockLease) a lease.
struct LeaseGrant {
  std::uint8_t oplock_level = kOplockNone;
  struct Lease {
    std::uint32_t state = 0;
    int version = 1;
    std::uint16_t epoch = 0;
    bool break_in_progress = false;
  };
  std::optional<Lease> lease;  // the lease context to answer with
};

/// How the owner of an open names it when the core talks about it: the session whose keys
/// protect messages about it, whether it was opened through encrypted messages, and its SMB2
/// FileId. The core only stores and returns it.
struct OpenTag {
  std::uint64_t session_id = 0;
  bool encrypt = false;
  std::uint64_t persistent_id = 0, volatile_id = 0;
};

/// An oplock or lease break the owner must send (MS-SMB2 3.3.4.6, 3.3.4.7).
struct BreakNotice {
  bool is_oplock = false;
  int version = 1;
  Key16 key{};  // the lease key
  std::uint32_t from = 0, to = 0;
  std::uint16_t epoch = 0;
  bool ack_required = false;
  OpenTag tag;  // of the open that last took the lease (oplocks: the open itself)
};

/// A wait registered under `token` is over: what it waited for happened (or timed out).
struct Wake {
  std::uint64_t token = 0;
};

/// The core closed an open of this owner for someone else (MS-SMB2 3.3.4.17: a CREATE with the
/// same AppInstanceId, 3.3.5.9.13). The open is gone from the core; the owner drops it from its
/// table, so that its client's later requests on it get STATUS_FILE_CLOSED, and releases its file.
struct OpenEnded {
  OpenTag tag;
};

using Event = std::variant<BreakNotice, Wake, OpenEnded>;

/// The owner of opens and waits (a connection). The core delivers events to it.
class Owner {
 public:
  virtual ~Owner() = default;
  /// Called on any thread, never with the core's lock held. Must not block and must not call
  /// into the core: queue the event and let the owner's own executor handle it.
  virtual void post(Event e) = 0;
};

}  // namespace smbsrv::nt
