// The DOS attributes and settable times that LocalVfs keeps per file in the extended attribute
// "user.smbsrv.dos" (layout: docs/DESIGN.md, "DOS attributes"). Internal to the local backend.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "smbsrv/vfs.hpp"
#include "util/byte_reader.hpp"

namespace smbsrv::detail {

inline constexpr const char* kDosXattr = "user.smbsrv.dos";
/// Samba's record; only its leading "0x<hex>" attribute string is read (see read_samba_dosattrib).
inline constexpr const char* kSambaDosXattr = "user.DOSATTRIB";
inline constexpr std::uint8_t kDosRecordVersion = 1;
inline constexpr std::size_t kDosRecordSize = 32;

struct DosRecord {
  std::uint32_t attributes = 0;       // kAttrSettable bits (READONLY is mirrored in the mode bits)
  std::optional<FileTime> creation;   // a stored CreationTime (else the file system's btime)
  std::optional<FileTime> change;     // a ChangeTime set by a client...
  FileTime change_anchor = 0;         // ...reported while LastWriteTime still equals this
  /// EaSize as of the server's last change to the file's EAs (LocalFile::set_eas), kept so that a
  /// listing need not list each entry's xattrs; none: unknown (a record from before, or EAs
  /// larger than 64 KiB), and the listing asks the file system.
  std::optional<std::uint16_t> ea_size;
  bool operator==(const DosRecord&) const = default;
};

std::vector<std::uint8_t> encode_dos_record(const DosRecord& r);
/// nullopt for anything but a complete version-1 record (a newer or damaged one is ignored).
std::optional<DosRecord> decode_dos_record(Bytes b);
/// The attribute bits of a Samba "user.DOSATTRIB" value when it starts with "0x<hex digits>"
/// (Samba writes that string before its binary blob); nullopt otherwise.
std::optional<std::uint32_t> parse_samba_dosattrib(Bytes b);

/// Reads the record of an open file (fd) or, when name is non-null, of the entry `name` of the
/// directory fd (never following a final symlink). Falls back to Samba's attribute string when
/// ours is absent (the record then has only attributes). nullopt: neither (or no user xattrs).
std::optional<DosRecord> read_dos(int fd, const char* name = nullptr);
/// Stores the record on an open file. A file system without user xattrs (ENOTSUP) is not an
/// error: the record is simply not kept (attributes then come from the mode bits as before).
Result<void> write_dos(int fd, const DosRecord& r);

}  // namespace smbsrv::detail
