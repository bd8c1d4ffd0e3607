// MS-FSCC information-class encoders/decoders and MS-FSA 2.1.4.4 wildcard matching.
// Written from the MS-FSCC / MS-FSA specifications; layouts are little-endian.
#include "codec/fscc.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "util/byte_writer.hpp"
#include "util/upcase.hpp"
#include "util/utf16.hpp"

namespace smbsrv::fscc {
namespace {

// FileSystemAttributes (MS-FSCC 2.5.1)
constexpr std::uint32_t kFileCasePreservedNames = 0x00000002;
constexpr std::uint32_t kFileUnicodeOnDisk = 0x00000004;
constexpr std::uint32_t kFileSupportsSparseFiles = 0x00000040;
constexpr std::uint32_t kFileNamedStreams = 0x00040000;
constexpr std::uint32_t kFileSupportsHardLinks = 0x00400000;
constexpr std::uint32_t kFilePersistentAcls = 0x00000008;
constexpr std::uint32_t kFileSupportsExtendedAttributes = 0x00800000;
// FileFsDeviceInformation (MS-FSCC 2.5.10)
constexpr std::uint32_t kFileDeviceDisk = 0x00000007;
constexpr std::uint32_t kFileDeviceIsMounted = 0x00000020;
// FileFsSectorSizeInformation flags (MS-FSCC 2.5.8)
constexpr std::uint32_t kSsinfoFlagsAlignedDevice = 0x00000001;
constexpr std::uint32_t kSsinfoFlagsPartitionAlignedOnDevice = 0x00000002;

constexpr std::size_t kBasicSize = 40, kStandardSize = 24, kInternalSize = 8, kEaSize = 4,
                      kAccessSize = 4, kPositionSize = 8, kModeSize = 4, kAlignmentSize = 4,
                      kNetworkOpenSize = 56, kAttributeTagSize = 8, kCompressionSize = 16,
                      kIdSize = 24;

std::uint32_t u32_len(std::size_t n) {
  return n > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : static_cast<std::uint32_t>(n);
}

void put_basic(ByteWriter& w, const FileInfo& info) {
  w.u64(info.creation);
  w.u64(info.last_access);
  w.u64(info.last_write);
  w.u64(info.change);
  w.u32(attributes_of(info));
  w.u32(0);  // Reserved
}

void put_standard(ByteWriter& w, const FileInfo& info, const OpenContext& open) {
  w.u64(info.allocation_size);
  w.u64(info.size);
  // MS-FSCC 2.4.41: the number of non-deleted links; a name pending deletion no longer counts
  // (smbtorture smb2.setinfo expects 0 for a file with one link).
  w.u32(open.delete_pending && info.link_count > 0 ? info.link_count - 1 : info.link_count);
  w.u8(open.delete_pending ? 1 : 0);
  w.u8(info.is_directory ? 1 : 0);
  w.u16(0);  // Reserved
}

// FILE_NAME_INFORMATION: FileNameLength + UTF-16 name.
void put_name_info(ByteWriter& w, std::string_view name) {
  const std::vector<std::uint8_t> u = to_utf16le(name);
  w.u32(u32_len(u.size()));
  w.bytes(u);
}

// The FileNameInformation name: "\" + share-relative path, '\'-separated; "\" for the root.
std::string full_name(const OpenContext& open) {
  std::string s = "\\";
  std::string_view n = open.name;
  while (!n.empty() && (n.front() == '\\' || n.front() == '/')) n.remove_prefix(1);
  s.append(n);
  for (char& c : s)
    if (c == '/') c = '\\';
  return s;
}

// FileNormalizedNameInformation: share-relative without the leading '\'; empty for the root.
std::string normalized_name(const OpenContext& open) { return full_name(open).substr(1); }

// 8.3 short names (MS-FSCC 2.1.5.2.1), as NTFS with short-name generation on has them. A name
// that is itself a valid 8.3 name is its own short name, in upper case. Any other gets a short
// name made from it alone, in the form NTFS uses once "~1".."~4" are taken: two characters of
// the base, four hex digits of a hash of the whole name (case-folded, so every case of a name
// gets the same one), "~1", and up to three characters of the last extension. Being a function
// of the name, it needs no per-directory state and stays the same for an entry across listings
// and restarts; two names may share one (one in 65536). Opening by it: engine/short_names.hpp.
namespace {

bool short_name_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '$' || c == '~' || c == '!' || c == '#' || c == '%' || c == '&' || c == '@' || c == '^' ||
         c == 0x27 || c == '(' || c == ')' || c == '{' || c == '}';
}

char upper(unsigned char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c); }

/// `last` in upper case when it is a valid 8.3 name (MS-FSCC 2.1.5.2.1), else nullopt.
std::optional<std::string> as_8dot3(std::string_view last) {
  const auto dot = last.find('.');
  const std::string_view base = last.substr(0, dot);
  const std::string_view ext = dot == std::string_view::npos ? std::string_view() : last.substr(dot + 1);
  if (base.empty() || base.size() > 8 || ext.size() > 3 || ext.find('.') != std::string_view::npos ||
      (dot != std::string_view::npos && ext.empty()))
    return std::nullopt;
  std::string out;
  for (const char ch : last) {
    const auto c = static_cast<unsigned char>(ch);
    if (c != '.' && !short_name_char(c)) return std::nullopt;
    out.push_back(upper(c));
  }
  return out;
}

}  // namespace

