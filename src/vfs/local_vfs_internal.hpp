// Internals of the local backend shared by its files (not part of the public API):
//   local_vfs.cpp    the Vfs: path walk, lookup, create, remove, rename, link
//   local_file.cpp   the open file or directory (LocalFile) and the fd / statx / DOS helpers
//   local_stream.cpp named streams in extended attributes (local_stream.hpp)
// and the test hooks.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "smbsrv/vfs.hpp"
#include "vfs/dos_record.hpp"

namespace smbsrv::detail {

/// Enables (the default) or disables the openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) fast path,
/// so tests can exercise the plain openat(O_NOFOLLOW) walk that is used when openat2 is missing.
void local_vfs_use_openat2(bool enabled) noexcept;
/// Whether openat2 is currently enabled and not known to be unavailable.
bool local_vfs_openat2_active() noexcept;
/// Directory scans made so far by case-insensitive lookups that missed (the name index did not
/// answer), in this process.
std::uint64_t local_vfs_lookup_scans() noexcept;

/// Owning file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// NtStatus of errno.
NtStatus last_error() noexcept;
/// Opens `name` (a single component, or ".") relative to dirfd without ever following a symlink
/// or leaving dirfd.
int open_beneath(int dirfd, const char* name, int flags, mode_t mode = 0) noexcept;
FileTime to_filetime(std::int64_t sec, std::int64_t nsec) noexcept;
timespec from_filetime(FileTime ft) noexcept;
/// What statx says of a file, in FileInfo terms (no DOS record applied).
FileInfo info_from_statx(const struct statx& st);
/// Overlays the stored DOS record (user.smbsrv.dos, see dos_record.hpp) on what statx gave.
void apply_dos(FileInfo& fi, const std::optional<DosRecord>& d);
/// statx without following a symlink.
int do_statx(int dirfd, const char* name, int flags, struct statx& st) noexcept;

enum class Kind { missing, file, directory, other };
Kind kind_of(mode_t mode) noexcept;

/// Reads the names in a directory (without "." and "..").
Result<std::vector<std::string>> read_names(int dirfd);

class SideStreams;

/// The VfsFile of an open file or directory: `fd` is O_RDONLY or O_RDWR (O_RDONLY|O_DIRECTORY for
/// a directory). `writable`: data may be written; `meta_writable`: times, attributes and EAs may
/// be set (false on a read-only share). `side`: the share's side-directory stream store, when
/// streams are kept there (side_stream.hpp) instead of in xattrs.
std::unique_ptr<VfsFile> make_local_file(Fd fd, bool is_dir, bool writable, bool meta_writable,
                                         std::shared_ptr<const SideStreams> side = nullptr);
/// The descriptor of a VfsFile made by make_local_file(); -1 for any other VfsFile.
int local_file_fd(VfsFile& file) noexcept;

}  // namespace smbsrv::detail
