// LocalVfs's Vfs::watch(): changes other processes make in the share, seen through inotify, for
// CHANGE_NOTIFY (MS-SMB2 3.3.5.19, MS-FSCC 2.7.1).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "smbsrv/vfs.hpp"
#include "vfs/local_vfs_internal.hpp"

namespace smbsrv::detail {

/// One inotify instance and the thread that reads it, shared by the watches of one LocalVfs.
/// A watch adds an inotify watch for its directory (and, recursive, for each directory below,
/// at most kMaxDirs; past that its callback gets `lost`). Two watches of one directory share the
/// kernel's watch (inotify gives both the same descriptor); each gets every event.
///
/// The server's own changes: LocalVfs marks the names it is about to create, remove or rename
/// (own()) before the syscall, so their events, which the kernel queues before the syscall
/// returns, are recognised however late the reader gets to them, and for kOwnWindow after. Data
/// and attribute changes through open files are not marked (a VfsFile has no name); the NT core
/// drops those echoes itself (NtCore::report_host).
class HostWatcher : public std::enable_shared_from_this<HostWatcher> {
 public:
  static constexpr std::size_t kMaxDirs = 256;  // inotify watches per Vfs::watch()
  static constexpr std::chrono::seconds kOwnWindow{2};
  /// Opens a directory of the share (O_RDONLY | O_DIRECTORY), confined as every LocalVfs open.
  using OpenDir = std::function<Fd(const SmbPath&)>;

  /// nullptr when inotify is unavailable (the share then reports no outside changes).
  static std::shared_ptr<HostWatcher> create(OpenDir open_dir, bool case_sensitive);
  ~HostWatcher();
  HostWatcher(const HostWatcher&) = delete;
  HostWatcher& operator=(const HostWatcher&) = delete;

  std::unique_ptr<VfsWatch> watch(const SmbPath& dir, bool recursive, VfsWatchCallback cb);

  /// Marks `path` as changed by the server from now until kOwnWindow after the guard goes.
  class Own {
   public:
    Own() = default;
    Own(HostWatcher* w, std::string key) : w_(w), key_(std::move(key)) {}
    Own(Own&& o) noexcept : w_(std::exchange(o.w_, nullptr)), key_(std::move(o.key_)) {}
    Own& operator=(Own&&) = delete;
    ~Own();

   private:
    HostWatcher* w_ = nullptr;
    std::string key_;
  };
  Own own(const SmbPath& path);

  struct Sub;  // one Vfs::watch()

 private:
  HostWatcher(int ifd, int efd, OpenDir open_dir, bool case_sensitive);
  struct Node {  // one kernel watch
    SmbPath path;
    std::vector<std::shared_ptr<Sub>> subs;
  };
  void run();
  /// Adds `dir` (whose descriptor is `fd`) to `sub`, and with `recursive` its subdirectories,
  /// breadth first, up to the cap. Caller holds mu_. False when the cap cut it short.
  bool add_tree(const std::shared_ptr<Sub>& sub, const SmbPath& dir, Fd fd);
  bool add_one(const std::shared_ptr<Sub>& sub, const SmbPath& dir, int fd);
  void release(Sub& sub);
  std::string key(const SmbPath& p) const;
  bool is_own(const std::string& key);

  const int ifd_, efd_;
  OpenDir open_dir_;
  const bool case_sensitive_;
  std::mutex mu_;                 // nodes_, the subs' descriptors
  std::map<int, Node> nodes_;     // by inotify watch descriptor
  std::mutex own_mu_;
  struct OwnMark {
    int active = 0;
    std::chrono::steady_clock::time_point until{};
  };
  std::map<std::string, OwnMark> own_;
  std::vector<std::shared_ptr<Sub>> cut_short_;  // under mu_: to be told `lost` by the reader
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace smbsrv::detail