std::optional<std::string> make_short_name(std::string_view last) {
  if (last.empty() || last == "." || last == "..") return std::nullopt;
  if (auto same = as_8dot3(last)) return same;
  std::uint32_t h = 2166136261u;  // FNV-1a over the case-folded UTF-8 bytes
  for (const char ch : last) {
    h ^= static_cast<unsigned char>(upper(static_cast<unsigned char>(ch)));
    h *= 16777619u;
  }
  const auto dot = last.rfind('.');
  const std::string_view base = dot == std::string_view::npos || dot == 0 ? last : last.substr(0, dot);
  const std::string_view ext = dot == std::string_view::npos || dot == 0 ? std::string_view() : last.substr(dot + 1);
  std::string out;
  for (const char ch : base) {
    if (out.size() == 2) break;
    if (short_name_char(static_cast<unsigned char>(ch))) out.push_back(upper(static_cast<unsigned char>(ch)));
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(h >> shift) & 0xF]);
  out += "~1";
  std::string e;
  for (const char ch : ext) {
    if (e.size() == 3) break;
    if (short_name_char(static_cast<unsigned char>(ch))) e.push_back(upper(static_cast<unsigned char>(ch)));
  }
  if (!e.empty()) out += "." + e;
  return out;
}

// FileAlternateNameInformation (MS-FSCC 2.4.5, MS-FSA 2.1.5.11.5): the short name of the last
// component; the root has none (object_name_not_found).
std::optional<std::string> short_name(const OpenContext& open) {
  const std::string full = full_name(open);
  return short_name_of(std::string_view(full).substr(full.rfind('\\') + 1));
}

std::uint64_t units(std::uint64_t bytes, const FsInfo& fs) {
  const std::uint64_t unit =
      std::uint64_t{fs.bytes_per_sector} * std::uint64_t{fs.sectors_per_allocation_unit};
  return unit == 0 ? 0 : bytes / unit;
}

// ---- directory entries ----

// Fixed part (everything before FileName) of each directory class.
std::size_t dir_fixed_size(std::uint8_t c) {
  switch (c) {
    case kFileDirectoryInformation: return 64;
    case kFileFullDirectoryInformation: return 68;
    case kFileBothDirectoryInformation: return 94;
    case kFileNamesInformation: return 12;
    case kFileIdBothDirectoryInformation: return 104;
    case kFileIdFullDirectoryInformation: return 80;
    default: return 0;
  }
}

// ---- wildcard matching ----

constexpr char32_t kDosStar = U'<';
constexpr char32_t kDosQm = U'>';
constexpr char32_t kDosDot = U'"';

