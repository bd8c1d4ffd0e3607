// File: smbsrv/vfs.hpp
// The file-system interface behind every share. Errors are NtStatus values, so a backend decides
// exactly what the client sees (see from_errno() in ntstatus.hpp for the usual OS mapping).
//
// NT semantics that need cross-open state (share modes, delete-pending and delete-on-close,
// byte-range locks, oplocks and leases) live in the server; a backend only does plain file
// operations on validated SmbPaths. What a backend therefore receives:
//   - open() with CreateDisposition open, create or open_if only. The server turns overwrite,
//     overwrite_if and supersede into open / open_if and truncates through VfsFile::truncate(0)
//     once its share-mode and oplock checks have passed; on a read-only tree open_if becomes open.
//   - remove() of a file when its last handle closes with delete pending (never while the server
//     still has it open), rename() through an open handle of the source.
//   - FileInfo::file_id is the server's identity of a file: every open of the same file or
//     directory must report the same id, and no two files of one backend may share one while
//     both exist, or share modes, locks and leases of one would apply to the other.
//
// Thread safety: the server calls a Vfs and its VfsFiles from its worker threads, never from the
// threads that serve sockets. Calls on different VfsFile objects, and on the Vfs itself, may run
// concurrently; calls on one VfsFile are never concurrent. A call may block (it delays only the
// request it serves).
//
//   class MyVfs : public smbsrv::Vfs { ... };   // src/vfs/memory_vfs.cpp is a complete one
//   server.add_share({.name = "docs", .vfs = std::make_shared<MyVfs>()});
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smbsrv/path.hpp"
#include "smbsrv/result.hpp"

