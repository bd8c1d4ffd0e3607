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
  /// Where named streams ("file:stream") are kept.
  enum class StreamStore {
    /// In the file's extended attributes "user.DosStream.<name>:$DATA", as Samba's streams_xattr
    /// keeps them: they move with the file by any means, and a share moves between the two
    /// servers, but a stream is limited to what the file system holds in xattrs (64 KiB; about
    /// 4 KiB per file in all on ext4 without the ea_inode feature). Without user xattrs, the
    /// share has no streams.
    xattr,
    /// As files in the hidden directory ".smbsrv-streams" of the share's root: any size, but they
    /// follow their file only through this server (a file deleted by another program leaves its
    /// streams behind; a copy made outside the server has none), and Samba does not read them.
    side_directory,
  };
  StreamStore streams = StreamStore::xattr;
};

/// Throws std::system_error when root cannot be opened as a directory.
std::shared_ptr<Vfs> make_local_vfs(const std::filesystem::path& root, LocalVfsOptions options = {});

}  // namespace smbsrv