// Decodes UTF-8 into code points; an invalid byte becomes a private value (0x110000 + byte) so it
// still only matches the same byte.
std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    char32_t cp = 0;
    if (b0 < 0x80) { cp = b0; n = 1; }
    else if ((b0 & 0xE0) == 0xC0) { cp = b0 & 0x1Fu; n = 2; }
    else if ((b0 & 0xF0) == 0xE0) { cp = b0 & 0x0Fu; n = 3; }
    else if ((b0 & 0xF8) == 0xF0) { cp = b0 & 0x07u; n = 4; }
    bool good = n != 0 && s.size() - i >= n;
    for (std::size_t k = 1; good && k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) good = false;
      else cp = (cp << 6) | (b & 0x3Fu);
    }
    if (!good) {
      out.push_back(0x110000u + b0);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

}  // namespace

std::optional<std::string> short_name_of(std::string_view name) { return make_short_name(name); }

std::uint32_t attributes_of(const FileInfo& info) {
  // A backend that stores attributes reports them as they are, NORMAL when there are none (see
  // FileInfo::attributes); one that reports 0 gets ARCHIVE, as a file on NTFS usually has.
  const std::uint32_t extra = info.attributes & ~(kAttrDirectory | kAttrNormal);
  const bool stored = (info.attributes & kAttrNormal) != 0;
  if (info.is_directory) return kAttrDirectory | extra;
  if (extra == 0) return stored ? kAttrNormal : kAttrArchive;  // NORMAL is never combined (MS-FSCC 2.6)
  if (stored || (extra & ~kAttrSparseFile) != 0) return extra;
  return kAttrArchive | extra;  // sparse alone from a backend that stores nothing: ARCHIVE | SPARSE_FILE
}

std::size_t fixed_file_info_size(std::uint8_t info_class) {
  switch (info_class) {
    case kFileBasicInformation: return kBasicSize;
    case kFileStandardInformation: return kStandardSize;
    case kFileInternalInformation: return kInternalSize;
    case kFileEaInformation: return kEaSize;
    case kFileAccessInformation: return kAccessSize;
    case kFilePositionInformation: return kPositionSize;
    case kFileModeInformation: return kModeSize;
    case kFileAlignmentInformation: return kAlignmentSize;
    case kFileNetworkOpenInformation: return kNetworkOpenSize;
    case kFileAttributeTagInformation: return kAttributeTagSize;
    case kFileCompressionInformation: return kCompressionSize;
    case kFileIdInformation: return kIdSize;
    default: return 0;
  }
}

std::size_t fixed_fs_info_size(std::uint8_t info_class) {
  switch (info_class) {
    case kFileFsSizeInformation: return 24;
    case kFileFsDeviceInformation: return 8;
    case kFileFsFullSizeInformation: return 32;
    case kFileFsControlInformation: return 48;
    case kFileFsObjectIdInformation: return 64;
    case kFileFsSectorSizeInformation: return 28;
    default: return 0;
  }
}

std::size_t min_file_info_buffer(std::uint8_t info_class) {
  switch (info_class) {
    case kFileNameInformation:            // FileNameLength + one WCHAR, aligned
    case kFileAlternateNameInformation:
    case kFileNormalizedNameInformation: return 8;
    case kFileAllInformation: return 104;     // 100 bytes of fixed fields + one WCHAR, aligned
    case kFileStreamInformation: return 32;   // 24 bytes of fixed fields + one WCHAR, aligned
    case kFileHardLinkInformation: return 32;  // the header and one entry with one WCHAR, aligned
    default: return fixed_file_info_size(info_class);
  }
}

std::size_t min_fs_info_buffer(std::uint8_t info_class) {
  switch (info_class) {
    case kFileFsVolumeInformation: return 24;     // 18 bytes of fixed fields + one WCHAR, aligned
    case kFileFsAttributeInformation: return 16;  // 12 bytes of fixed fields + one WCHAR, aligned
    default: return fixed_fs_info_size(info_class);
  }
}

