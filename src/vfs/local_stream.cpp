// Named streams of the local backend in extended attributes (see local_stream.hpp).
#include "vfs/local_stream.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "util/upcase.hpp"
#include "vfs/local_ea.hpp"
#include "vfs/local_vfs_internal.hpp"

namespace smbsrv::detail {
namespace {

constexpr std::string_view kPrefix = "user.DosStream.";
constexpr std::string_view kSuffix = ":$DATA";
constexpr std::size_t kMaxXattrName = 255;  // XATTR_NAME_MAX
constexpr std::uint64_t kStreamAllocationUnit = 4096;

/// The stream name inside xattr name `key`; empty when `key` holds no stream.
std::string_view stream_name_of(std::string_view key) {
  if (key.size() <= kPrefix.size() + kSuffix.size() || !key.starts_with(kPrefix) || !key.ends_with(kSuffix))
    return {};
  return key.substr(kPrefix.size(), key.size() - kPrefix.size() - kSuffix.size());
}

/// Stream data size of an xattr value of `value_size` bytes: the trailing NUL is not data. As
/// smbd does, the last byte is dropped even when it is not a NUL.
std::uint64_t data_size(std::size_t value_size) { return value_size == 0 ? 0 : value_size - 1; }

std::uint64_t allocation_of(std::uint64_t size) {
  return (size + kStreamAllocationUnit - 1) / kStreamAllocationUnit * kStreamAllocationUnit;
}


class LocalStream;

// Every open stream of this process, by inode: rename_stream() moves the open handles of the
// renamed stream to the new name (a handle names a stream, not an xattr). The mutex also
// serialises the read-modify-write of stream data, so writes through two handles of one stream
// never lose each other's bytes; streams are at most 64 KiB, so holding it across one xattr
// call is short. (A writer outside this process, smbd say, is not serialised with us.)
std::mutex g_mu;
std::unordered_multimap<ino_t, LocalStream*> g_open;  // guarded by g_mu

/// The whole xattr value of `key` (data + trailing NUL); empty when the stream is gone.
Result<std::vector<std::uint8_t>> load(int fd, const std::string& key) {
  auto v = read_xattr(fd, key);
  if (!v) return v.status();
  return *v ? std::move(**v) : std::vector<std::uint8_t>{};
}

Result<void> store(int fd, const std::string& key, std::span<const std::uint8_t> value, int flags = 0) {
  if (::fsetxattr(fd, key.c_str(), value.data(), value.size(), flags) != 0) return stream_store_error(errno);
  return {};
}

class LocalStream final : public VfsFile {
 public:
  LocalStream(std::unique_ptr<VfsFile> base, std::string key, bool writable)
      : base_(std::move(base)), fd_(local_file_fd(*base_)), key_(std::move(key)), writable_(writable) {
    struct stat st {};
    if (::fstat(fd_, &st) == 0) {
      dev_ = st.st_dev;
      ino_ = st.st_ino;
    }
    std::lock_guard lk(g_mu);
    g_open.emplace(ino_, this);
  }
  ~LocalStream() override {
    std::lock_guard lk(g_mu);
    auto [b, e] = g_open.equal_range(ino_);
    for (auto it = b; it != e; ++it)
      if (it->second == this) {
        g_open.erase(it);
        break;
      }
  }
  LocalStream(const LocalStream&) = delete;
  LocalStream& operator=(const LocalStream&) = delete;

  /// rename_stream() of this inode from xattr `from` to `to` (g_mu held).
  static void renamed(dev_t dev, ino_t ino, const std::string& from, const std::string& to) {
    auto [b, e] = g_open.equal_range(ino);
    for (auto it = b; it != e; ++it)
      if (it->second->dev_ == dev && it->second->key_ == from) it->second->key_ = to;
  }

