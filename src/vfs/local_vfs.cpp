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

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "util/upcase.hpp"
#include "vfs/dos_record.hpp"
#include "vfs/local_stream.hpp"
#include "vfs/side_stream.hpp"
#include "vfs/local_vfs_internal.hpp"
#include "vfs/local_watch.hpp"
#include "vfs/name_cache.hpp"

namespace smbsrv {
namespace {

using detail::Fd;
using detail::Kind;
using detail::do_statx;
using detail::info_from_statx;
using detail::kind_of;
using detail::last_error;
using detail::open_beneath;
using detail::read_names;

std::atomic<std::uint64_t> g_lookup_scans{0};  // test hook: directory scans made by lookup

struct Entry {
  Kind kind = Kind::missing;
  std::string name;  // the on-disk spelling (the requested one when missing)
};

class LocalVfs final : public Vfs, public std::enable_shared_from_this<LocalVfs> {
 public:
  LocalVfs(Fd root, LocalVfsOptions options) : root_(std::move(root)), opt_(options) {
    // Exact names need no scan: only case-insensitive shares get the index.
    if (!opt_.case_sensitive) names_ = std::make_unique<detail::NameCache>(&read_names);
    // Named streams live in user xattrs: probed once here, so fs_info() stays a statvfs.
    if (Fd d{open_beneath(root_.get(), ".", O_RDONLY | O_DIRECTORY)}) xattrs_ = detail::local_user_xattrs(d.get());
    if (opt_.streams == LocalVfsOptions::StreamStore::side_directory && !opt_.read_only)
      side_ = std::make_shared<detail::SideStreams>(root_.get(), opt_.case_sensitive);
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
    // A create (and the DOS record written with it) is the server's own change.
    const auto mark = disp == CreateDisposition::open ? detail::HostWatcher::Own{} : own(path);

    auto parent = walk_parent(path);
    if (!parent) return parent.status();
    auto e = lookup(parent->get(), path.name());
    if (!e) return e.status();
    if (e->kind != Kind::missing)
      return open_existing(parent->get(), e->name.c_str(), e->kind, params, truncating);

    if (disp == CreateDisposition::open || disp == CreateDisposition::overwrite)
      return NtStatus::object_name_not_found;
    if (opt_.read_only) return NtStatus::access_denied;
    // Another open (another client) may make the name between the lookup and here: a CREATE
    // that may also open (OPEN_IF, OVERWRITE_IF, SUPERSEDE) then opens what it made, as two
    // "mkdir -p" of one directory expect (smbtorture smb2.create.mkdir-dup).
    const auto raced = [&]() -> Result<Opened> {
      const int err = errno;
      if (err != EEXIST || disp == CreateDisposition::create) return from_errno(err);
      auto again = lookup(parent->get(), path.name());
      if (!again) return again.status();
      if (again->kind == Kind::missing) return NtStatus::object_name_collision;
      return open_existing(parent->get(), again->name.c_str(), again->kind, params, truncating);
    };
    Fd fd;
    if (params.directory) {
      if (::mkdirat(parent->get(), e->name.c_str(), 0777) != 0) return raced();
      fd.reset(open_beneath(parent->get(), e->name.c_str(), O_RDONLY | O_DIRECTORY));
      if (!fd) return last_error();
    } else {
      fd.reset(open_beneath(parent->get(), e->name.c_str(),
                            O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_NOCTTY, 0666));
      if (!fd) return raced();
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
                                         .creation = info_from_statx(stx).creation, .ea_size = 0});
    return Opened{detail::make_local_file(std::move(fd), params.directory, params.write, !opt_.read_only, side_),
                  CreateAction::created};
  }

  Result<void> remove(const SmbPath& path) override {
    const auto mark = own(path);
    if (opt_.read_only) return NtStatus::access_denied;
    if (path.is_root()) return NtStatus::access_denied;
    auto parent = walk_parent(path);
    if (!parent) return parent.status();
    auto e = lookup(parent->get(), path.name());
    if (!e) return e.status();
    switch (e->kind) {
      case Kind::missing: return NtStatus::object_name_not_found;
      case Kind::other: return NtStatus::access_denied;
      case Kind::directory: {
        // The store key (inode, birth time) is read before the name goes.
        const auto streams = side_key(parent->get(), e->name.c_str(), true);
        if (::unlinkat(parent->get(), e->name.c_str(), AT_REMOVEDIR) != 0)
          return errno == EEXIST ? NtStatus::directory_not_empty : last_error();
        drop_side(streams);
        return {};
      }
      case Kind::file: {
        const auto streams = side_key(parent->get(), e->name.c_str(), false);
        if (::unlinkat(parent->get(), e->name.c_str(), 0) != 0) return last_error();
        drop_side(streams);
        return {};
      }
    }
    return NtStatus::internal_error;
  }