Result<std::vector<std::uint8_t>> encode_file_info(std::uint8_t info_class, const FileInfo& info,
                                                   const OpenContext& open) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  switch (info_class) {
    case kFileBasicInformation: put_basic(w, info); break;
    case kFileStandardInformation: put_standard(w, info, open); break;
    case kFileInternalInformation: w.u64(info.file_id); break;
    case kFileEaInformation: w.u32(open.ea_size); break;
    case kFileAccessInformation: w.u32(open.access_mask); break;
    case kFilePositionInformation: w.u64(open.position); break;
    case kFileModeInformation: w.u32(open.mode); break;
    case kFileAlignmentInformation: w.u32(0); break;  // FILE_BYTE_ALIGNMENT
    case kFileAllInformation:
      put_basic(w, info);
      put_standard(w, info, open);
      w.u64(info.file_id);        // Internal
      w.u32(open.ea_size);        // Ea
      w.u32(open.access_mask);    // Access
      w.u64(open.position);       // Position
      w.u32(open.mode);           // Mode
      w.u32(0);                   // Alignment
      put_name_info(w, full_name(open));
      break;
    case kFileNameInformation: put_name_info(w, full_name(open)); break;
    case kFileNormalizedNameInformation: put_name_info(w, normalized_name(open)); break;
    case kFileAlternateNameInformation: {
      auto sn = short_name(open);
      if (!sn) return NtStatus::object_name_not_found;
      put_name_info(w, *sn);
      break;
    }
    case kFileNetworkOpenInformation:
      w.u64(info.creation);
      w.u64(info.last_access);
      w.u64(info.last_write);
      w.u64(info.change);
      w.u64(info.allocation_size);
      w.u64(info.size);
      w.u32(attributes_of(info));
      w.u32(0);  // Reserved
      break;
    case kFileAttributeTagInformation:
      w.u32(attributes_of(info));
      w.u32(0);  // ReparseTag
      break;
    case kFileStreamInformation: {
      // MS-FSCC 2.4.44: the unnamed data stream (files only: directories have none), then the
      // named ones as ":name:$DATA"; entries 8-byte aligned, the last with NextEntryOffset 0.
      std::vector<std::pair<std::string, const StreamInfo*>> entries;
      StreamInfo unnamed{"", info.size, info.allocation_size};
      if (!info.is_directory) entries.emplace_back("::$DATA", &unnamed);
      for (const auto& s : open.streams) entries.emplace_back(":" + s.name + ":$DATA", &s);
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::vector<std::uint8_t> n = to_utf16le(entries[i].first);
        const std::size_t start = out.size();
        const bool last = i + 1 == entries.size();
        const std::size_t size = 24 + n.size();
        const std::size_t padded = (size + 7) & ~std::size_t{7};
        w.u32(last ? 0 : u32_len(padded));  // NextEntryOffset
        w.u32(u32_len(n.size()));
        w.u64(entries[i].second->size);
        w.u64(entries[i].second->allocation_size);
        w.bytes(n);
        if (!last) w.zeros(padded - (out.size() - start));
      }
      break;
    }
    case kFileCompressionInformation:
      w.u64(info.size);  // CompressedFileSize
      w.u16(0);          // CompressionFormat: COMPRESSION_FORMAT_NONE
      w.u8(0);           // CompressionUnitShift
      w.u8(0);           // ChunkShift
      w.u8(0);           // ClusterShift
      w.zeros(3);        // Reserved
      break;
    case kFileIdInformation:
      w.u64(0);  // VolumeSerialNumber
      w.u64(info.file_id);
      w.u64(0);
      break;
    default: return NtStatus::invalid_info_class;
  }
  return out;
}