  // Data: every call reads the value afresh, so each handle sees what the others wrote.
  Result<std::size_t> read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    std::unique_lock lk(g_mu);
    auto v = load(fd_, key_);
    lk.unlock();
    if (!v) return v.status();
    const std::uint64_t size = data_size(v->size());
    if (offset >= size) return std::size_t{0};
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size - offset));
    std::memcpy(out.data(), v->data() + offset, n);
    return n;
  }

  Result<std::size_t> write(std::uint64_t offset, std::span<const std::uint8_t> in) override {
    if (!writable_) return NtStatus::access_denied;
    if (in.empty()) return std::size_t{0};
    // Refused before the file system is asked: no xattr value may exceed 64 KiB.
    if (offset > kMaxLocalStreamSize || in.size() > kMaxLocalStreamSize - offset) return NtStatus::disk_full;
    std::lock_guard lk(g_mu);
    auto v = load(fd_, key_);
    if (!v) return v.status();
    const auto old_size = static_cast<std::size_t>(data_size(v->size()));
    const auto new_size = std::max(old_size, static_cast<std::size_t>(offset) + in.size());
    v->resize(new_size + 1, 0);  // zero-fills a gap, and room for the trailing NUL
    if (new_size > old_size) (*v)[old_size] = 0;  // the old trailing byte is now data: a zero
    (*v)[new_size] = 0;
    std::memcpy(v->data() + offset, in.data(), in.size());
    if (auto r = store(fd_, key_, *v); !r) return r.status();  // all or nothing: one setxattr
    return in.size();
  }

  Result<void> truncate(std::uint64_t size) override {
    if (!writable_) return NtStatus::access_denied;
    if (size > kMaxLocalStreamSize) return NtStatus::disk_full;
    std::lock_guard lk(g_mu);
    auto v = load(fd_, key_);
    if (!v) return v.status();
    const auto old_size = static_cast<std::size_t>(data_size(v->size()));
    const auto new_size = static_cast<std::size_t>(size);
    if (new_size == old_size && !v->empty()) return {};
    v->resize(new_size + 1, 0);
    if (new_size > old_size) (*v)[old_size] = 0;
    (*v)[new_size] = 0;
    return store(fd_, key_, *v);
  }

  Result<FileInfo> stat() override {
    auto fi = base_->stat();
    if (!fi) return fi;
    std::unique_lock lk(g_mu);
    const ssize_t n = ::fgetxattr(fd_, key_.c_str(), nullptr, 0);
    lk.unlock();
    if (n < 0 && errno != ENODATA) return last_error();
    fi->size = n < 0 ? 0 : data_size(static_cast<std::size_t>(n));
    fi->allocation_size = allocation_of(fi->size);
    // A stream of a directory: the directory's attributes, and DIRECTORY among them, as the base
    // reports it (is_directory describes the open, which is of a data stream).
    if (fi->is_directory) fi->attributes |= kAttrDirectory;
    fi->is_directory = false;
    return fi;
  }

  // Times, attributes and EAs belong to the file, not to one of its streams.
  Result<void> set_times(const FileTimes& times) override { return base_->set_times(times); }
  Result<void> set_attributes(std::uint32_t attributes) override { return base_->set_attributes(attributes); }
  Result<std::vector<ExtendedAttribute>> list_eas() override { return base_->list_eas(); }
  Result<void> set_eas(std::span<const ExtendedAttribute> changes) override { return base_->set_eas(changes); }
  Result<void> flush() override { return base_->flush(); }
  Result<void> set_allocation(std::uint64_t) override { return {}; }  // an xattr has no preallocation
  Result<std::vector<DirEntry>> list() override { return NtStatus::not_a_directory; }

 private:
  std::unique_ptr<VfsFile> base_;
  int fd_;           // base_'s descriptor
  std::string key_;  // guarded by g_mu (rename_stream changes it)
  bool writable_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace

NtStatus stream_store_error(int err) {
  switch (err) {
    case E2BIG: case ENOSPC: case ERANGE: case EDQUOT: case EFBIG: return NtStatus::disk_full;
    case EPERM: case EACCES: case EROFS: return NtStatus::access_denied;
    case ENOTSUP: return NtStatus::not_supported;
    default: return from_errno(err);
  }
}

bool valid_local_stream_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxXattrName - kPrefix.size() - kSuffix.size()) return false;
  return name.find_first_of(std::string_view{"/\\:\0", 4}) == std::string_view::npos;
}

bool local_user_xattrs(int fd) {
  if (::fgetxattr(fd, "user.smbsrv.probe", nullptr, 0) >= 0) return true;
  return errno != ENOTSUP && errno != EBADF;
}

std::string local_stream_key(std::string_view name) {
  std::string key{kPrefix};
  key += name;
  key += kSuffix;
  return key;
}

