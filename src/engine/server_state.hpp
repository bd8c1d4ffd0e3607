// State shared by every connection of one server: configuration, shares, credentials, the
// table of open file objects (for share modes, delete-on-close and byte-range locks), the
// injected clock and randomness. Connections hold a shared_ptr to it.
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

#include "engine/leases.hpp"
#include "smbsrv/server.hpp"
#include "util/buffer_pool.hpp"

namespace smbsrv::engine {

/// One file or directory that at least one Open refers to (MS-FSA's Stream/File). Keyed by the
/// backend and its file id, so every open of the same object — from any connection — sees the
/// same share-mode, delete-pending and lock state.
struct FileObject {
  const Vfs* vfs = nullptr;
  std::uint64_t file_id = 0;
  SmbPath path;  // current path (kept up to date across renames)
  bool is_directory = false;
  bool delete_pending = false;
  struct ShareEntry {
    const void* open = nullptr;
    std::uint32_t access = 0;
    std::uint32_t share_access = 0;
  };
  std::vector<ShareEntry> opens;
  struct ByteRangeLock {
    const void* open = nullptr;
    std::uint64_t offset = 0, length = 0;
    bool exclusive = false;
  };
  std::vector<ByteRangeLock> locks;
};

class FileTable {
 public:
  /// Registers an open; checks share modes against the existing opens (MS-FSA 2.1.5.1.2) →
  /// sharing_violation; delete_pending → delete_pending.
  Result<std::shared_ptr<FileObject>> attach(const Vfs* vfs, std::uint64_t file_id, const SmbPath& path,
                                             bool is_directory, const void* open,
                                             std::uint32_t access, std::uint32_t share_access);
  /// Removes an open (and its locks). Returns true when it was the last and delete was pending:
  /// the caller then removes the file.
  bool detach(const std::shared_ptr<FileObject>& fo, const void* open);
  /// After a rename: updates the path of the object and of everything below it.
  void renamed(const Vfs* vfs, const SmbPath& from, const SmbPath& to);
  /// Other opens besides `open`?
  bool has_other_opens(const std::shared_ptr<FileObject>& fo, const void* open);
  /// True if an open of directory `dir` stops a rename of an entry in it: one that holds DELETE
  /// access or does not share delete. (Windows behaves as if the rename opened the parent for
  /// DELETE with FILE_SHARE_READ|FILE_SHARE_WRITE; smbtorture smb2.rename.*_delete_* checks it.)
  bool parent_blocks_rename(const Vfs* vfs, const SmbPath& dir);
  /// True if an open (other than `self`) of a path below `dir` exists.
  bool has_open_below(const Vfs* vfs, const SmbPath& dir);
  std::mutex& mutex() { return mu_; }

 private:
  std::mutex mu_;
  std::map<std::pair<const Vfs*, std::uint64_t>, std::shared_ptr<FileObject>> objects_;
};

struct ServerState {
  ServerConfig config;
  std::shared_ptr<const CredentialStore> credentials;
  std::array<std::uint8_t, 16> server_guid{};
  std::uint64_t start_time = 0;  // FILETIME
  /// Current time as FILETIME.
  std::function<std::uint64_t()> now;
  /// Cryptographically secure random bytes.
  std::function<void(std::span<std::uint8_t>)> random;
  FileTable files;
  LeaseTable leases;
  /// FILETIME ticks for ServerConfig::lease_break_timeout_seconds.
  std::uint64_t lease_break_timeout() const { return std::uint64_t{config.lease_break_timeout_seconds} * 10'000'000; }
  /// Frame and response buffers, reused across requests and connections (READ/WRITE path).
  BufferPool buffers;
  /// Descriptors held by zero-copy READ responses not yet sent (Output::tail), all connections
  /// together. Past kMaxZeroCopyFds READs are copied instead, so that clients which do not read
  /// their responses cannot exhaust the process's descriptors.
  std::atomic<std::size_t> zero_copy_fds{0};
  static constexpr std::size_t kMaxZeroCopyFds = 1024;

  void add_share(Share share);
  void remove_share(std::string_view name);
  /// Case-insensitive lookup.
  std::shared_ptr<const Share> find_share(std::string_view name) const;
  std::vector<std::shared_ptr<const Share>> list_shares() const;

 private:
  mutable std::mutex shares_mu_;
  std::map<std::string, std::shared_ptr<const Share>, std::less<>> shares_;  // key: upper-case
};

/// Defaults for production: the system clock and OpenSSL's RNG.
std::shared_ptr<ServerState> make_server_state(ServerConfig config,
                                               std::shared_ptr<const CredentialStore> credentials);

}  // namespace smbsrv::engine