Result<std::vector<std::uint8_t>> encode_fs_info(std::uint8_t info_class, const FsInfo& fs) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  switch (info_class) {
    case kFileFsVolumeInformation: {
      const std::vector<std::uint8_t> label = to_utf16le(fs.volume_label);
      w.u64(fs.created);
      w.u32(fs.serial_number);
      w.u32(u32_len(label.size()));
      w.u8(0);  // SupportsObjects
      w.u8(0);  // Reserved
      w.bytes(label);
      break;
    }
    case kFileFsSizeInformation:
      w.u64(units(fs.total_bytes, fs));
      w.u64(units(fs.available_bytes, fs));
      w.u32(fs.sectors_per_allocation_unit);
      w.u32(fs.bytes_per_sector);
      break;
    case kFileFsDeviceInformation:
      w.u32(kFileDeviceDisk);
      w.u32(kFileDeviceIsMounted);
      break;
    case kFileFsAttributeInformation: {
      const std::vector<std::uint8_t> name = to_utf16le(fs.fs_name);
      w.u32(kFileCasePreservedNames | kFileUnicodeOnDisk | (fs.sparse_files ? kFileSupportsSparseFiles : 0) |
            (fs.hard_links ? kFileSupportsHardLinks : 0) |
            (fs.extended_attributes ? kFileSupportsExtendedAttributes : 0) |
            (fs.named_streams ? kFileNamedStreams : 0) | (fs.persistent_acls ? kFilePersistentAcls : 0));
      w.u32(fs.max_name_length);
      w.u32(u32_len(name.size()));
      w.bytes(name);
      break;
    }
    case kFileFsFullSizeInformation:
      w.u64(units(fs.total_bytes, fs));
      w.u64(units(fs.available_bytes, fs));  // CallerAvailableAllocationUnits
      w.u64(units(fs.free_bytes, fs));       // ActualAvailableAllocationUnits
      w.u32(fs.sectors_per_allocation_unit);
      w.u32(fs.bytes_per_sector);
      break;
    case kFileFsObjectIdInformation: w.zeros(64); break;
    case kFileFsControlInformation:
      // Quotas are not tracked: no filtering thresholds, no default quota (-1 = none) and
      // FileSystemControlFlags 0 (quotas neither tracked nor enforced).
      w.u64(0);                          // FreeSpaceStartFiltering
      w.u64(0);                          // FreeSpaceThreshold
      w.u64(0);                          // FreeSpaceStopFiltering
      w.u64(0xFFFFFFFFFFFFFFFFULL);      // DefaultQuotaThreshold
      w.u64(0xFFFFFFFFFFFFFFFFULL);      // DefaultQuotaLimit
      w.u32(0);                          // FileSystemControlFlags
      w.u32(0);                          // Padding
      break;
    case kFileFsSectorSizeInformation:
      w.u32(fs.bytes_per_sector);  // LogicalBytesPerSector
      w.u32(fs.bytes_per_sector);  // PhysicalBytesPerSectorForAtomicity
      w.u32(fs.bytes_per_sector);  // PhysicalBytesPerSectorForPerformance
      w.u32(fs.bytes_per_sector);  // FileSystemEffectivePhysicalBytesPerSectorForAtomicity
      w.u32(kSsinfoFlagsAlignedDevice | kSsinfoFlagsPartitionAlignedOnDevice);
      w.u32(0);  // ByteOffsetForSectorAlignment
      w.u32(0);  // ByteOffsetForPartitionAlignment
      break;
    default: return NtStatus::invalid_info_class;
  }
  return out;
}

std::vector<std::uint8_t> encode_links_information(std::span<const LinkEntry> links, std::size_t max_size,
                                                   bool& overflow) {
  // Entry: NextEntryOffset 0, (pad) 4, ParentFileId 8, FileNameLength 16 (characters), FileName 20;
  // entries 8-aligned.
  std::vector<std::vector<std::uint8_t>> names;
  std::size_t needed = 8;
  for (const auto& l : links) {
    names.push_back(to_utf16le(l.name));
    needed = ((needed + 7) & ~std::size_t{7}) + 20 + names.back().size();
  }
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u32(u32_len(needed));
  w.u32(0);  // EntriesReturned, patched below
  std::uint32_t returned = 0;
  std::size_t prev = std::string::npos;
  overflow = false;
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::size_t start = (out.size() + 7) & ~std::size_t{7};
    if (start + 20 + names[i].size() > max_size) {
      overflow = true;
      break;
    }
    w.align(8);
    if (prev != std::string::npos) w.put_u32(prev, u32_len(start - prev));
    prev = start;
    w.u32(0);
    w.u32(0);
    w.u64(links[i].parent_file_id);
    w.u32(u32_len(names[i].size() / 2));
    w.bytes(names[i]);
    ++returned;
  }
  w.put_u32(4, returned);
  return out;
}