Result<std::optional<std::string>> find_local_stream(int fd, std::string_view name, bool case_sensitive) {
  std::string exact = local_stream_key(name);
  if (::fgetxattr(fd, exact.c_str(), nullptr, 0) >= 0) return std::optional<std::string>{std::move(exact)};
  if (errno != ENODATA && errno != ENOTSUP) return last_error();
  if (case_sensitive) return std::optional<std::string>{};
  auto names = list_xattr_names(fd);
  if (!names) return names.status();
  std::optional<std::string> best;
  for (std::size_t pos = 0; pos < names->size();) {
    const std::string_view key{names->data() + pos};  // NUL-terminated by flistxattr
    pos += key.size() + 1;
    const auto n = stream_name_of(key);
    if (!n.empty() && iequal_names(n, name) && (!best || key < *best)) best = std::string{key};
  }
  return best;
}

Result<std::vector<StreamInfo>> list_local_streams(int fd) {
  auto names = list_xattr_names(fd);
  if (!names) return names.status();
  std::vector<StreamInfo> out;
  for (std::size_t pos = 0; pos < names->size();) {
    const std::string key{names->data() + pos};
    pos += key.size() + 1;
    const auto n = stream_name_of(key);
    if (!valid_local_stream_name(n)) continue;  // not a stream, or a name no client could open
    const ssize_t len = ::fgetxattr(fd, key.c_str(), nullptr, 0);
    if (len < 0) {
      if (errno == ENODATA) continue;  // removed meanwhile
      return last_error();
    }
    const std::uint64_t size = data_size(static_cast<std::size_t>(len));
    out.push_back({std::string{n}, size, allocation_of(size)});
  }
  return out;
}

Result<void> create_local_stream(int fd, std::string_view name) {
  if (!valid_local_stream_name(name)) return NtStatus::object_name_invalid;
  static constexpr std::uint8_t kEmpty[1] = {0};  // an empty stream: just the trailing NUL
  if (::fsetxattr(fd, local_stream_key(name).c_str(), kEmpty, sizeof kEmpty, XATTR_CREATE) == 0 || errno == EEXIST)
    return {};
  return stream_store_error(errno);
}

Result<void> remove_local_stream(int fd, const std::string& key) {
  if (::fremovexattr(fd, key.c_str()) == 0) return {};
  return errno == ENODATA ? NtStatus::object_name_not_found : stream_store_error(errno);
}

Result<void> rename_local_stream(int fd, std::string_view from, std::string_view to, bool replace,
                                 bool case_sensitive) {
  if (!valid_local_stream_name(from) || !valid_local_stream_name(to)) return NtStatus::object_name_invalid;
  auto from_key = find_local_stream(fd, from, case_sensitive);
  if (!from_key) return from_key.status();
  if (!*from_key) return NtStatus::object_name_not_found;
  auto to_key = find_local_stream(fd, to, case_sensitive);
  if (!to_key) return to_key.status();
  const std::string new_key = local_stream_key(to);
  if (*to_key && **to_key == **from_key) {
    if (new_key == **from_key) return {};  // renamed to itself
    // Equal up to case: a change of spelling only.
  } else if (*to_key && !replace) {
    return NtStatus::object_name_collision;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return last_error();
  std::lock_guard lk(g_mu);
  auto v = read_xattr(fd, **from_key);
  if (!v) return v.status();
  if (!*v) return NtStatus::object_name_not_found;
  // The new name first, then the old ones go: a failure part way leaves the stream readable.
  if (auto r = store(fd, new_key, **v); !r) return r;
  if (*to_key && **to_key != new_key && **to_key != **from_key) (void)::fremovexattr(fd, (*to_key)->c_str());
  if (**from_key != new_key && ::fremovexattr(fd, (*from_key)->c_str()) != 0 && errno != ENODATA)
    return stream_store_error(errno);
  LocalStream::renamed(st.st_dev, st.st_ino, **from_key, new_key);
  return {};
}

std::unique_ptr<VfsFile> make_local_stream(std::unique_ptr<VfsFile> base, std::string key, bool writable) {
  return std::make_unique<LocalStream>(std::move(base), std::move(key), writable);
}

}  // namespace smbsrv::detail
