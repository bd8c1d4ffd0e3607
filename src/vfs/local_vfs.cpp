// LocalVfs: a share over a local directory.
//
// Confinement: the root is held as an O_PATH directory fd and every path is walked one component
// at a time relative to the fd of the directory resolved so far. Components come from SmbPath
// (never "." / ".." / containing a separator) or from readdir of the directory itself, every open
// uses O_NOFOLLOW (plus openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS when the kernel has it), and
// symlinks are never followed: a symlink anywhere in a path yields STATUS_ACCESS_DENIED and
// list() does not show them. Mutations (create, unlink, rename) are issued relative to the
// resolved parent fd, so swapping a directory for a symlink mid-operation cannot redirect them.
#include "smbsrv/local_vfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "util/upcase.hpp"
#include "vfs/dos_record.hpp"
#include "vfs/local_ea.hpp"
#include "vfs/local_security.hpp"
#include "vfs/local_vfs_internal.hpp"
#include "vfs/name_cache.hpp"

namespace smbsrv {
namespace {

std::atomic<bool> g_openat2_enabled{true};
std::atomic<bool> g_openat2_unavailable{false};
std::atomic<std::uint64_t> g_lookup_scans{0};  // test hook: directory scans made by lookup

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

NtStatus last_error() noexcept { return from_errno(errno); }

/// Opens `name` (a single component, or ".") relative to dirfd without ever following a symlink
/// or leaving dirfd.
int open_beneath(int dirfd, const char* name, int flags, mode_t mode = 0) noexcept {
  flags |= O_NOFOLLOW | O_CLOEXEC;
  if (g_openat2_enabled.load(std::memory_order_relaxed) &&
      !g_openat2_unavailable.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<__u64>(static_cast<unsigned int>(flags));
    how.mode = (flags & O_CREAT) ? static_cast<__u64>(mode) : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long r;
    do {
      r = ::syscall(SYS_openat2, dirfd, name, &how, sizeof how);
    } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    if (r >= 0) return static_cast<int>(r);
    if (errno != ENOSYS && errno != E2BIG) return -1;
    g_openat2_unavailable.store(true, std::memory_order_relaxed);
  }
  int r;
  do {
    r = ::openat(dirfd, name, flags, mode);
  } while (r < 0 && errno == EINTR);
  return r;
}

constexpr std::int64_t kUnixEpochSeconds = 11644473600;  // 1601 → 1970

FileTime to_filetime(std::int64_t sec, std::int64_t nsec) noexcept {
  if (sec < -kUnixEpochSeconds) return 0;
  return static_cast<FileTime>(sec + kUnixEpochSeconds) * 10000000ULL +
         static_cast<FileTime>(nsec / 100);
}

timespec from_filetime(FileTime ft) noexcept {
  timespec ts{};
  const auto units = static_cast<std::int64_t>(ft / 10000000ULL) - kUnixEpochSeconds;
  ts.tv_sec = static_cast<time_t>(units);
  ts.tv_nsec = static_cast<long>((ft % 10000000ULL) * 100);
  return ts;
}

FileTime stx_time(const struct statx_timestamp& t) noexcept {
  return to_filetime(t.tv_sec, t.tv_nsec);
}

FileInfo info_from_statx(const struct statx& st) {
  FileInfo fi;
  fi.is_directory = S_ISDIR(st.stx_mode);
  fi.size = fi.is_directory ? 0 : st.stx_size;
  fi.allocation_size = fi.is_directory ? 0 : st.stx_blocks * 512ULL;
  fi.file_id = st.stx_ino;
  // Windows reports one link for a directory (its name); POSIX counts "." and the subdirectories'
  // "..".
  fi.link_count = fi.is_directory ? 1 : st.stx_nlink;
  fi.last_access = stx_time(st.stx_atime);
  fi.last_write = stx_time(st.stx_mtime);
  fi.change = stx_time(st.stx_ctime);
  if ((st.stx_mask & STATX_BTIME) && st.stx_btime.tv_sec != 0)
    fi.creation = stx_time(st.stx_btime);
  else
    fi.creation = std::min(fi.last_write, fi.change);
  if (!fi.is_directory && (st.stx_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
    fi.attributes |= kAttrReadonly;
  return fi;
}

/// Overlays the stored DOS record (user.smbsrv.dos, see dos_record.hpp) on what statx gave: the
/// stored attributes, CreationTime and a client-set ChangeTime. READONLY of a file stays the mode
/// bits' (so a chmod on the host shows). Without a record a file is ARCHIVE, as before.
void apply_dos(FileInfo& fi, const std::optional<detail::DosRecord>& d) {
  const bool ro_mode = (fi.attributes & kAttrReadonly) != 0;
  std::uint32_t a = d ? d->attributes : (fi.is_directory ? 0 : kAttrArchive);
  if (!fi.is_directory) a = (a & ~kAttrReadonly) | (ro_mode ? kAttrReadonly : 0);
  if (d && d->creation) fi.creation = *d->creation;
  // A set ChangeTime sticks until the next data change (MS-FSA 2.1.4.17 updates it on writes);
  // Linux's own ctime cannot be set and moves with every xattr write, so LastWriteTime is the anchor.
  if (d && d->change && d->change_anchor == fi.last_write) fi.change = *d->change;
  fi.attributes = (a == 0 && !fi.is_directory) ? kAttrNormal : a;
}

int do_statx(int dirfd, const char* name, int flags, struct statx& st) noexcept {
  return ::statx(dirfd, name, flags | AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
                 STATX_BASIC_STATS | STATX_BTIME, &st);
}

enum class Kind { missing, file, directory, other };

Kind kind_of(mode_t mode) noexcept {
  if (S_ISREG(mode)) return Kind::file;
  if (S_ISDIR(mode)) return Kind::directory;
  return Kind::other;  // symlinks, devices, fifos, sockets: never served
}

struct Entry {
  Kind kind = Kind::missing;
  std::string name;  // the on-disk spelling (the requested one when missing)
};

/// Reads the names in a directory (without "." and "..").
Result<std::vector<std::string>> read_names(int dirfd) {
  Fd d{open_beneath(dirfd, ".", O_RDONLY | O_DIRECTORY)};
  if (!d) return last_error();
  DIR* dir = ::fdopendir(d.get());
  if (dir == nullptr) return last_error();
  d.release();
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* de = ::readdir(dir)) {
    const std::string_view n = de->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
    errno = 0;
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return from_errno(err);
  return names;
}

class LocalFile final : public VfsFile {
 public:
  LocalFile(Fd fd, bool is_dir, bool writable, bool meta_writable)
      : fd_(std::move(fd)), dir_(is_dir), writable_(writable), meta_writable_(meta_writable) {}

  Result<std::size_t> read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    if (dir_) return NtStatus::invalid_device_request;
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) return std::size_t{0};
    std::size_t done = 0;
    while (done < out.size()) {
      const auto pos = offset + done;
      if (pos > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) break;
      const ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(pos));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  Result<std::size_t> write(std::uint64_t offset, std::span<const std::uint8_t> in) override {
    if (dir_) return NtStatus::invalid_device_request;
    if (!writable_) return NtStatus::access_denied;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
    if (offset > kMax || in.size() > kMax - offset) return NtStatus::file_too_large;
    std::size_t done = 0;
    while (done < in.size()) {
      const ssize_t n = ::pwrite(fd_.get(), in.data() + done, in.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      if (n == 0) return NtStatus::disk_full;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  Result<std::uint64_t> copy_from(VfsFile& src, std::uint64_t src_offset, std::uint64_t dst_offset,
                                  std::uint64_t length) override {
    if (dir_) return NtStatus::invalid_device_request;
    if (!writable_) return NtStatus::access_denied;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
    if (dst_offset > kMax || length > kMax - dst_offset) return NtStatus::file_too_large;
    auto* from = dynamic_cast<LocalFile*>(&src);
    // Another backend's file, or ranges of one file that overlap (copy_file_range refuses those
    // with EINVAL): the default copies through read() and write().
    if (!from || from->dir_ || src_offset > kMax || (overlaps(*from, src_offset, dst_offset, length)))
      return VfsFile::copy_from(src, src_offset, dst_offset, length);
    // copy_file_range(2) copies inside the kernel, and shares extents (a reflink) on file systems
    // that can (Btrfs, XFS, NFS 4.2 server-side copy...).
    auto in = static_cast<off_t>(src_offset);
    auto out = static_cast<off_t>(dst_offset);
    std::uint64_t done = 0;
    while (done < length) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length - done, 1u << 30));
      const ssize_t n = ::copy_file_range(from->fd_.get(), &in, fd_.get(), &out, want, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        // Not possible between these two files (EXDEV: different file systems, before Linux 5.3
        // and again since 5.19 unless the file system allows it; ENOSYS: an old kernel;
        // EOPNOTSUPP/EINVAL: a file system that does not support it): copy the rest by hand.
        if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL) {
          auto rest = VfsFile::copy_from(src, src_offset + done, dst_offset + done, length - done);
          if (!rest) return rest.status();
          return done + *rest;
        }
        return last_error();
      }
      if (n == 0) break;  // the end of the source
      done += static_cast<std::uint64_t>(n);
    }
    return done;
  }

  std::optional<SendSource> send_source() override {
    if (dir_) return std::nullopt;
    // A descriptor of its own: the transport sends from it after this open may have been closed.
    Fd dup{::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0)};
    struct stat st {};
    if (!dup || ::fstat(dup.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return SendSource{dup.release(), static_cast<std::uint64_t>(st.st_size)};
  }

  Result<FileInfo> stat() override {
    struct statx st {};
    if (do_statx(fd_.get(), "", AT_EMPTY_PATH, st) != 0) return last_error();
    FileInfo fi = info_from_statx(st);
    apply_dos(fi, detail::read_dos(fd_.get()));
    if (!dir_ && marked_sparse()) fi.attributes |= kAttrSparseFile;
    return fi;
  }

  // Sparse files: Linux has no sparse flag, so FSCTL_SET_SPARSE's state is a user extended
  // attribute of the file (kept across opens, gone with the file). Holes are the file system's
  // own: punched by zero_range() while the file is sparse, found with SEEK_DATA / SEEK_HOLE.
  Result<std::vector<ExtendedAttribute>> list_eas() override { return detail::list_local_eas(fd_.get()); }
  Result<void> set_eas(std::span<const ExtendedAttribute> changes) override {
    if (!meta_writable_) return NtStatus::access_denied;
    return detail::set_local_eas(fd_.get(), changes);
  }
  Result<std::vector<std::uint8_t>> get_security() override { return detail::get_local_security(fd_.get()); }
  Result<void> set_security(std::span<const std::uint8_t> sd) override {
    return meta_writable_ ? detail::set_local_security(fd_.get(), sd) : Result<void>(NtStatus::access_denied);
  }
  Result<void> set_sparse(bool sparse) override {
    if (dir_) return NtStatus::invalid_parameter;
    const int r = sparse ? ::fsetxattr(fd_.get(), kSparseXattr, "1", 1, 0) : ::fremovexattr(fd_.get(), kSparseXattr);
    if (r == 0 || (!sparse && errno == ENODATA)) return {};
    if (errno == ENOTSUP) return NtStatus::invalid_device_request;  // no user xattrs here
    return last_error();
  }

  Result<void> zero_range(std::uint64_t offset, std::uint64_t length) override {
    if (dir_) return NtStatus::invalid_device_request;
    if (!writable_) return NtStatus::access_denied;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
    if (length == 0) return {};
    if (offset > kMax || length > kMax - offset) return NtStatus::invalid_parameter;
    // A sparse file gets a hole; any other keeps its blocks, as NTFS does (MS-FSCC FSCTL_SET_ZERO_DATA).
    const int mode = FALLOC_FL_KEEP_SIZE | (marked_sparse() ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE);
    int r;
    do {
      r = ::fallocate(fd_.get(), mode, static_cast<off_t>(offset), static_cast<off_t>(length));
    } while (r != 0 && errno == EINTR);
    if (r == 0) return {};
    if (errno == EOPNOTSUPP) return VfsFile::zero_range(offset, length);  // writes zeros
    return last_error();
  }

  Result<std::vector<ByteRange>> allocated_ranges(std::uint64_t offset, std::uint64_t length) override {
    if (dir_) return NtStatus::invalid_parameter;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
    std::vector<ByteRange> out;
    if (length == 0 || offset >= kMax) return out;
    const std::uint64_t end = std::min(kMax, offset + std::min(length, kMax - offset));
    std::uint64_t pos = offset;
    while (pos < end) {
      const off_t data = ::lseek(fd_.get(), static_cast<off_t>(pos), SEEK_DATA);
      if (data < 0) {
        if (errno == ENXIO) break;  // no data from pos to EOF
        if (errno == EINVAL) return VfsFile::allocated_ranges(offset, end - offset);  // no SEEK_DATA
        return last_error();
      }
      if (static_cast<std::uint64_t>(data) >= end) break;
      const off_t hole = ::lseek(fd_.get(), data, SEEK_HOLE);
      if (hole < 0) return last_error();
      const std::uint64_t stop = std::min(end, static_cast<std::uint64_t>(hole));
      out.push_back({static_cast<std::uint64_t>(data), stop - static_cast<std::uint64_t>(data)});
      pos = stop;
    }
    return out;
  }

  Result<void> truncate(std::uint64_t size) override {
    if (dir_) return NtStatus::file_is_a_directory;
    if (!writable_) return NtStatus::access_denied;
    if (size > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) return NtStatus::file_too_large;
    int r;
    do {
      r = ::ftruncate(fd_.get(), static_cast<off_t>(size));
    } while (r != 0 && errno == EINTR);
    if (r != 0) return last_error();
    return {};
  }

  Result<void> set_times(const FileTimes& times) override {
    if (!meta_writable_) return NtStatus::access_denied;
    // Linux cannot set creation or change time: those go to the DOS record (dos_record.hpp).
    const auto pick = [](const std::optional<FileTime>& t) {
      timespec ts{};
      ts.tv_nsec = UTIME_OMIT;
      if (t && *t != 0 && *t != ~FileTime{0}) ts = from_filetime(*t);
      return ts;
    };
    const timespec ts[2] = {pick(times.last_access), pick(times.last_write)};
    if ((ts[0].tv_nsec != UTIME_OMIT || ts[1].tv_nsec != UTIME_OMIT) && ::futimens(fd_.get(), ts) != 0)
      return last_error();
    const auto real = [](const std::optional<FileTime>& t) { return t && *t != 0 && *t != ~FileTime{0}; };
    if (!real(times.creation) && !real(times.change)) return {};
    auto rec = record();
    if (!rec) return rec.status();
    if (real(times.creation)) rec->creation = *times.creation;
    if (real(times.change)) {
      rec->change = *times.change;
      rec->change_anchor = rec_last_write_;
    }
    return detail::write_dos(fd_.get(), *rec);
  }

  Result<void> set_attributes(std::uint32_t attributes) override {
    if (!meta_writable_) return NtStatus::access_denied;
    auto rec = record();
    if (!rec) return rec.status();
    rec->attributes = attributes & kAttrSettable;
    if (auto w = detail::write_dos(fd_.get(), *rec); !w) return w;
    if (dir_) return {};  // directories keep READONLY in the record only (Windows ignores it there)
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return last_error();
    constexpr mode_t kWrite = S_IWUSR | S_IWGRP | S_IWOTH;
    mode_t mode = st.st_mode & 07777;
    if (attributes & kAttrReadonly)
      mode &= ~kWrite;
    else if ((mode & kWrite) == 0)
      mode |= S_IWUSR;
    if (mode != (st.st_mode & 07777) && ::fchmod(fd_.get(), mode) != 0) return last_error();
    return {};
  }

  Result<void> set_allocation(std::uint64_t size) override {
    if (dir_) return NtStatus::invalid_parameter;
    if (!writable_) return NtStatus::access_denied;
    if (size > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) return {};
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return last_error();
    const auto eof = static_cast<std::uint64_t>(st.st_size);
    const std::uint64_t unit = st.st_blksize > 0 ? static_cast<std::uint64_t>(st.st_blksize) : 4096;
    const std::uint64_t needed = (std::max(size, eof) + unit - 1) / unit * unit;
    // Shrinking: a same-size truncate frees blocks past EOF (ext4, xfs); then reserve up to size.
    if (static_cast<std::uint64_t>(st.st_blocks) * 512 > needed && ::ftruncate(fd_.get(), st.st_size) != 0)
      return last_error();
    if (size <= eof) return {};
    // Reserved blocks past EOF show in st_blocks, hence in AllocationSize. A file system that
    // cannot preallocate keeps the hint as Windows' FAT would: not at all.
    if (::fallocate(fd_.get(), FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(size)) != 0 && errno != EOPNOTSUPP &&
        errno != ENOSYS)
      return last_error();
    return {};
  }

  Result<void> flush() override {
    if (::fsync(fd_.get()) != 0 && errno != EINVAL && errno != EROFS) return last_error();
    return {};
  }

  Result<std::vector<DirEntry>> list() override {
    if (!dir_) return NtStatus::invalid_parameter;
    auto names = read_names(fd_.get());
    if (!names) return names.status();
    std::vector<DirEntry> out;
    out.reserve(names->size());
    for (auto& n : *names) {
      struct statx st {};
      if (do_statx(fd_.get(), n.c_str(), 0, st) != 0) continue;  // vanished meanwhile
      if (kind_of(st.stx_mode) == Kind::other) continue;       // symlinks etc. are invisible
      FileInfo fi = info_from_statx(st);
      apply_dos(fi, detail::read_dos(fd_.get(), n.c_str()));
      out.push_back(DirEntry{std::move(n), fi});
    }
    std::sort(out.begin(), out.end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    return out;
  }

 private:
  static constexpr const char* kSparseXattr = "user.smbsrv.sparse";
  /// The file's DOS record as stored, or as reported when none is (so a first write keeps what
  /// the client saw). Also notes the current LastWriteTime (the anchor of a set ChangeTime).
  Result<detail::DosRecord> record() {
    struct statx st {};
    if (do_statx(fd_.get(), "", AT_EMPTY_PATH, st) != 0) return last_error();
    FileInfo fi = info_from_statx(st);
    rec_last_write_ = fi.last_write;
    if (auto d = detail::read_dos(fd_.get())) return *d;
    apply_dos(fi, std::nullopt);
    return detail::DosRecord{.attributes = fi.attributes & kAttrSettable};
  }
  FileTime rec_last_write_ = 0;
  bool marked_sparse() const {
    char v = 0;
    return ::fgetxattr(fd_.get(), kSparseXattr, &v, sizeof v) >= 0;
  }
  /// Whether [src_offset, +length) of `from` and [dst_offset, +length) of this file are ranges of
  /// one file that overlap.
  bool overlaps(const LocalFile& from, std::uint64_t src_offset, std::uint64_t dst_offset, std::uint64_t length) const {
    const std::uint64_t gap = src_offset > dst_offset ? src_offset - dst_offset : dst_offset - src_offset;
    if (gap >= length) return false;
    struct stat a {}, b {};
    if (::fstat(from.fd_.get(), &a) != 0 || ::fstat(fd_.get(), &b) != 0) return true;  // the safe path
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  }

  Fd fd_;
  bool dir_;
  bool writable_;
  bool meta_writable_;  // times and attributes: the server checks the handle's access
};

class LocalVfs final : public Vfs {
 public:
  LocalVfs(Fd root, LocalVfsOptions options) : root_(std::move(root)), opt_(options) {
    // Exact names need no scan: only case-insensitive shares get the index.
    if (!opt_.case_sensitive) names_ = std::make_unique<detail::NameCache>(&read_names);
  }

  bool read_only() const override { return opt_.read_only; }
  bool case_sensitive() const override { return opt_.case_sensitive; }

  Result<Opened> open(const SmbPath& path, const OpenParams& params) override {
    const auto disp = params.disposition;
    if (static_cast<std::uint32_t>(disp) > static_cast<std::uint32_t>(CreateDisposition::overwrite_if))
      return NtStatus::invalid_parameter;
    if (params.directory && params.non_directory) return NtStatus::invalid_parameter;
    const bool truncating = disp == CreateDisposition::supersede ||
                            disp == CreateDisposition::overwrite ||
                            disp == CreateDisposition::overwrite_if;
    if (params.directory && truncating) return NtStatus::invalid_parameter;
    if (opt_.read_only && params.write) return NtStatus::access_denied;

    if (path.is_root()) return open_existing(root_.get(), ".", Kind::directory, params, truncating);

    auto parent = walk_parent(path);
    if (!parent) return parent.status();
    auto e = lookup(parent->get(), path.name());
    if (!e) return e.status();
    if (e->kind != Kind::missing)
      return open_existing(parent->get(), e->name.c_str(), e->kind, params, truncating);

    if (disp == CreateDisposition::open || disp == CreateDisposition::overwrite)
      return NtStatus::object_name_not_found;
    if (opt_.read_only) return NtStatus::access_denied;
    Fd fd;
    if (params.directory) {
      if (::mkdirat(parent->get(), e->name.c_str(), 0777) != 0) return last_error();
      fd.reset(open_beneath(parent->get(), e->name.c_str(), O_RDONLY | O_DIRECTORY));
      if (!fd) return last_error();
    } else {
      fd.reset(open_beneath(parent->get(), e->name.c_str(),
                            O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_NOCTTY, 0666));
      if (!fd) return last_error();
      if (params.attributes & kAttrReadonly) {
        struct stat st {};
        if (::fstat(fd.get(), &st) == 0)
          (void)::fchmod(fd.get(), st.st_mode & 07777 & ~mode_t{S_IWUSR | S_IWGRP | S_IWOTH});
      }
    }
    // The new file's DOS record: its attributes and a CreationTime that does not depend on btime.
    struct statx stx {};
    // A failure to store it (a full disk) leaves the file as one without a record: ARCHIVE.
    if (do_statx(fd.get(), "", AT_EMPTY_PATH, stx) == 0)
      (void)detail::write_dos(fd.get(), {.attributes = params.attributes & kAttrSettable,
                                         .creation = info_from_statx(stx).creation});
    return Opened{std::make_unique<LocalFile>(std::move(fd), params.directory, params.write, !opt_.read_only),
                  CreateAction::created};
  }

  Result<void> remove(const SmbPath& path) override {
    if (opt_.read_only) return NtStatus::access_denied;
    if (path.is_root()) return NtStatus::access_denied;
    auto parent = walk_parent(path);
    if (!parent) return parent.status();
    auto e = lookup(parent->get(), path.name());
    if (!e) return e.status();
    switch (e->kind) {
      case Kind::missing: return NtStatus::object_name_not_found;
      case Kind::other: return NtStatus::access_denied;
      case Kind::directory:
        if (::unlinkat(parent->get(), e->name.c_str(), AT_REMOVEDIR) != 0)
          return errno == EEXIST ? NtStatus::directory_not_empty : last_error();
        return {};
      case Kind::file:
        if (::unlinkat(parent->get(), e->name.c_str(), 0) != 0) return last_error();
        return {};
    }
    return NtStatus::internal_error;
  }

  Result<void> rename(const SmbPath& from, const SmbPath& to, bool replace) override {
    if (opt_.read_only) return NtStatus::access_denied;
    if (from.is_root() || to.is_root()) return NtStatus::access_denied;
    auto fparent = walk_parent(from);
    if (!fparent) return fparent.status();
    auto fe = lookup(fparent->get(), from.name());
    if (!fe) return fe.status();
    if (fe->kind == Kind::missing) return NtStatus::object_name_not_found;
    if (fe->kind == Kind::other) return NtStatus::access_denied;
    auto tparent = walk_parent(to);
    if (!tparent) return tparent.status();
    auto te = lookup(tparent->get(), to.name());
    if (!te) return te.status();
    const int fd_from = fparent->get(), fd_to = tparent->get();
    const std::string to_name{to.name()};

    if (te->kind != Kind::missing) {
      if (same_dir(fd_from, fd_to) && te->name == fe->name) {
        // The target is the source itself (names equal up to case): a case-only rename.
        if (to_name == fe->name) return {};
        return rename_noreplace(fd_from, fe->name, fd_to, to_name);
      }
      if (!replace) return NtStatus::object_name_collision;
      if (te->kind != Kind::file) return NtStatus::access_denied;
      if (fe->kind == Kind::directory) {
        // POSIX cannot rename a directory over a file. Swap the two atomically, then drop the
        // file (now at the source name). Only a kernel without renameat2 gets the non-atomic
        // remove-then-rename; EINVAL (a move below itself, or no support) fails cleanly.
        if (::renameat2(fd_from, fe->name.c_str(), fd_to, te->name.c_str(), RENAME_EXCHANGE) == 0) {
          if (::unlinkat(fd_from, fe->name.c_str(), 0) != 0) return last_error();
        } else {
          if (errno != ENOSYS) return last_error();
          if (::unlinkat(fd_to, te->name.c_str(), 0) != 0) return last_error();
          return rename_noreplace(fd_from, fe->name, fd_to, to_name);
        }
      } else if (::renameat(fd_from, fe->name.c_str(), fd_to, te->name.c_str()) != 0) {
        return last_error();
      }
      if (te->name != to_name) {  // keep the client's spelling of the new name
        if (auto r = rename_noreplace(fd_to, te->name, fd_to, to_name); !r) return r;
      }
      return {};
    }
    return rename_noreplace(fd_from, fe->name, fd_to, to_name);
  }

  Result<void> link(const SmbPath& existing, const SmbPath& link, bool replace) override {
    if (opt_.read_only) return NtStatus::access_denied;
    if (existing.is_root()) return NtStatus::file_is_a_directory;
    if (link.is_root()) return NtStatus::object_name_invalid;
    auto fparent = walk_parent(existing);
    if (!fparent) return fparent.status();
    auto fe = lookup(fparent->get(), existing.name());
    if (!fe) return fe.status();
    if (fe->kind == Kind::missing) return NtStatus::object_name_not_found;
    if (fe->kind == Kind::directory) return NtStatus::file_is_a_directory;
    if (fe->kind != Kind::file) return NtStatus::access_denied;
    auto tparent = walk_parent(link);
    if (!tparent) return tparent.status();
    auto te = lookup(tparent->get(), link.name());
    if (!te) return te.status();
    const int fd_from = fparent->get(), fd_to = tparent->get();
    const std::string to_name{link.name()};
    if (te->kind == Kind::missing) {
      if (::linkat(fd_from, fe->name.c_str(), fd_to, to_name.c_str(), 0) != 0) return last_error();
      return {};
    }
    if (!replace) return NtStatus::object_name_collision;
    if (te->kind != Kind::file) return NtStatus::access_denied;
    struct stat a {}, b {};
    if (::fstatat(fd_from, fe->name.c_str(), &a, AT_SYMLINK_NOFOLLOW) == 0 &&
        ::fstatat(fd_to, te->name.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
      return {};  // already a name of this file
    // linkat(2) cannot replace: link under a temporary name, then rename it over the target, so
    // the target's name never goes missing.
    static std::atomic<std::uint64_t> seq{0};
    const std::string tmp = ".smbsrv-link-" + std::to_string(::getpid()) + "-" + std::to_string(++seq);
    if (::linkat(fd_from, fe->name.c_str(), fd_to, tmp.c_str(), 0) != 0) return last_error();
    if (::renameat(fd_to, tmp.c_str(), fd_to, te->name.c_str()) != 0) {
      const auto err = last_error();
      (void)::unlinkat(fd_to, tmp.c_str(), 0);
      return err;
    }
    if (te->name != to_name) return rename_noreplace(fd_to, te->name, fd_to, to_name);  // the client's spelling
    return {};
  }

  Result<FsInfo> fs_info() override {
    struct statvfs sv {};
    if (::fstatvfs(root_.get(), &sv) != 0) return last_error();
    FsInfo fi;
    const std::uint64_t unit = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
    fi.total_bytes = sv.f_blocks * unit;
    fi.free_bytes = sv.f_bfree * unit;
    fi.available_bytes = sv.f_bavail * unit;
    fi.bytes_per_sector = 512;
    fi.sectors_per_allocation_unit = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, unit / 512));
    fi.serial_number = static_cast<std::uint32_t>(sv.f_fsid);
    fi.max_name_length = 255;
    fi.sparse_files = true;
    fi.hard_links = true;
    fi.extended_attributes = fi.persistent_acls = true;  // "user." xattrs (local_ea.hpp, local_security.hpp)
    struct statx st {};
    if (do_statx(root_.get(), "", AT_EMPTY_PATH, st) == 0) fi.created = info_from_statx(st).creation;
    return fi;
  }

 private:
  Result<Opened> open_existing(int dirfd, const char* name, Kind kind, const OpenParams& params,
                               bool truncating) {
    const auto disp = params.disposition;
    if (disp == CreateDisposition::create) return NtStatus::object_name_collision;
    if (kind == Kind::other) return NtStatus::access_denied;
    if (kind == Kind::directory) {
      if (params.non_directory || truncating) return NtStatus::file_is_a_directory;
      Fd fd{open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY)};
      if (!fd) return last_error();
      return Opened{std::make_unique<LocalFile>(std::move(fd), true, params.write, !opt_.read_only),
                    CreateAction::opened};
    }
    if (params.directory) return NtStatus::not_a_directory;
    if (opt_.read_only && truncating) return NtStatus::access_denied;
    int flags = (params.write || truncating) ? O_RDWR : O_RDONLY;
    if (truncating) flags |= O_TRUNC;
    Fd fd{open_beneath(dirfd, name, flags | O_NONBLOCK | O_NOCTTY)};
    if (!fd) return errno == ENOENT ? NtStatus::object_name_not_found : last_error();
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return last_error();
    if (!S_ISREG(st.st_mode)) return NtStatus::access_denied;  // swapped underneath us
    CreateAction action = CreateAction::opened;
    if (disp == CreateDisposition::supersede) action = CreateAction::superseded;
    else if (truncating) action = CreateAction::overwritten;
    return Opened{std::make_unique<LocalFile>(std::move(fd), false, params.write, !opt_.read_only), action};
  }

  /// Opens (O_PATH) the directory containing the last component of a non-root path.
  Result<Fd> walk_parent(const SmbPath& path) const {
    Fd cur{::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0)};
    if (!cur) return last_error();
    const auto& comps = path.components();
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
      auto e = lookup(cur.get(), comps[i]);
      if (!e) return e.status() == NtStatus::object_name_not_found ? NtStatus::object_path_not_found
                                                                   : e.status();
      switch (e->kind) {
        case Kind::missing:
        case Kind::file: return NtStatus::object_path_not_found;
        case Kind::other: return NtStatus::access_denied;
        case Kind::directory: break;
      }
      Fd next{open_beneath(cur.get(), e->name.c_str(), O_PATH | O_DIRECTORY)};
      if (!next) {
        if (errno == ENOENT || errno == ENOTDIR) return NtStatus::object_path_not_found;
        return last_error();
      }
      cur = std::move(next);
    }
    return cur;
  }