bool is_directory_class(std::uint8_t info_class) { return dir_fixed_size(info_class) != 0; }

bool append_dir_entry(std::uint8_t info_class, const DirEntry& entry, std::uint32_t file_index,
                      std::vector<std::uint8_t>& out, std::size_t& prev_entry_offset,
                      std::size_t max_size, bool short_names) {
  const std::size_t fixed = dir_fixed_size(info_class);
  if (fixed == 0) return false;
  const std::vector<std::uint8_t> name = to_utf16le(entry.name);
  const std::size_t start = (out.size() + 7) & ~std::size_t{7};
  if (start > max_size || max_size - start < fixed || max_size - start - fixed < name.size())
    return false;

  ByteWriter w(out);
  w.align(8);
  w.u32(0);  // NextEntryOffset, patched by the next entry
  w.u32(file_index);
  const FileInfo& fi = entry.info;
  if (info_class == kFileNamesInformation) {
    w.u32(u32_len(name.size()));
  } else {
    w.u64(fi.creation);
    w.u64(fi.last_access);
    w.u64(fi.last_write);
    w.u64(fi.change);
    w.u64(fi.size);             // EndOfFile
    w.u64(fi.allocation_size);  // AllocationSize
    w.u32(attributes_of(fi));
    w.u32(u32_len(name.size()));
    if (info_class != kFileDirectoryInformation) w.u32(fi.ea_size);  // EaSize
    switch (info_class) {
      case kFileBothDirectoryInformation:
      case kFileIdBothDirectoryInformation: {
        // ShortName: the entry's generated short name where the share has them; none for a
        // name that is a valid 8.3 name in any case (NTFS lists none for those).
        std::vector<std::uint8_t> sn;
        if (short_names && !as_8dot3(entry.name))
          if (auto s8 = short_name_of(entry.name)) sn = to_utf16le(*s8);
        w.u8(static_cast<std::uint8_t>(sn.size()));  // ShortNameLength (at most 12 characters: 24)
        w.u8(0);                                     // Reserved1
        w.bytes(sn);
        w.zeros(24 - sn.size());                     // ShortName
        if (info_class == kFileBothDirectoryInformation) break;
        w.u16(0);    // Reserved2
        w.u64(fi.file_id);
        break;
      }
      case kFileIdFullDirectoryInformation:
        w.u32(0);    // Reserved
        w.u64(fi.file_id);
        break;
      default: break;
    }
  }
  w.bytes(name);

  if (prev_entry_offset != std::string::npos)
    w.put_u32(prev_entry_offset, u32_len(start - prev_entry_offset));
  prev_entry_offset = start;
  return true;
}

bool wildcard_match(std::string_view pattern, std::string_view name, bool case_sensitive) {
  // An empty pattern, "*" and "*.*" match every name (MS-FSA 2.1.5.6.3; Win32 maps "*.*" to "*").
  if (pattern.empty() || pattern == "*" || pattern == "*.*") return true;

  std::vector<char32_t> p, n;
  if (case_sensitive) {
    p = code_points(pattern);
    n = code_points(name);
  } else {
    p = code_points(upcase_utf8(pattern));
    n = code_points(upcase_utf8(name));
  }

  // NFA simulation over pattern positions: states[k] means the first k pattern elements have
  // consumed the name so far. O(|pattern| * |name|) time, O(|pattern|) space.
  const std::size_t m = p.size();
  // last_dot: index of the final '.' in the name (n.size() if none).
  std::size_t last_dot = n.size();
  for (std::size_t i = n.size(); i-- > 0;)
    if (n[i] == U'.') { last_dot = i; break; }

  std::vector<char> cur(m + 1, 0), next(m + 1, 0);
  // Adds the epsilon closure of the current set; `at` is the next name index (n.size() = end).
  auto close = [&](std::vector<char>& set, std::size_t at) {
    const bool at_end = at == n.size();
    const bool at_dot = !at_end && n[at] == U'.';
    for (std::size_t k = 0; k < m; ++k) {
      if (!set[k]) continue;
      const char32_t e = p[k];
      if (e == U'*' || e == kDosStar || (e == kDosQm && (at_end || at_dot)) ||
          (e == kDosDot && at_end))
        set[k + 1] = 1;
    }
  };

  cur[0] = 1;
  close(cur, 0);
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::fill(next.begin(), next.end(), 0);
    const char32_t c = n[i];
    bool any = false;
    for (std::size_t k = 0; k < m; ++k) {
      if (!cur[k]) continue;
      const char32_t e = p[k];
      std::size_t to = std::string::npos;
      if (e == U'*') {
        to = k;
      } else if (e == kDosStar) {
        // Consumes anything except the final '.' of the name.
        if (c != U'.' || i != last_dot) to = k;
      } else if (e == U'?') {
        to = k + 1;
      } else if (e == kDosQm) {
        if (c != U'.') to = k + 1;
      } else if (e == kDosDot) {
        if (c == U'.') to = k + 1;
      } else if (e == c) {
        to = k + 1;
      }
      if (to != std::string::npos) {
        next[to] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next, i + 1);
    cur.swap(next);
  }
  return cur[m] != 0;
}