namespace smbsrv {

/// FILETIME: 100-nanosecond intervals since 1601-01-01 UTC (MS-DTYP 2.3.3).
using FileTime = std::uint64_t;

/// Seconds between 1601 and 1970, in FILETIME units.
inline constexpr std::uint64_t kFileTimeUnixEpoch = 116444736000000000ULL;

// File attributes (MS-FSCC 2.6) a backend may report.
inline constexpr std::uint32_t kAttrReadonly = 0x1;
inline constexpr std::uint32_t kAttrHidden = 0x2;
inline constexpr std::uint32_t kAttrSystem = 0x4;
inline constexpr std::uint32_t kAttrDirectory = 0x10;
inline constexpr std::uint32_t kAttrArchive = 0x20;
/// Reported alone by a backend that stores DOS attributes, for a file that has none of them
/// (MS-FSCC 2.6). A backend that reports 0 instead gets the legacy synthesis: ARCHIVE.
inline constexpr std::uint32_t kAttrNormal = 0x80;
inline constexpr std::uint32_t kAttrTemporary = 0x100;
inline constexpr std::uint32_t kAttrOffline = 0x1000;
inline constexpr std::uint32_t kAttrNotContentIndexed = 0x2000;
/// The attributes a client may set (SET_INFO FileBasicInformation, CREATE's FileAttributes) and a
/// backend that stores attributes keeps as they were set (Windows keeps these on NTFS).
inline constexpr std::uint32_t kAttrSettable = kAttrReadonly | kAttrHidden | kAttrSystem | kAttrArchive |
                                               kAttrTemporary | kAttrOffline | kAttrNotContentIndexed;
/// FILE_ATTRIBUTE_SPARSE_FILE: reported by stat() once VfsFile::set_sparse(true) succeeded. It
/// is changed only through set_sparse(), never through set_attributes() or open().
inline constexpr std::uint32_t kAttrSparseFile = 0x200;

struct FileInfo {
  std::uint64_t size = 0;             // EndOfFile
  std::uint64_t allocation_size = 0;  // AllocationSize
  std::uint64_t file_id = 0;          // stable, unique within the backend (see the file comment)
  FileTime creation = 0, last_access = 0, last_write = 0, change = 0;
  std::uint32_t link_count = 1;
  /// EaSize (MS-FSCC 2.4.13): the size of the FILE_FULL_EA_INFORMATION list of the file's EAs,
  /// 0 for none. Directory listings report it; a backend fills it in list() (and may in stat()).
  std::uint32_t ea_size = 0;
  bool is_directory = false;
  /// Extra attributes (readonly, hidden, ...); kAttrDirectory is implied by is_directory.
  /// A backend that stores attributes reports exactly the stored kAttrSettable bits (plus
  /// kAttrSparseFile), and kAttrNormal for a file that has none; 0 means "not stored" and the
  /// server reports ARCHIVE (the behaviour before attributes were stored).
  std::uint32_t attributes = 0;
};

/// Fields left empty are not changed. A backend that cannot keep creation or change stores what
/// it can and ignores the rest (no error).
struct FileTimes {
  std::optional<FileTime> creation, last_access, last_write, change;
};

struct DirEntry {
  std::string name;  // UTF-8, one component, never "." or ".."
  FileInfo info;
};

/// MS-SMB2 2.2.13 CreateDisposition; the values are the wire values.
enum class CreateDisposition : std::uint32_t {
  supersede = 0, open = 1, create = 2, open_if = 3, overwrite = 4, overwrite_if = 5
};
/// MS-SMB2 2.2.14 CreateAction; the values are the wire values.
enum class CreateAction : std::uint32_t { superseded = 0, opened = 1, created = 2, overwritten = 3 };

struct OpenParams {
  bool read = true;
  bool write = false;           // the handle will write or truncate (times and attributes
                                // may be set through any handle: the server checks access)
  bool directory = false;       // FILE_DIRECTORY_FILE: must be (or create) a directory
  bool non_directory = false;   // FILE_NON_DIRECTORY_FILE: must not be a directory
  CreateDisposition disposition = CreateDisposition::open;
  std::uint32_t attributes = 0;  // for a newly created file: the kAttrSettable bits it gets (the
                                 // server adds kAttrArchive for files, as Windows does)
};

struct FsInfo {
  std::uint64_t total_bytes = 0, free_bytes = 0, available_bytes = 0;
  std::uint32_t bytes_per_sector = 512;
  std::uint32_t sectors_per_allocation_unit = 8;
  std::uint32_t serial_number = 0;
  std::string volume_label = "smbsrv";
  std::string fs_name = "NTFS";
  std::uint32_t max_name_length = 255;
  FileTime created = 0;
  /// The backend implements VfsFile::set_sparse(): FILE_SUPPORTS_SPARSE_FILES is advertised
  /// (FileFsAttributeInformation) and FSCTL_SET_SPARSE is served.
  bool sparse_files = false;
  /// The backend implements Vfs::link(): FILE_SUPPORTS_HARD_LINKS is advertised and
  /// FileLinkInformation is served (otherwise it gets STATUS_NOT_SUPPORTED, MS-FSA 2.1.5.15.6).
  bool hard_links = false;
  /// The backend implements VfsFile::list_eas() and set_eas(): FILE_SUPPORTS_EXTENDED_ATTRIBUTES
  /// is advertised and FileFullEaInformation is served (otherwise STATUS_EAS_NOT_SUPPORTED).
  bool extended_attributes = false;
  /// The backend implements Vfs::open_stream(), remove_stream(), rename_stream() and
  /// VfsFile::list_streams(): FILE_NAMED_STREAMS is advertised and `name:stream` opens are served
  /// (otherwise they get STATUS_OBJECT_NAME_INVALID, as on a file system without streams).
  bool named_streams = false;
  /// The backend implements VfsFile::get_security() and set_security(): a share in AclMode::nt
  /// stores security descriptors there and FILE_PERSISTENT_ACLS is advertised.
  bool persistent_acls = false;
};

/// One named data stream of a file or directory (MS-FSCC 2.4.44 FileStreamInformation); the
/// default (unnamed) data stream is not one of them.
struct StreamInfo {
  std::string name;  // as created, without ":$DATA"
  std::uint64_t size = 0, allocation_size = 0;
  bool operator==(const StreamInfo&) const = default;
};

/// One extended attribute (MS-FSCC 2.4.15): a name of 1..255 ASCII characters and a value of at
/// most 65535 bytes. In VfsFile::set_eas() an empty value means "remove this EA".
struct ExtendedAttribute {
  std::string name;
  std::vector<std::uint8_t> value;
  bool operator==(const ExtendedAttribute&) const = default;
};

/// A range of a file's bytes (FSCTL_QUERY_ALLOCATED_RANGES, MS-FSCC 2.3.52).
struct ByteRange {
  std::uint64_t offset = 0, length = 0;
  bool operator==(const ByteRange&) const = default;
};

/// What VfsFile::send_source() hands the server for a zero-copy READ.
struct SendSource {
  int fd = -1;             // a new descriptor of the file, open for reading; the server closes it
  std::uint64_t size = 0;  // the file's size (EndOfFile) when the descriptor was taken
};

/// One open file or directory. Destroyed on CLOSE.
class VfsFile {
 public:
  virtual ~VfsFile() = default;
  /// Reads up to out.size() bytes at offset; returns the count (0 at or past EOF).
  virtual Result<std::size_t> read(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
  /// Writes all of in at offset, extending the file (zero-filled) as needed.
  virtual Result<std::size_t> write(std::uint64_t offset, std::span<const std::uint8_t> in) = 0;
  virtual Result<FileInfo> stat() = 0;
  virtual Result<void> truncate(std::uint64_t size) = 0;
  virtual Result<void> set_times(const FileTimes& times) = 0;
  /// Replaces the stored kAttrSettable bits (the server passes nothing else; 0 clears them all,
  /// after which stat() reports kAttrNormal). Optional: the default stores nothing.
  virtual Result<void> set_attributes(std::uint32_t /*attributes*/) { return {}; }
  virtual Result<void> flush() = 0;
  /// Regular files only, `size` at least EndOfFile: reserves room for `size` bytes (the
  /// AllocationSize create context, FileAllocationInformation at or above EndOfFile, MS-FSA
  /// 2.1.5.15.1) without changing EndOfFile; stat() then reports that AllocationSize (rounded up
  /// to the allocation unit). Room reserved earlier beyond `size` is given back. Optional: the
  /// default ignores the hint.
  virtual Result<void> set_allocation(std::uint64_t /*size*/) { return {}; }
  /// Directories only: every entry except "." and "..", in a stable order.
  virtual Result<std::vector<DirEntry>> list() = 0;
  /// Optional, regular files only: a descriptor the server may send READ data from with
  /// sendfile(2), from the page cache to the socket with no copy through user space (used for
  /// large READs that are neither signed nor encrypted). nullopt (the default): data always
  /// goes through read().
  virtual std::optional<SendSource> send_source() { return std::nullopt; }

  // ---- sparse files (FSCTL_SET_SPARSE, FSCTL_SET_ZERO_DATA, FSCTL_QUERY_ALLOCATED_RANGES) ----
  // The server calls these on regular files only, with the access checks done (MS-FSA 2.1.5.10).

  /// Marks the file sparse or not; stat() then reports kAttrSparseFile accordingly, on every open
  /// of the file and after it is reopened. Clearing it need not allocate the holes (the server
  /// reports a non-sparse file as fully allocated). Default: invalid_device_request, what
  /// Windows answers on a file system without sparse files; a backend that implements it sets
  /// FsInfo::sparse_files.
  virtual Result<void> set_sparse(bool /*sparse*/) { return NtStatus::invalid_device_request; }
  /// Makes [offset, offset + length) read as zeros; the range ends before EndOfFile (the server
  /// clips it) and the size never changes. A backend may deallocate the range (a hole) when the
  /// file is sparse. Default: writes zeros through write().
  virtual Result<void> zero_range(std::uint64_t offset, std::uint64_t length);
  /// The allocated parts of [offset, offset + length) of a sparse file, in order, not
  /// overlapping, within the range (the server clips them to EndOfFile). Default: the whole
  /// range, as one allocated range (a backend without holes).
  virtual Result<std::vector<ByteRange>> allocated_ranges(std::uint64_t offset, std::uint64_t length) {
    if (length == 0) return std::vector<ByteRange>{};
    return std::vector<ByteRange>{{offset, length}};
  }
  /// Copies up to `length` bytes at `src_offset` of `src` to `dst_offset` of this file, extending
  /// this file (zero-filled) as write() does; returns the count copied, less than `length` only
  /// when `src` ends first (0 when src_offset is at or past its end). Server-side copy
  /// (FSCTL_SRV_COPYCHUNK) calls it on the target, with a source from the same or another share:
  /// `src` may belong to another backend, or be this very object — the ranges may then overlap,
  /// and the result must be as if the whole range were read before any of it was written. No
  /// other call on this file or on `src` runs meanwhile.
  /// The default copies through src.read() and write() in pieces of at most 1 MiB, so every
  /// backend supports it; a backend overrides it to copy without the data passing through the
  /// server (LocalVfs: copy_file_range(2), which shares extents where the file system can).
  virtual Result<std::uint64_t> copy_from(VfsFile& src, std::uint64_t src_offset, std::uint64_t dst_offset,
                                          std::uint64_t length);

  // ---- extended attributes (FileFullEaInformation, the ExtA create context) ----
  // Optional; a backend that implements both sets FsInfo::extended_attributes. Names reach the
  // backend exactly as they are stored or to be stored: the server validates them (MS-FSCC
  // 2.4.15) and makes lookups case-insensitive itself (it removes an EA whose name differs only
  // in case before setting the new one), so a backend compares names byte for byte.

  /// Every EA of the file or directory, each name once, values non-empty. A backend leaves out
  /// what it keeps for itself and anything it cannot report as an EA (an invalid name, a value
  /// over 65535 bytes). Default: eas_not_supported.
  virtual Result<std::vector<ExtendedAttribute>> list_eas() { return NtStatus::eas_not_supported; }
  /// Applies `changes` in order: a non-empty value creates or replaces the EA of that name, an
  /// empty one removes it (no error when there is none). All or nothing: a name the backend
  /// refuses (one it keeps for itself: access_denied) fails the call before anything is
  /// changed, and a failure part way (ea_too_large when the file system has no room, say) must
  /// leave the EAs as they were. Errors: access_denied (a read-only share, a reserved name),
  /// ea_too_large. Default: eas_not_supported.
  virtual Result<void> set_eas(std::span<const ExtendedAttribute> /*changes*/) {
    return NtStatus::eas_not_supported;
  }
  /// Optional (FsInfo::named_streams): the named streams of this file or directory, in any order.
  /// Called on an open of the file itself (never on a stream's VfsFile).
  virtual Result<std::vector<StreamInfo>> list_streams() { return std::vector<StreamInfo>{}; }

  // ---- security descriptors (a share in AclMode::nt; FsInfo::persistent_acls) ----
  // The bytes are opaque to a backend: the server validates and builds them (a self-relative
  // SECURITY_DESCRIPTOR, MS-DTYP 2.4.6) and the backend keeps them with the file or directory,
  // across opens and renames, gone with it. Called on an open of the file itself, never on a
  // stream's VfsFile.

  /// The stored descriptor, or an empty vector when none is stored (the default).
  virtual Result<std::vector<std::uint8_t>> get_security() { return std::vector<std::uint8_t>{}; }
  /// Replaces the stored descriptor (the server passes a complete one). Errors: access_denied (a
  /// read-only share), disk_full. Default: not_supported.
  virtual Result<void> set_security(std::span<const std::uint8_t> /*descriptor*/) {
    return NtStatus::not_supported;
  }
};

/// A change a backend saw made behind the server's back (another process on the host), for
/// CHANGE_NOTIFY (Vfs::watch; MS-FSCC 2.7.1 actions, FILE_NOTIFY_CHANGE_* filter bits).
struct VfsChange {
  SmbPath path;              // share-relative
  std::uint32_t action = 0;  // FILE_ACTION_ADDED (1) ... FILE_ACTION_RENAMED_NEW_NAME (5)
  std::uint32_t filter = 0;  // the FILE_NOTIFY_CHANGE_* bits the change matches
};
/// What a watch reports: changes, or `lost` (changes could not be told: too many directories to
/// watch, or the backend's queue overflowed; the client then gets STATUS_NOTIFY_ENUM_DIR).
using VfsWatchCallback = std::function<void(std::span<const VfsChange> changes, bool lost)>;
/// A running Vfs::watch(); destroying it ends the watch, and no callback of it runs once its
/// destructor has returned.
class VfsWatch {
 public:
  virtual ~VfsWatch() = default;
};

class Vfs {
 public:
  struct Opened {
    std::unique_ptr<VfsFile> file;
    CreateAction action = CreateAction::opened;
  };
  virtual ~Vfs() = default;