  /// Finds `name` in dirfd: exactly, or (case-insensitive shares) by upcase comparison.
  Result<Entry> lookup(int dirfd, std::string_view name) const {
    Entry e;
    e.name = std::string{name};
    struct stat st {};
    if (::fstatat(dirfd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      e.kind = kind_of(st.st_mode);
      return e;
    }
    if (errno != ENOENT) return errno == ENOTDIR ? NtStatus::object_path_not_found : last_error();
    if (opt_.case_sensitive) return e;
    const std::string want = upcase_utf8(name);
    struct stat dir {};
    const bool have_dir = ::fstat(dirfd, &dir) == 0;
    if (have_dir) {
      while (auto hit = names_->find(dir, want)) {
        if (hit->name.empty()) return e;
        if (::fstatat(dirfd, hit->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
          e.kind = kind_of(st.st_mode);
          e.name = std::move(hit->name);
          return e;
        }
        if (errno != ENOENT) return last_error();
        if (!names_->forget(dir, want, hit->name, hit->seq)) break;  // changed meanwhile: scan
      }
    }
    g_lookup_scans.fetch_add(1, std::memory_order_relaxed);
    auto names = read_names(dirfd);
    if (!names) return names.status();
    const std::string* best = nullptr;
    for (const auto& n : *names)  // the smallest match, so the choice is stable
      if (iequal_names(n, want) && (best == nullptr || n < *best)) best = &n;
    if (have_dir) names_->maybe_index(dirfd, dir, names->size());
    if (best == nullptr) return e;
    if (::fstatat(dirfd, best->c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return errno == ENOENT ? Result<Entry>{e} : Result<Entry>{last_error()};
    e.kind = kind_of(st.st_mode);
    e.name = *best;
    return e;
  }

  static bool same_dir(int a, int b) noexcept {
    struct stat sa {}, sb {};
    return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
  }

  static Result<void> rename_noreplace(int fd_from, const std::string& from, int fd_to,
                                       const std::string& to) {
    if (::renameat2(fd_from, from.c_str(), fd_to, to.c_str(), RENAME_NOREPLACE) == 0) return {};
    if (errno != EINVAL && errno != ENOSYS) return last_error();
    // The file system may not support RENAME_NOREPLACE: check, then rename (racy but bounded to
    // the two fds, so it cannot escape the share).
    struct stat st {};
    if (::fstatat(fd_to, to.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && from != to)
      return NtStatus::object_name_collision;
    if (::renameat(fd_from, from.c_str(), fd_to, to.c_str()) != 0) return last_error();
    return {};
  }

  Fd root_;
  LocalVfsOptions opt_;
  std::unique_ptr<detail::NameCache> names_;  // case-insensitive shares only
};

}  // namespace

namespace detail {
void local_vfs_use_openat2(bool enabled) noexcept { g_openat2_enabled.store(enabled); }
bool local_vfs_openat2_active() noexcept {
  return g_openat2_enabled.load() && !g_openat2_unavailable.load();
}
std::uint64_t local_vfs_lookup_scans() noexcept { return g_lookup_scans.load(); }
}  // namespace detail

std::shared_ptr<Vfs> make_local_vfs(const std::filesystem::path& root, LocalVfsOptions options) {
  Fd fd{::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (!fd) throw std::system_error(errno, std::generic_category(), "make_local_vfs: " + root.string());
  return std::make_shared<LocalVfs>(std::move(fd), options);
}

}  // namespace smbsrv
