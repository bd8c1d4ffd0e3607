// The open file or directory of the local backend, and the helpers the backend's files share
// (see local_vfs_internal.hpp).
#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "codec/ea.hpp"
#include "vfs/dos_record.hpp"
#include "vfs/local_ea.hpp"
#include "vfs/local_security.hpp"
#include "vfs/local_stream.hpp"
#include "vfs/side_stream.hpp"
#include "vfs/local_vfs_internal.hpp"

namespace smbsrv::detail {
namespace {

std::atomic<bool> g_openat2_enabled{true};
std::atomic<bool> g_openat2_unavailable{false};

}  // namespace

NtStatus last_error() noexcept { return from_errno(errno); }

/// Opens `name` (a single component, or ".") relative to dirfd without ever following a symlink
/// or leaving dirfd.
int open_beneath(int dirfd, const char* name, int flags, mode_t mode) noexcept {
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

namespace {
constexpr std::int64_t kUnixEpochSeconds = 11644473600;  // 1601 → 1970

}  // namespace

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

namespace {
FileTime stx_time(const struct statx_timestamp& t) noexcept {
  return to_filetime(t.tv_sec, t.tv_nsec);
}
}  // namespace

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
void apply_dos(FileInfo& fi, const std::optional<DosRecord>& d) {
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

Kind kind_of(mode_t mode) noexcept {
  if (S_ISREG(mode)) return Kind::file;
  if (S_ISDIR(mode)) return Kind::directory;
  return Kind::other;  // symlinks, devices, fifos, sockets: never served
}

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

namespace {

class LocalFile final : public VfsFile {
 public:
  LocalFile(Fd fd, bool is_dir, bool writable, bool meta_writable, std::shared_ptr<const SideStreams> side)
      : fd_(std::move(fd)), dir_(is_dir), writable_(writable), meta_writable_(meta_writable), side_(std::move(side)) {}

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
    apply_dos(fi, read_dos(fd_.get()));
    if (!dir_ && marked_sparse()) fi.attributes |= kAttrSparseFile;
    return fi;
  }

  // Sparse files: Linux has no sparse flag, so FSCTL_SET_SPARSE's state is a user extended
  // attribute of the file (kept across opens, gone with the file). Holes are the file system's
  // own: punched by zero_range() while the file is sparse, found with SEEK_DATA / SEEK_HOLE.
  Result<std::vector<ExtendedAttribute>> list_eas() override { return list_local_eas(fd_.get()); }
  Result<void> set_eas(std::span<const ExtendedAttribute> changes) override {
    if (!meta_writable_) return NtStatus::access_denied;
    if (auto r = set_local_eas(fd_.get(), changes); !r) return r;
    // The new EaSize goes in the DOS record, for listings (DosRecord::ea_size); when it cannot be
    // known or kept, the record says "unknown" and listings ask the file system.
    auto rec = record();
    if (!rec) return {};
    auto eas = list_local_eas(fd_.get());
    const std::uint32_t size = eas ? codec::full_ea_list_size(*eas) : 0xFFFFFFFF;
    rec->ea_size = size <= 0xFFFF ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(size)) : std::nullopt;
    (void)write_dos(fd_.get(), *rec);
    return {};
  }
  Result<std::vector<StreamInfo>> list_streams() override {
    return side_ ? side_->list(fd_.get()) : list_local_streams(fd_.get());
  }
  Result<std::vector<std::uint8_t>> get_security() override { return get_local_security(fd_.get()); }
  Result<void> set_security(std::span<const std::uint8_t> sd) override {
    return meta_writable_ ? set_local_security(fd_.get(), sd) : Result<void>(NtStatus::access_denied);
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
    return write_dos(fd_.get(), *rec);
  }

  Result<void> set_attributes(std::uint32_t attributes) override {
    if (!meta_writable_) return NtStatus::access_denied;
    auto rec = record();
    if (!rec) return rec.status();
    rec->attributes = attributes & kAttrSettable;
    if (auto w = write_dos(fd_.get(), *rec); !w) return w;
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
      if (side_ && side_->is_store(makedev(st.stx_dev_major, st.stx_dev_minor), st.stx_ino)) continue;
      FileInfo fi = info_from_statx(st);
      const auto rec = read_dos(fd_.get(), n.c_str());
      apply_dos(fi, rec);
      // EaSize: kept in the record by set_eas(); else (a file made outside the server, or a
      // record from before) one listing of the entry's xattrs.
      fi.ea_size = rec && rec->ea_size ? *rec->ea_size : local_ea_size_at(fd_.get(), n.c_str());
      out.push_back(DirEntry{std::move(n), fi});
    }
    std::sort(out.begin(), out.end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    return out;
  }

  int fd() const noexcept { return fd_.get(); }

 private:
  static constexpr const char* kSparseXattr = "user.smbsrv.sparse";
  /// The file's DOS record as stored, or as reported when none is (so a first write keeps what
  /// the client saw). Also notes the current LastWriteTime (the anchor of a set ChangeTime).
  Result<DosRecord> record() {
    struct statx st {};
    if (do_statx(fd_.get(), "", AT_EMPTY_PATH, st) != 0) return last_error();
    FileInfo fi = info_from_statx(st);
    rec_last_write_ = fi.last_write;
    if (auto d = read_dos(fd_.get())) return *d;
    apply_dos(fi, std::nullopt);
    return DosRecord{.attributes = fi.attributes & kAttrSettable};
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
  std::shared_ptr<const SideStreams> side_;  // streams in the side store (else xattrs)
};

}  // namespace

std::unique_ptr<VfsFile> make_local_file(Fd fd, bool is_dir, bool writable, bool meta_writable,
                                         std::shared_ptr<const SideStreams> side) {
  return std::make_unique<LocalFile>(std::move(fd), is_dir, writable, meta_writable, std::move(side));
}

int local_file_fd(VfsFile& file) noexcept {
  auto* f = dynamic_cast<LocalFile*>(&file);
  return f ? f->fd() : -1;
}

void local_vfs_use_openat2(bool enabled) noexcept { g_openat2_enabled.store(enabled); }
bool local_vfs_openat2_active() noexcept {
  return g_openat2_enabled.load() && !g_openat2_unavailable.load();
}

}  // namespace smbsrv::detail
