// What the handlers tell the NT core about the changes they make, for CHANGE_NOTIFY watchers
// (MS-FSA 2.1.4.1/2.1.5.10 as the object store reports them; the core matches them against
// each watch). Called from jobs, after the backend call succeeded, with no NT-core lock held.
#pragma once

#include "codec/messages.hpp"
#include "ntcore/nt_core.hpp"

namespace smbsrv::engine {

/// FILE_NOTIFY_CHANGE_FILE_NAME or _DIR_NAME, by what was named.
inline std::uint32_t name_filter(bool is_directory) {
  return is_directory ? codec::kNotifyDirName : codec::kNotifyFileName;
}

/// `path` was created (ADDED) or removed (REMOVED).
inline void report_name(nt::NtCore& nt, const Vfs* vfs, const SmbPath& path, std::uint32_t action, bool is_directory) {
  const nt::NtCore::Change c{path, action, name_filter(is_directory)};
  nt.report(vfs, std::span(&c, 1));
}

/// The named stream `stream` of `path` was created (ADDED_STREAM) or removed (REMOVED_STREAM).
inline void report_stream(nt::NtCore& nt, const Vfs* vfs, const SmbPath& path, const std::string& stream,
                          std::uint32_t action) {
  const nt::NtCore::Change c{path, action, codec::kNotifyStreamName, stream};
  nt.report(vfs, std::span(&c, 1));
}

/// A rename: OLD_NAME then NEW_NAME within one directory; REMOVED then ADDED across
/// directories (each watcher sees the one it watches; one that watches both sees both).
inline void report_rename(nt::NtCore& nt, const Vfs* vfs, const SmbPath& from, const SmbPath& to, bool is_directory) {
  const std::uint32_t f = name_filter(is_directory);
  const bool same_dir = from.parent() == to.parent();
  const nt::NtCore::Change c[2] = {{from, same_dir ? codec::kActionRenamedOld : codec::kActionRemoved, f},
                                   {to, same_dir ? codec::kActionRenamedNew : codec::kActionAdded, f}};
  nt.report(vfs, c);
}

}  // namespace smbsrv::engine