  /// Opens or creates per params.disposition (open, create or open_if: see the file comment).
  /// The root (empty path) is a directory.
  /// Errors: object_name_not_found (last component missing), object_path_not_found (a parent is
  /// missing or not a directory), object_name_collision (create on an existing name),
  /// file_is_a_directory / not_a_directory (against params), access_denied.
  /// When the share is case-insensitive, every component matches case-insensitively and a
  /// created name keeps the client's case.
  virtual Result<Opened> open(const SmbPath& path, const OpenParams& params) = 0;
  /// Removes a file or an empty directory (directory_not_empty otherwise).
  virtual Result<void> remove(const SmbPath& path) = 0;
  /// Renames; object_name_collision when to exists and !replace; access_denied when replacing a
  /// directory.
  virtual Result<void> rename(const SmbPath& from, const SmbPath& to, bool replace) = 0;
  /// Optional: gives the regular file at `existing` a further name `link` (a hard link). When
  /// `link` names another file and `replace` is set, that file's name is replaced atomically;
  /// the server has already refused when that file is open, read-only or a directory. Errors as
  /// rename(); object_name_collision when `link` exists and !replace; file_is_a_directory when
  /// `existing` is a directory. Default: not_supported (a backend that implements it sets
  /// FsInfo::hard_links).
  virtual Result<void> link(const SmbPath& /*existing*/, const SmbPath& /*link*/, bool /*replace*/) {
    return NtStatus::not_supported;
  }
  // Named streams (optional; a backend that implements them sets FsInfo::named_streams). A
  // `stream` name reaching a backend is validated by the server: 1..255 characters, no '\\', '/',
  // ':' or NUL, without the ":$DATA" suffix. It matches an existing stream case-insensitively
  // unless the share is case-sensitive; a created stream keeps the client's case. Removing or
  // renaming a file removes or moves its streams with it.
  /// Opens or creates the named data stream `stream` of the file or directory at `path`, per
  /// params.disposition (open, create or open_if; params.directory is never set). Creating a
  /// stream of a missing file creates the file first, as a regular file with params.attributes.
  /// The VfsFile reads, writes, truncates and flushes the stream's data; its stat() reports the
  /// stream's size and allocation with the base file's id, times, link count and attributes
  /// (is_directory false); set_times() and set_attributes() change the base file; list() gives
  /// not_a_directory. Errors as open(), object_name_not_found when the stream is missing, and
  /// disk_full when a write would make it larger than the backend can store.
  virtual Result<Opened> open_stream(const SmbPath& /*path*/, std::string_view /*stream*/,
                                     const OpenParams& /*params*/) {
    return NtStatus::object_name_invalid;
  }
  /// Removes a named stream (object_name_not_found when it does not exist). The server calls it
  /// once the last open of a delete-pending stream has closed.
  virtual Result<void> remove_stream(const SmbPath& /*path*/, std::string_view /*stream*/) {
    return NtStatus::not_supported;
  }
  /// Renames a named stream of one file; object_name_collision when `to` exists and !replace.
  virtual Result<void> rename_stream(const SmbPath& /*path*/, std::string_view /*from*/,
                                     std::string_view /*to*/, bool /*replace*/) {
    return NtStatus::not_supported;
  }
  virtual Result<FsInfo> fs_info() = 0;
  /// Optional: reports changes below the directory `dir` that others than this server make (the
  /// server reports its own changes itself, so a backend leaves those out as far as it can tell
  /// them apart). Changes to `dir`'s entries; with `recursive` also those of every directory below.
  /// The callback may run on any thread (never while the server waits in a call of this
  /// backend), and must not destroy the watch. nullptr (the default): nothing is reported; a
  /// backend all of whose changes go through the server (MemoryVfs) needs nothing more.
  virtual std::unique_ptr<VfsWatch> watch(const SmbPath& /*dir*/, bool /*recursive*/, VfsWatchCallback /*callback*/) {
    return nullptr;
  }
  virtual bool read_only() const { return false; }
  virtual bool case_sensitive() const { return false; }
};

}  // namespace smbsrv
