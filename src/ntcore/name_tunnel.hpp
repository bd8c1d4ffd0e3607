// NTFS file name tunneling: for 15 seconds (its default MaximumTunnelEntryAgeInSeconds) after a
// long name leaves a directory, a file created there under that name's short name gets the long
// name back. Applications that save by writing a temporary file, deleting the original and
// renaming the temporary to its 8.3 name rely on it, and so does smbtorture smb2.mangle (it
// deletes a file, recreates it by its short name, then deletes it by its long name). Only shares
// with short names feed and consult it (engine/short_names.hpp). In memory, bounded, one per
// server (in the NT core, with the server's clock), entries keyed by the share's backend.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "smbsrv/path.hpp"
#include "smbsrv/vfs.hpp"

namespace smbsrv::nt {

class NameTunnel {
 public:
  /// `clock` returns the current time as FILETIME; it must outlive the tunnel.
  explicit NameTunnel(const std::function<std::uint64_t()>& clock) : clock_(clock) {}
  /// `removed`, a name that is not its own short name, left its directory on `vfs`.
  void removed(const Vfs& vfs, const SmbPath& removed);
  /// The long name remembered for `short_name` in `dir` on `vfs`, if any.
  std::optional<std::string> recall(const Vfs& vfs, const SmbPath& dir, std::string_view short_name);

  static constexpr std::uint64_t kAge = 15ULL * 10'000'000;  // FILETIME ticks
  static constexpr std::size_t kEntries = 1024;

 private:
  struct Entry {
    const Vfs* vfs;
    std::string dir;         // SmbPath::to_string() of the directory
    std::string short_name;  // upper case
    std::string long_name;
    std::uint64_t when;
  };
  const std::function<std::uint64_t()>& clock_;
  std::mutex mu_;  // a leaf lock
  std::deque<Entry> entries_;  // oldest first
};

}  // namespace smbsrv::nt
