// Named streams of the local backend in a side directory (see side_stream.hpp).
#include "vfs/side_stream.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "util/upcase.hpp"
#include "vfs/local_stream.hpp"

namespace smbsrv::detail {
namespace {

constexpr char kFilePrefix = '=';  // "=." and "=.." for streams named "." and ".."

std::string file_of(std::string_view name) {
  std::string f(1, kFilePrefix);
  f += name;
  return f;
}

std::string_view name_of(std::string_view file) {
  return file.size() > 1 && file[0] == kFilePrefix ? file.substr(1) : std::string_view{};
}

class SideStream final : public VfsFile {
 public:
  SideStream(std::unique_ptr<VfsFile> base, Fd fd, bool writable)
      : base_(std::move(base)), fd_(std::move(fd)), writable_(writable) {}

  Result<std::size_t> read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    const ssize_t n = ::pread(fd_.get(), out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0) return last_error();
    return static_cast<std::size_t>(n);
  }
  Result<std::size_t> write(std::uint64_t offset, std::span<const std::uint8_t> in) override {
    if (!writable_) return NtStatus::access_denied;
    std::size_t done = 0;
    while (done < in.size()) {
      const ssize_t n = ::pwrite(fd_.get(), in.data() + done, in.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return stream_store_error(errno);
      }
      done += static_cast<std::size_t>(n);
    }
    return done;
  }
  Result<void> truncate(std::uint64_t size) override {
    if (!writable_) return NtStatus::access_denied;
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) return stream_store_error(errno);
    return {};
  }
  Result<void> set_allocation(std::uint64_t size) override {
    if (!writable_) return NtStatus::access_denied;
    if (::fallocate(fd_.get(), FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(size)) != 0 && errno != EOPNOTSUPP)
      return stream_store_error(errno);
    return {};
  }
  Result<FileInfo> stat() override {
    auto fi = base_->stat();
    if (!fi) return fi;
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return last_error();
    fi->size = static_cast<std::uint64_t>(st.st_size);
    fi->allocation_size = static_cast<std::uint64_t>(st.st_blocks) * 512;
    // A stream of a directory: the directory's attributes, DIRECTORY among them (as LocalStream).
    if (fi->is_directory) fi->attributes |= kAttrDirectory;
    fi->is_directory = false;
    return fi;
  }
  Result<void> flush() override {
    if (::fsync(fd_.get()) != 0 && errno != EINVAL) return last_error();
    return base_->flush();
  }
  // Times, attributes and EAs belong to the file.
  Result<void> set_times(const FileTimes& times) override { return base_->set_times(times); }
  Result<void> set_attributes(std::uint32_t attributes) override { return base_->set_attributes(attributes); }
  Result<std::vector<ExtendedAttribute>> list_eas() override { return base_->list_eas(); }
  Result<void> set_eas(std::span<const ExtendedAttribute> changes) override { return base_->set_eas(changes); }
  Result<std::vector<DirEntry>> list() override { return NtStatus::not_a_directory; }

 private:
  std::unique_ptr<VfsFile> base_;
  Fd fd_;
  bool writable_;
};

}  // namespace