  Result<void> rename(const SmbPath& from, const SmbPath& to, bool replace) override {
    const auto mark_from = own(from), mark_to = own(to);
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
      drop_side(side_key(fd_to, te->name.c_str(), false));  // the replaced file's streams
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
    const auto mark_existing = own(existing), mark_link = own(link);
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

  // Named streams (vfs/local_stream.hpp): xattrs of the base file, which open() finds or creates.
  // Without user xattrs they answer as the defaults of a backend without streams.
  Result<Opened> open_stream(const SmbPath& path, std::string_view stream, const OpenParams& params) override {
    const auto mark = own(path);  // streams are xattrs: the base file's IN_ATTRIB
    if (!(xattrs_ || side_) || !detail::valid_local_stream_name(stream)) return NtStatus::object_name_invalid;
    const auto disp = params.disposition;
    if (disp != CreateDisposition::open && disp != CreateDisposition::create && disp != CreateDisposition::open_if)
      return NtStatus::invalid_parameter;
    if (params.directory) return NtStatus::invalid_parameter;
    if (opt_.read_only && (params.write || disp == CreateDisposition::create)) return NtStatus::access_denied;
    // The base: opened for its xattrs only (fsetxattr needs no write access to the descriptor);
    // created as open() would create it when the stream is to be created.
    const OpenParams base_params{.read = true, .write = false,
                                 .disposition = disp == CreateDisposition::open || opt_.read_only
                                                    ? CreateDisposition::open : CreateDisposition::open_if,
                                 .attributes = params.attributes};
    auto base = open(path, base_params);
    if (!base) return base.status();
    const bool base_created = base->action == CreateAction::created;
    auto made = open_stream_of(std::move(base->file), stream, params);
    if (!made && base_created) (void)remove(path);  // no half-made file is left behind
    return made;
  }

  Result<void> remove_stream(const SmbPath& path, std::string_view stream) override {
    const auto mark = own(path);
    if (!(xattrs_ || side_)) return NtStatus::not_supported;
    if (opt_.read_only) return NtStatus::access_denied;
    if (!detail::valid_local_stream_name(stream)) return NtStatus::object_name_invalid;
    auto base = open(path, OpenParams{});
    if (!base) return base.status();
    const int fd = detail::local_file_fd(*base->file);
    if (side_) {
      auto file = side_->find(fd, stream);
      if (!file) return file.status();
      if (!*file) return NtStatus::object_name_not_found;
      return side_->remove(fd, **file);
    }
    auto key = detail::find_local_stream(fd, stream, opt_.case_sensitive);
    if (!key) return key.status();
    if (!*key) return NtStatus::object_name_not_found;
    return detail::remove_local_stream(fd, **key);
  }

  Result<void> rename_stream(const SmbPath& path, std::string_view from, std::string_view to, bool replace) override {
    const auto mark = own(path);
    if (!(xattrs_ || side_)) return NtStatus::not_supported;
    if (opt_.read_only) return NtStatus::access_denied;
    if (!detail::valid_local_stream_name(from) || !detail::valid_local_stream_name(to))
      return NtStatus::object_name_invalid;
    auto base = open(path, OpenParams{});
    if (!base) return base.status();
    if (side_) return side_->rename(detail::local_file_fd(*base->file), from, to, replace);
    return detail::rename_local_stream(detail::local_file_fd(*base->file), from, to, replace, opt_.case_sensitive);
  }

  // Changes other processes make (local_watch.hpp). The watcher and its thread start with the
  // first watch; LocalVfs's own changes are marked (own()) so that their events are not told.
  std::unique_ptr<VfsWatch> watch(const SmbPath& dir, bool recursive, VfsWatchCallback cb) override {
    std::shared_ptr<detail::HostWatcher> w;
    {
      std::lock_guard lk(watch_mu_);
      if (!watcher_) {
        std::weak_ptr<LocalVfs> self = weak_from_this();
        watcher_ = detail::HostWatcher::create(
            [self](const SmbPath& p) {
              auto v = self.lock();
              if (!v) return Fd{};
              auto o = v->open(p, OpenParams{.read = true, .directory = true});
              if (!o) return Fd{};
              return Fd{::fcntl(detail::local_file_fd(*o->file), F_DUPFD_CLOEXEC, 0)};
            },
            opt_.case_sensitive);
        watcher_ptr_.store(watcher_.get(), std::memory_order_release);
      }
      w = watcher_;
    }
    if (!w) return nullptr;
    return w->watch(dir, recursive, std::move(cb));
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
    fi.named_streams = xattrs_ || side_;  // xattrs (local_stream.hpp) or the side store (side_stream.hpp)
    struct statx st {};
    if (do_statx(root_.get(), "", AT_EMPTY_PATH, st) == 0) fi.created = info_from_statx(st).creation;
    return fi;
  }

 private:
  /// The stream `stream` of the open file `base`, found or created per params.disposition.
  Result<Opened> open_stream_of(std::unique_ptr<VfsFile> base, std::string_view stream, const OpenParams& params) {
    const int fd = detail::local_file_fd(*base);
    if (fd < 0) return NtStatus::internal_error;
    if (side_) return open_side_stream(std::move(base), fd, stream, params);
    auto key = detail::find_local_stream(fd, stream, opt_.case_sensitive);
    if (!key) return key.status();
    CreateAction action = CreateAction::opened;
    if (*key) {
      if (params.disposition == CreateDisposition::create) return NtStatus::object_name_collision;
    } else {
      if (params.disposition == CreateDisposition::open) return NtStatus::object_name_not_found;
      if (opt_.read_only) return NtStatus::access_denied;
      if (auto r = detail::create_local_stream(fd, stream); !r) return r.status();
      *key = detail::local_stream_key(stream);
      action = CreateAction::created;
    }
    return Opened{detail::make_local_stream(std::move(base), std::move(**key), params.write && !opt_.read_only),
                  action};
  }

  /// open_stream_of() with the side store.
  Result<Opened> open_side_stream(std::unique_ptr<VfsFile> base, int fd, std::string_view stream,
                                  const OpenParams& params) {
    const bool write = params.write && !opt_.read_only;
    auto file = side_->find(fd, stream);
    if (!file) return file.status();
    if (*file) {
      if (params.disposition == CreateDisposition::create) return NtStatus::object_name_collision;
      auto f = side_->open(fd, **file, write);
      if (!f) return f.status();
      return Opened{detail::make_side_stream(std::move(base), std::move(*f), write), CreateAction::opened};
    }
    if (params.disposition == CreateDisposition::open) return NtStatus::object_name_not_found;
    if (opt_.read_only) return NtStatus::access_denied;
    auto f = side_->create(fd, stream);
    if (!f && f.status() == NtStatus::object_name_collision && params.disposition == CreateDisposition::open_if) {
      // Made meanwhile by another open: open what it made.
      return open_side_stream(std::move(base), fd, stream, OpenParams{.read = params.read, .write = params.write,
                                                                      .disposition = CreateDisposition::open});
    }
    if (!f) return f.status();
    return Opened{detail::make_side_stream(std::move(base), std::move(*f), write), CreateAction::created};
  }

  /// The side store's key of `name` in `dirfd` when its streams go with this name: read before
  /// the name goes (nullopt: no side store, or another name of the file remains).
  std::optional<std::string> side_key(int dirfd, const char* name, bool is_dir) const {
    if (!side_) return std::nullopt;
    struct stat st {};
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
    if (!is_dir && st.st_nlink > 1) return std::nullopt;
    return side_->key_of_name(dirfd, name);
  }
  void drop_side(const std::optional<std::string>& key) const {
    if (key) side_->drop(*key);
  }

  Result<Opened> open_existing(int dirfd, const char* name, Kind kind, const OpenParams& params,
                               bool truncating) {
    const auto disp = params.disposition;
    if (disp == CreateDisposition::create) return NtStatus::object_name_collision;
    if (kind == Kind::other) return NtStatus::access_denied;
    if (kind == Kind::directory) {
      if (params.non_directory || truncating) return NtStatus::file_is_a_directory;
      Fd fd{open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY)};
      if (!fd) return last_error();
      return Opened{detail::make_local_file(std::move(fd), true, params.write, !opt_.read_only, side_),
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
    return Opened{detail::make_local_file(std::move(fd), false, params.write, !opt_.read_only, side_), action};
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

  /// lookup_any(), except that the side store's directory is no entry a client may open.
  Result<Entry> lookup(int dirfd, std::string_view name) const {
    auto e = lookup_any(dirfd, name);
    if (e && side_ && e->kind == Kind::directory && iequal_names(e->name, detail::SideStreams::kDirName)) {
      struct stat st {};
      if (::fstatat(dirfd, e->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && side_->is_store(st.st_dev, st.st_ino))
        e->kind = Kind::other;
    }
    return e;
  }

  /// Finds `name` in dirfd: exactly, or (case-insensitive shares) by upcase comparison.
  Result<Entry> lookup_any(int dirfd, std::string_view name) const {
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

  /// Marks `path` as changed by the server for the host watches (nothing while there are none).
  detail::HostWatcher::Own own(const SmbPath& path) {
    auto* w = watcher_ptr_.load(std::memory_order_acquire);
    return w ? w->own(path) : detail::HostWatcher::Own{};
  }

  std::mutex watch_mu_;
  std::shared_ptr<detail::HostWatcher> watcher_;
  std::atomic<detail::HostWatcher*> watcher_ptr_{nullptr};
  Fd root_;
  LocalVfsOptions opt_;
  std::unique_ptr<detail::NameCache> names_;  // case-insensitive shares only
  bool xattrs_ = false;  // the share's file system keeps user xattrs
  std::shared_ptr<const detail::SideStreams> side_;  // LocalVfsOptions::StreamStore::side_directory
};

}  // namespace

namespace detail {
std::uint64_t local_vfs_lookup_scans() noexcept { return g_lookup_scans.load(); }
}  // namespace detail
std::shared_ptr<Vfs> make_local_vfs(const std::filesystem::path& root, LocalVfsOptions options) {
  Fd fd{::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (!fd) throw std::system_error(errno, std::generic_category(), "make_local_vfs: " + root.string());
  return std::make_shared<LocalVfs>(std::move(fd), options);
}

}  // namespace smbsrv
