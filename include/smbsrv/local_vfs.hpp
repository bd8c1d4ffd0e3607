// File: smbsrv/local_vfs.hpp
// A Vfs over a local directory. Nothing outside `root` is ever reachable: every path is walked
// component by component with openat(O_NOFOLLOW), so "..", absolute paths and symlinks that lead
// out of the share all fail (symlinks are not followed at all).
//
// DOS attributes (HIDDEN, SYSTEM, ...) and a client-set CreationTime / ChangeTime are kept in the
// extended attribute "user.smbsrv.dos" of each file (docs/DESIGN.md, "DOS attributes and times");
// READONLY is also the mode bits. On a file system without user xattrs they are not kept.
//
//   auto vfs = smbsrv::make_local_vfs("/srv/docs");
#pragma once

#include <filesystem>
#include <memory>

#include "smbsrv/vfs.hpp"

namespace smbsrv {

struct LocalVfsOptions {
  bool read_only = false;
  /// false (the default, as Windows clients assume): names match case-insensitively and keep
  /// the case they were created with.
  bool case_sensitive = false;
};

/// Throws std::system_error when root cannot be opened as a directory.
std::shared_ptr<Vfs> make_local_vfs(const std::filesystem::path& root, LocalVfsOptions options = {});

}  // namespace smbsrv