// ---- SET_INFO parsing ----

namespace {
// Times in FileBasicInformation: 0 = no change, -1 / -2 = (stop / resume) automatic updates,
// which this server treats as "no change"; anything else below -2 is invalid (MS-FSA 2.1.5.14.2).
bool basic_time(std::uint64_t raw, std::uint64_t& out) {
  const auto v = static_cast<std::int64_t>(raw);
  if (v == 0 || v == -1 || v == -2) { out = 0; return true; }
  if (v < 0) return false;
  out = raw;
  return true;
}
}  // namespace

Result<BasicInfo> decode_basic_info(Bytes b) {
  ByteReader r(b);
  const std::uint64_t t[4] = {r.u64(), r.u64(), r.u64(), r.u64()};
  BasicInfo bi;
  bi.attributes = r.u32();
  r.skip(4);  // Reserved
  if (!r.ok()) return NtStatus::info_length_mismatch;
  if (!basic_time(t[0], bi.creation) || !basic_time(t[1], bi.last_access) ||
      !basic_time(t[2], bi.last_write) || !basic_time(t[3], bi.change))
    return NtStatus::invalid_parameter;
  return bi;
}

Result<RenameInfo> decode_rename_info(Bytes b, bool ex) {
  ByteReader r(b);
  RenameInfo ri;
  if (ex) {
    ri.replace_if_exists = (r.u32() & 0x1u) != 0;  // FILE_RENAME_REPLACE_IF_EXISTS
    r.skip(4);
  } else {
    ri.replace_if_exists = r.u8() != 0;
    r.skip(7);
  }
  ri.root_directory = r.u64();
  const std::uint32_t len = r.u32();
  if (!r.ok()) return NtStatus::info_length_mismatch;
  if (len % 2 != 0 || len > r.remaining()) return NtStatus::invalid_parameter;
  auto name = utf16le_to_utf8(r.bytes(len));
  if (!name) return NtStatus::object_name_invalid;
  ri.file_name = std::move(*name);
  return ri;
}

Result<std::uint64_t> decode_u64_info(Bytes b) {
  ByteReader r(b);
  const std::uint64_t v = r.u64();
  if (!r.ok()) return NtStatus::info_length_mismatch;
  return v;
}

Result<bool> decode_disposition_info(Bytes b, bool ex) {
  ByteReader r(b);
  bool del = false;
  if (ex) del = (r.u32() & 0x1u) != 0;  // FILE_DISPOSITION_DELETE
  else del = r.u8() != 0;
  if (!r.ok()) return NtStatus::info_length_mismatch;
  return del;
}

Result<std::uint32_t> decode_mode_info(Bytes b) {
  ByteReader r(b);
  const std::uint32_t v = r.u32();
  if (!r.ok()) return NtStatus::info_length_mismatch;
  return v;
}

}  // namespace smbsrv::fscc
