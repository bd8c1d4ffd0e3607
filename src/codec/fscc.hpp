// MS-FSCC information classes: the byte layouts that QUERY_INFO, QUERY_DIRECTORY and SET_INFO
// carry, built from / parsed into the VFS's FileInfo. Pure functions, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smbsrv/result.hpp"
#include "smbsrv/vfs.hpp"
#include "util/byte_reader.hpp"

namespace smbsrv::fscc {

// FileInformationClass values (MS-FSCC 2.4)
enum FileInfoClass : std::uint8_t {
  kFileDirectoryInformation = 1, kFileFullDirectoryInformation = 2,
  kFileBothDirectoryInformation = 3, kFileBasicInformation = 4, kFileStandardInformation = 5,
  kFileInternalInformation = 6, kFileEaInformation = 7, kFileAccessInformation = 8,
  kFileNameInformation = 9, kFileRenameInformation = 10, kFileLinkInformation = 11,
  kFileNamesInformation = 12,
  kFileDispositionInformation = 13, kFilePositionInformation = 14, kFileFullEaInformation = 15,
  kFileModeInformation = 16, kFileAlignmentInformation = 17, kFileAllInformation = 18,
  kFileAllocationInformation = 19, kFileEndOfFileInformation = 20,
  kFileAlternateNameInformation = 21, kFileStreamInformation = 22,
  kFileCompressionInformation = 28, kFileNetworkOpenInformation = 34,
  kFileAttributeTagInformation = 35, kFileIdBothDirectoryInformation = 37,
  kFileIdFullDirectoryInformation = 38, kFileValidDataLengthInformation = 39,
  kFileShortNameInformation = 40, kFileHardLinkInformation = 46, kFileNormalizedNameInformation = 48,
  kFileIdInformation = 59, kFileDispositionInformationEx = 64, kFileRenameInformationEx = 65,
};
// FsInformationClass values (MS-FSCC 2.5)
enum FsInfoClass : std::uint8_t {
  kFileFsVolumeInformation = 1, kFileFsLabelInformation = 2, kFileFsSizeInformation = 3,
  kFileFsDeviceInformation = 4, kFileFsAttributeInformation = 5, kFileFsControlInformation = 6,
  kFileFsFullSizeInformation = 7, kFileFsObjectIdInformation = 8,
  kFileFsSectorSizeInformation = 11,
};

/// The attributes reported for an object: FILE_ATTRIBUTE_DIRECTORY for directories, the backend's
/// extra bits, and FILE_ATTRIBUTE_NORMAL (files) / ARCHIVE when nothing else applies.
std::uint32_t attributes_of(const FileInfo& info);

/// Per-open state the file classes need beyond FileInfo.
struct OpenContext {
  std::string name;                 // share-relative, '\'-separated, "" for root ("\" reported)
  std::uint32_t access_mask = 0;    // FileAccessInformation
  std::uint64_t position = 0;       // FilePositionInformation
  std::uint32_t mode = 0;           // FileModeInformation
  bool delete_pending = false;      // FileStandardInformation.DeletePending
  std::uint32_t ea_size = 0;        // FileEaInformation.EaSize (codec::full_ea_list_size)
  std::vector<StreamInfo> streams;  // FileStreamInformation: the named streams (`info` is the file's)
};

/// Encodes a QUERY_INFO SMB2_0_INFO_FILE class. Unknown class → invalid_info_class. The result
/// may be longer than the client's OutputBufferLength: the caller truncates (buffer_overflow for
/// variable-length classes, info_length_mismatch for fixed-size ones — see fixed_size()).
Result<std::vector<std::uint8_t>> encode_file_info(std::uint8_t info_class, const FileInfo& info,
                                                   const OpenContext& open);
/// Encodes a QUERY_INFO SMB2_0_INFO_FILESYSTEM class. Unknown class → invalid_info_class.
Result<std::vector<std::uint8_t>> encode_fs_info(std::uint8_t info_class, const FsInfo& fs);
/// The fixed size of a class's structure, or 0 when it has a variable part (names, arrays).
std::size_t fixed_file_info_size(std::uint8_t info_class);
std::size_t fixed_fs_info_size(std::uint8_t info_class);
/// The smallest OutputBufferLength a QUERY_INFO of the class accepts: the size of the class's
/// structure as declared in MS-FSCC with its natural (8-byte) alignment, the one-character name
/// array included. Shorter buffers fail with STATUS_INFO_LENGTH_MISMATCH even when the data
/// would fit (MS-FSA 2.1.5.11 / 2.1.5.12; Windows checks this before the file system runs);
/// longer ones that cannot hold a variable part get the truncated data and
/// STATUS_BUFFER_OVERFLOW. 0 for classes not served.
std::size_t min_file_info_buffer(std::uint8_t info_class);
std::size_t min_fs_info_buffer(std::uint8_t info_class);

/// One name of a file (FILE_LINK_ENTRY_INFORMATION, MS-FSCC 2.4.16.1).
struct LinkEntry {
  std::uint64_t parent_file_id = 0;  // the directory's FileId
  std::string name;                  // one component, UTF-8
};
/// FileHardLinkInformation (FILE_LINKS_INFORMATION, 2.4.16): BytesNeeded for all of `links`, and
/// as many entries as fit in `max_size` (`overflow` set when some did not: BUFFER_OVERFLOW).
/// The entry layout is the structure's natural one (ParentFileId 8-aligned), as NTFS returns it.
std::vector<std::uint8_t> encode_links_information(std::span<const LinkEntry> links, std::size_t max_size,
                                                   bool& overflow);

/// The 8.3 short name of one name component (MS-FSCC 2.1.5.2.1; how it is made: fscc.cpp):
/// the name itself in upper case when it is a valid 8.3 name, else a generated one, a function
/// of the name alone. nullopt for "", "." and "..".
std::optional<std::string> short_name_of(std::string_view name);

/// True for the directory classes QUERY_DIRECTORY supports (1, 2, 3, 12, 37, 38).
bool is_directory_class(std::uint8_t info_class);
/// Appends one directory entry of the class to `out`, aligned to 8 bytes from the buffer start,
/// and patches the previous entry's NextEntryOffset (prev_entry_offset, or npos for the first).
/// Returns false (and leaves `out` unchanged) if it would exceed `max_size`. `short_names`
/// (Share::short_names): the Both/IdBoth classes carry the entry's generated short name.
bool append_dir_entry(std::uint8_t info_class, const DirEntry& entry, std::uint32_t file_index,
                      std::vector<std::uint8_t>& out, std::size_t& prev_entry_offset,
                      std::size_t max_size, bool short_names = false);

/// Windows wildcard matching of `name` against `pattern` (MS-FSA 2.1.4.4): '*', '?', and the DOS
/// forms '<' (DOS_STAR), '>' (DOS_QM), '"' (DOS_DOT). Case-insensitive unless told otherwise.
bool wildcard_match(std::string_view pattern, std::string_view name, bool case_sensitive = false);

// ---- SET_INFO parsing ----
struct BasicInfo {  // FileBasicInformation: 0 = leave unchanged, -1 = stop updating (treated as 0)
  std::uint64_t creation = 0, last_access = 0, last_write = 0, change = 0;
  std::uint32_t attributes = 0;
};
Result<BasicInfo> decode_basic_info(Bytes b);
struct RenameInfo {
  bool replace_if_exists = false;
  std::uint64_t root_directory = 0;
  std::string file_name;  // UTF-8 as sent
};
/// FileRenameInformation (class 10; the SMB2 form, MS-FSCC 2.4.37.2) and ...Ex (class 65, Flags
/// with REPLACE_IF_EXISTS = 1). FileLinkInformation (class 11) has the same SMB2 form
/// (FILE_LINK_INFORMATION_TYPE_2, MS-FSCC 2.4.27.2): it is decoded with `ex` false.
Result<RenameInfo> decode_rename_info(Bytes b, bool ex);
Result<std::uint64_t> decode_u64_info(Bytes b);  // EndOfFile, Allocation, Position
Result<bool> decode_disposition_info(Bytes b, bool ex);  // Ex: Flags bit0 DELETE
Result<std::uint32_t> decode_mode_info(Bytes b);

}  // namespace smbsrv::fscc