SideStreams::SideStreams(int root_fd, bool case_sensitive) : case_sensitive_(case_sensitive) {
  const std::string dir{kDirName};
  if (::mkdirat(root_fd, dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::system_error(errno, std::generic_category(), "creating the stream store");
  dir_.reset(open_beneath(root_fd, dir.c_str(), O_RDONLY | O_DIRECTORY));
  if (!dir_) throw std::system_error(errno, std::generic_category(), "opening the stream store");
  struct stat st {};
  if (::fstat(dir_.get(), &st) != 0) throw std::system_error(errno, std::generic_category(), "stream store");
  dev_ = st.st_dev;
  ino_ = st.st_ino;
}

Result<std::string> SideStreams::key_of(int dirfd, const char* name, int flags) const {
  struct statx st {};
  if (do_statx(dirfd, name, flags, st) != 0) return last_error();
  char key[64];
  if (st.stx_mask & STATX_BTIME)
    std::snprintf(key, sizeof key, "%llx-%llx-%x", static_cast<unsigned long long>(st.stx_ino),
                  static_cast<unsigned long long>(st.stx_btime.tv_sec), st.stx_btime.tv_nsec);
  else
    std::snprintf(key, sizeof key, "%llx", static_cast<unsigned long long>(st.stx_ino));
  return std::string{key};
}

Result<Fd> SideStreams::key_dir(int base_fd, bool make) const {
  auto key = key_of(base_fd, "", AT_EMPTY_PATH);
  if (!key) return key.status();
  if (make && ::mkdirat(dir_.get(), key->c_str(), 0700) != 0 && errno != EEXIST) return stream_store_error(errno);
  Fd d{open_beneath(dir_.get(), key->c_str(), O_RDONLY | O_DIRECTORY)};
  if (!d && errno != ENOENT) return last_error();
  return d;
}

Result<std::optional<std::string>> SideStreams::find(int base_fd, std::string_view name) const {
  auto d = key_dir(base_fd, false);
  if (!d) return d.status();
  if (!*d) return std::optional<std::string>{};
  std::string exact = file_of(name);
  struct stat st {};
  if (::fstatat(d->get(), exact.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
    return std::optional<std::string>{std::move(exact)};
  if (errno != ENOENT) return last_error();
  if (case_sensitive_) return std::optional<std::string>{};
  auto names = read_names(d->get());
  if (!names) return names.status();
  std::optional<std::string> best;
  for (auto& f : *names)
    if (const auto n = name_of(f); !n.empty() && iequal_names(n, name) && (!best || f < *best)) best = f;
  return best;
}

Result<std::vector<StreamInfo>> SideStreams::list(int base_fd) const {
  auto d = key_dir(base_fd, false);
  if (!d) return d.status();
  std::vector<StreamInfo> out;
  if (!*d) return out;
  auto names = read_names(d->get());
  if (!names) return names.status();
  for (const auto& f : *names) {
    const auto n = name_of(f);
    if (!valid_local_stream_name(n)) continue;
    struct stat st {};
    if (::fstatat(d->get(), f.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back({std::string{n}, static_cast<std::uint64_t>(st.st_size), static_cast<std::uint64_t>(st.st_blocks) * 512});
  }
  return out;
}

Result<Fd> SideStreams::open(int base_fd, const std::string& file, bool write) const {
  auto d = key_dir(base_fd, false);
  if (!d) return d.status();
  if (!*d) return NtStatus::object_name_not_found;
  Fd f{open_beneath(d->get(), file.c_str(), (write ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOCTTY)};
  if (!f) return errno == ENOENT ? NtStatus::object_name_not_found : last_error();
  return f;
}

Result<Fd> SideStreams::create(int base_fd, std::string_view name) const {
  if (!valid_local_stream_name(name)) return NtStatus::object_name_invalid;
  auto d = key_dir(base_fd, true);
  if (!d) return d.status();
  if (!*d) return NtStatus::object_path_not_found;
  Fd f{open_beneath(d->get(), file_of(name).c_str(), O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_NOCTTY, 0600)};
  if (!f) return errno == EEXIST ? NtStatus::object_name_collision : stream_store_error(errno);
  return f;
}

Result<void> SideStreams::remove(int base_fd, const std::string& file) const {
  auto d = key_dir(base_fd, false);
  if (!d) return d.status();
  if (!*d) return NtStatus::object_name_not_found;
  if (::unlinkat(d->get(), file.c_str(), 0) != 0) return errno == ENOENT ? NtStatus::object_name_not_found : stream_store_error(errno);
  if (auto key = key_of(base_fd, "", AT_EMPTY_PATH))
    (void)::unlinkat(dir_.get(), key->c_str(), AT_REMOVEDIR);  // the last stream: ENOTEMPTY otherwise
  return {};
}

Result<void> SideStreams::rename(int base_fd, std::string_view from, std::string_view to, bool replace) const {
  if (!valid_local_stream_name(from) || !valid_local_stream_name(to)) return NtStatus::object_name_invalid;
  auto from_file = find(base_fd, from);
  if (!from_file) return from_file.status();
  if (!*from_file) return NtStatus::object_name_not_found;
  auto to_file = find(base_fd, to);
  if (!to_file) return to_file.status();
  const std::string new_file = file_of(to);
  if (*to_file && **to_file == **from_file) {
    if (new_file == **from_file) return {};  // renamed to itself; else a change of case only
  } else if (*to_file && !replace) {
    return NtStatus::object_name_collision;
  }
  auto d = key_dir(base_fd, false);
  if (!d) return d.status();
  if (!*d) return NtStatus::object_name_not_found;
  // An open handle keeps its descriptor, so it follows the rename.
  if (*to_file && **to_file != new_file && **to_file != **from_file) (void)::unlinkat(d->get(), (*to_file)->c_str(), 0);
  if (::renameat(d->get(), (*from_file)->c_str(), d->get(), new_file.c_str()) != 0) return stream_store_error(errno);
  return {};
}

std::optional<std::string> SideStreams::key_of_name(int dirfd, const char* name) const {
  auto key = key_of(dirfd, name, AT_SYMLINK_NOFOLLOW);
  if (!key) return std::nullopt;
  return std::move(*key);
}

void SideStreams::drop(const std::string& key) const {
  Fd d{open_beneath(dir_.get(), key.c_str(), O_RDONLY | O_DIRECTORY)};
  if (!d) return;
  if (auto names = read_names(d.get()))
    for (const auto& f : *names) (void)::unlinkat(d.get(), f.c_str(), 0);
  (void)::unlinkat(dir_.get(), key.c_str(), AT_REMOVEDIR);
}

std::unique_ptr<VfsFile> make_side_stream(std::unique_ptr<VfsFile> base, Fd fd, bool writable) {
  return std::make_unique<SideStream>(std::move(base), std::move(fd), writable);
}

}  // namespace smbsrv::detail
