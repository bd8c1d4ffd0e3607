// Named streams of the local backend (MS-FSCC 2.1.4, 5.1), kept in extended attributes.
// Internal to the local backend.
//
// Layout: stream `name` of a file or directory is the xattr "user.DosStream.<name>:$DATA", and
// its value is the stream's data followed by one NUL byte (an empty stream is the single byte
// 0x00). That is what Samba's streams_xattr module writes (checked against smbd 4.17: `put x
// "f:strm"` with "hello" gives user.DosStream.strm:$DATA=0x68656c6c6f00, and smbd reports a
// value's length minus one as the stream size), so a share moved from Samba keeps its streams and
// the other way round.
//
// The trade-off of xattrs: a write replaces the whole value atomically and the streams go with
// the file through rename, link and unlink without any bookkeeping of ours, but the size is the
// file system's limit: at most 64 KiB - 1 of data (XATTR_SIZE_MAX), and on ext4 all xattrs of a
// file share one block (~4 KiB) unless the file system has the ea_inode feature; XFS and Btrfs
// take the full 64 KiB. A write past that fails with STATUS_DISK_FULL. Streams of any size would
// need a side store (a hidden directory of files keyed by inode); that is not built.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smbsrv/vfs.hpp"

namespace smbsrv::detail {

/// Largest stream: the largest xattr value (XATTR_SIZE_MAX, 64 KiB) less the trailing NUL.
inline constexpr std::size_t kMaxLocalStreamSize = 65535;

/// Whether `name` can be a stream name here: 1..234 bytes (an xattr name has at most 255, less
/// "user.DosStream." and ":$DATA"), no '/', '\\', ':' or NUL. The server validates names before
/// they reach a backend; this is the backend's own guard.
bool valid_local_stream_name(std::string_view name);
/// The status of a failed write to a stream's store, xattr or side file: no room (E2BIG: over the
/// size the file system allows an xattr; ENOSPC: ext4's one xattr block, or the disk, is full;
/// EFBIG) is STATUS_DISK_FULL, as the interface asks for a stream larger than the backend can
/// store; a refusal is ACCESS_DENIED.
NtStatus stream_store_error(int err);
/// Whether the file system of `fd` (a non-O_PATH descriptor) keeps user xattrs.
bool local_user_xattrs(int fd);

/// The xattr that holds stream `name` of `fd`: the exact name or, when !case_sensitive, one equal
/// up to case (the smallest, so the choice is stable); nullopt when there is none.
Result<std::optional<std::string>> find_local_stream(int fd, std::string_view name, bool case_sensitive);
/// The xattr name of stream `name`.
std::string local_stream_key(std::string_view name);
/// VfsFile::list_streams() of a file or directory.
Result<std::vector<StreamInfo>> list_local_streams(int fd);
/// Creates the empty stream `name` (disposition create or open_if found none); a stream created
/// meanwhile by someone else is kept as it is.
Result<void> create_local_stream(int fd, std::string_view name);
/// Removes the stream held in xattr `key` (object_name_not_found when it is gone).
Result<void> remove_local_stream(int fd, const std::string& key);
/// Vfs::rename_stream() on the base file `fd`.
Result<void> rename_local_stream(int fd, std::string_view from, std::string_view to, bool replace,
                                 bool case_sensitive);

/// The VfsFile of the stream held in xattr `key` of `base` (a VfsFile of make_local_file(), which
/// it keeps open). `writable`: the handle may write and truncate.
std::unique_ptr<VfsFile> make_local_stream(std::unique_ptr<VfsFile> base, std::string key, bool writable);

}  // namespace smbsrv::detail
