// Oplocks and leases shared by every connection (MS-SMB2 3.3.1.4 GlobalLeaseTableList, 3.3.1.12
// Lease; the break rules follow MS-FSA 2.1.5.17ff in simplified form).
//
// An oplock is kept as a lease whose key is private to its one open, so grants and breaks share
// one code path: batch = RWH, exclusive = RW, level II = R. Only the notification and the
// acknowledgment differ on the wire.
//
// Nothing here sends or blocks: breaks are collected under the table's mutex and handed to the
// holders' Connections after it is released; a CREATE that must wait for an acknowledgment
// registers a Waiter and is resumed (on whichever thread ends the wait) by
// Connection::resume_pending().
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "codec/messages.hpp"
#include "smbsrv/vfs.hpp"

namespace smbsrv::engine {

class Connection;
using FileKey = std::pair<const Vfs*, std::uint64_t>;  // backend and file id, as FileTable
using Key16 = std::array<std::uint8_t, 16>;

/// One break to send, built under the table's lock and sent after it.
struct BreakNotice {
  std::weak_ptr<Connection> conn;
  bool is_oplock = false;
  int version = 1;
  Key16 key{};
  std::uint32_t from = 0, to = 0;
  std::uint16_t epoch = 0;
  bool ack_required = false;
  std::uint64_t session_id = 0;  // the session whose keys protect the notification
  bool encrypt = false;          // the open was made through encrypted messages
  codec::FileId file_id;         // oplocks: the open
};

/// Who is opening: the client (Connection.ClientGuid) and its lease key, if it asked for a lease.
struct Requester {
  Key16 client_guid{};
  std::optional<Key16> lease_key;
};

/// What the open asks for, and the answer.
struct LeaseRequest {
  std::uint8_t oplock_level = codec::kOplockNone;   // RequestedOplockLevel
  std::optional<codec::LeaseContext> lease;          // with kOplockLease
};
struct LeaseGrant {
  std::uint8_t oplock_level = codec::kOplockNone;
  std::optional<codec::LeaseContext> lease;  // the response context
};

/// Why an open breaks others' caching (MS-FSA 2.1.4.12 in outline).
enum class BreakCause {
  open,       // another open: write caching goes (RWH → RH, RW → R)
  overwrite,  // overwrite/supersede: write and handle caching go (the truncation then breaks R)
  sharing,    // the open fails a share-mode check: handle caching goes (RH → R)
};

class LeaseTable {
 public:
  struct Waiter {
    std::weak_ptr<Connection> conn;
    const Connection* who = nullptr;  // identifies the waiter in forget_waiter()
    std::uint64_t async_id = 0;
  };

  /// Before an open of `file`: breaks what the cause requires in other clients' leases.
  /// Returns true when a break needs an acknowledgment: the waiter is then registered and
  /// resumed when no lease on the file is breaking any more (ack, close or timeout).
  /// invalid_parameter when the requester's lease key is already bound to another file
  /// (3.3.5.9.8).
  Result<bool> prepare_open(const FileKey& file, const Requester& who, BreakCause cause, const Waiter& waiter,
                            std::uint64_t now, std::uint64_t timeout);

  /// After the open is registered in the FileTable: grants what the rules allow and records
  /// the open (every open of a file is recorded, with or without a lease). An open without
  /// data access (a stat open) gets no oplock and breaks nothing.
  LeaseGrant attach(const FileKey& file, const void* open, const Requester& who, const LeaseRequest& req,
                    bool is_directory, bool data_access, std::uint16_t dialect, std::weak_ptr<Connection> conn,
                    std::uint64_t session_id, bool encrypt, const codec::FileId& file_id, std::uint64_t now,
                    std::uint64_t timeout);

  /// The open closes. A lease with no open left is freed; waiters it held up resume.
  void detach(const FileKey& file, const void* open);

  /// Data changes through `writer` (WRITE, truncation, end-of-file): every other lease on the
  /// file loses all caching. Nothing waits (MS-FSA: such breaks complete immediately).
  void break_for_write(const FileKey& file, const void* writer, std::uint64_t now, std::uint64_t timeout);

  /// A delete or rename through `by`: every other lease on the file loses handle caching (an
  /// oplock drops to level II at most). Nothing waits.
  void break_handles(const FileKey& file, const void* by, std::uint64_t now, std::uint64_t timeout);

  /// Lease Break Acknowledgment (3.3.5.22.2): the new state, or object_name_not_found /
  /// unsuccessful / request_not_accepted.
  Result<std::uint32_t> ack_lease(const Key16& client_guid, const Key16& key, std::uint32_t state,
                                  std::uint64_t now, std::uint64_t timeout);
  /// Oplock Break Acknowledgment (3.3.5.22.1) for `open`: the level now held, or
  /// invalid_device_state / invalid_oplock_protocol / invalid_parameter.
  Result<std::uint8_t> ack_oplock(const FileKey& file, const void* open, std::uint8_t level);

  /// Breaks whose acknowledgment is overdue complete as if acknowledged (3.3.2.5).
  void tick(std::uint64_t now);
  /// A waiting CREATE was cancelled or its connection went away.
  void forget_waiter(const Connection* conn, std::uint64_t async_id);

 private:
  struct Lease {
    Key16 client_guid{}, key{};
    bool is_oplock = false;
    int version = 1;
    FileKey file{};
    std::uint32_t state = 0;
    std::uint32_t notified_to = 0;  // what the last notification offered
    std::uint32_t breaking_to = 0;  // ≤ notified_to: further breaks wait for the acknowledgment
    bool breaking = false;
    std::uint16_t epoch = 0;
    std::uint64_t deadline = 0;
    std::size_t opens = 0;
    std::weak_ptr<Connection> conn;
    std::uint64_t session_id = 0;
    bool encrypt = false;
    codec::FileId file_id;
  };
  struct FileLeases {
    std::vector<std::pair<const void*, std::shared_ptr<Lease>>> opens;  // lease null: none
    std::vector<Waiter> waiters;
  };

  /// Lowers every lease on `file` other than the one of the open `by` to keep(lease), and sends
  /// the notices. Nothing waits.
  template <class Keep>
  void break_others(const FileKey& file, const void* by, std::uint64_t now, std::uint64_t timeout, Keep keep);
  /// Lowers `l` to `to` (a subset of its state); notices go to `out`.
  void break_locked(Lease& l, std::uint32_t to, std::uint64_t now, std::uint64_t timeout,
                    std::vector<BreakNotice>& out);
  /// Waiters of `file` when none of its leases is breaking any more.
  void collect_ready_locked(const FileKey& file, std::vector<Waiter>& out);
  bool mine(const Lease& l, const Requester& who) const;
  static void send(std::vector<BreakNotice>& notices);
  static void resume(std::vector<Waiter>& waiters);

  std::mutex mu_;
  std::map<FileKey, FileLeases> files_;
  std::map<std::pair<Key16, Key16>, std::shared_ptr<Lease>> leases_;  // (ClientGuid, LeaseKey)
  std::uint64_t next_oplock_key_ = 1;
};

}  // namespace smbsrv::engine
