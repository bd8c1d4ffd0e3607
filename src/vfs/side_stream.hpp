// Named streams of the local backend kept as files in a hidden side directory of the share
// (LocalVfsOptions::streams = StreamStore::side_directory), for streams of any size.
// Internal to the local backend.
//
// Layout: "<root>/.smbsrv-streams/<key>/=<name>", where <key> names the base file by inode and
// birth time ("<ino>-<btime sec>-<btime nsec>" in hex; the inode alone where the file system has
// no birth time) and <name> is the stream's name as created. The directory is hidden from the
// share: it is not listed, and opening it is ACCESS_DENIED.
//
// The trade-off against xattrs (local_stream.hpp): any size, and plain file I/O (no
// read-modify-write of a whole value per write); but the streams live apart from their file. The
// server keeps them together: deleting a file's last name through it deletes its streams, and
// rename and hard links keep them (the inode does not change). A file deleted or replaced by
// another program leaves its streams behind as an orphan directory (a birth time in the key
// keeps a later file that reuses the inode number from seeing them), and a copy made outside
// the server has none. Samba cannot read this layout.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smbsrv/vfs.hpp"
#include "vfs/local_vfs_internal.hpp"

namespace smbsrv::detail {

class SideStreams {
 public:
  static constexpr std::string_view kDirName = ".smbsrv-streams";
  /// The store of the share whose root is `root_fd`, made when missing. Throws std::system_error.
  explicit SideStreams(int root_fd, bool case_sensitive);

  /// Whether (dev, ino) is the store's directory (hidden from the share).
  bool is_store(dev_t dev, ino_t ino) const noexcept { return dev == dev_ && ino == ino_; }

  /// The on-disk file name of stream `name` of the file `base_fd`: the exact name or (case-
  /// insensitive shares) one equal up to case; nullopt when there is none.
  Result<std::optional<std::string>> find(int base_fd, std::string_view name) const;
  /// VfsFile::list_streams() of the file `base_fd`.
  Result<std::vector<StreamInfo>> list(int base_fd) const;
  /// Opens stream file `file` (from find()) of `base_fd`; `create`: makes `name` (O_EXCL).
  Result<Fd> open(int base_fd, const std::string& file, bool write) const;
  Result<Fd> create(int base_fd, std::string_view name) const;
  Result<void> remove(int base_fd, const std::string& file) const;
  Result<void> rename(int base_fd, std::string_view from, std::string_view to, bool replace) const;
  /// The store key of the file `name` in `dirfd`, read before its last name goes; then drop()
  /// removes its streams.
  std::optional<std::string> key_of_name(int dirfd, const char* name) const;
  void drop(const std::string& key) const;

 private:
  Result<std::string> key_of(int dirfd, const char* name, int flags) const;
  /// The directory of the file's streams; nullopt-like Fd{} when it has none (and !make).
  Result<Fd> key_dir(int base_fd, bool make) const;

  Fd dir_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool case_sensitive_;
};

/// The VfsFile of a stream kept in file `fd` of the side store; `base` is the file's own VfsFile.
std::unique_ptr<VfsFile> make_side_stream(std::unique_ptr<VfsFile> base, Fd fd, bool writable);

}  // namespace smbsrv::detail
