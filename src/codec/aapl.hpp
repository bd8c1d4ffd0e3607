// Apple's SMB2 extensions, which are not in MS-SMB2: the AAPL create context and the AFP_AfpInfo
// stream. The layouts are the ones macOS's client sends and expects (its SMBClient sources name
// them; Samba's vfs_fruit and ksmbd answer the same way).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "smbsrv/result.hpp"
#include "util/byte_reader.hpp"

namespace smbsrv::codec {

// AAPL create context request: CommandCode 4, Reserved 4, RequestBitmap 8, ClientCapabilities 8.
inline constexpr std::uint32_t kAaplServerQuery = 1;
// RequestBitmap / ReplyBitmap: which parts the reply carries.
inline constexpr std::uint64_t kAaplServerCaps = 0x1, kAaplVolumeCaps = 0x2, kAaplModelInfo = 0x4;
// ClientCapabilities / ServerCapabilities.
inline constexpr std::uint64_t kAaplSupportsReadDirAttr = 0x1, kAaplSupportsOsxCopyfile = 0x2,
                               kAaplUnixBased = 0x4, kAaplSupportsNfsAce = 0x8;
// VolumeCapabilities.
inline constexpr std::uint64_t kAaplSupportResolveId = 0x1, kAaplCaseSensitive = 0x2, kAaplFullSync = 0x4;

struct AaplQuery {
  std::uint64_t request_bitmap = 0;
  std::uint64_t client_caps = 0;
};
/// A SERVER_QUERY request (at least 24 bytes). Anything else → invalid_parameter, and the server
/// ignores the context.
Result<AaplQuery> decode_aapl_query(Bytes data);

struct AaplReply {
  std::uint64_t reply_bitmap = 0;  // the parts present below
  std::uint64_t server_caps = 0, volume_caps = 0;
  std::string model;  // UTF-8; sent as UTF-16LE without a terminator
};
/// CommandCode 4, Reserved 4, ReplyBitmap 8, then ServerCaps 8 and VolumeCaps 8 when in the
/// bitmap, then (MODEL_INFO) Pad 4, ModelStringLength 4 (bytes) and the string.
std::vector<std::uint8_t> encode_aapl_reply(const AaplReply& r);

// ---- AFP_AfpInfo (the Finder's metadata as a 60-byte stream) ----
// Signature "AFP\0" 4, Version 00 00 01 00 4, Reserved 4, BackupTime 4 (big-endian, 0x80000000:
// never), FinderInfo 32, ProDOSInfo 6, Reserved 6.
inline constexpr std::size_t kAfpInfoSize = 60;
inline constexpr std::size_t kAfpFinderInfoOffset = 16, kAfpFinderInfoSize = 32;
using AfpInfo = std::array<std::uint8_t, kAfpInfoSize>;
/// What a freshly created AFP_AfpInfo reads as: the header and an empty FinderInfo.
AfpInfo default_afp_info();
/// 60 bytes with the signature and version macOS checks before it trusts the rest.
bool valid_afp_info(Bytes data);
/// A valid AfpInfo whose FinderInfo is all zero: writing it deletes the stream (macOS).
bool empty_afp_info(Bytes data);

/// The 16 bytes of FinderInfo a READ_DIR_ATTR listing carries (in ShortName after the resource
/// fork size): type and creator (files only), Finder flags, extended Finder flags.
std::array<std::uint8_t, 16> listing_finder_info(Bytes afp_info, bool is_directory);

/// Rewrites one FileIdBothDirectoryInformation entry (MS-FSCC 2.4.17, at `entry`) for a
/// READ_DIR_ATTR client: EaSize carries the maximal access, ShortNameLength 24, ShortName the
/// resource fork size (u64) and the FinderInfo above; FileId 0 when `zero_file_id`. Reserved2,
/// where Samba puts the UNIX mode for NFS-ACE clients, stays 0: NFS ACEs are not offered.
struct AaplDirExtras {
  std::uint32_t max_access = 0;
  std::uint64_t resource_fork_size = 0;
  std::array<std::uint8_t, 16> finder_info{};
  bool zero_file_id = false;
};
void patch_id_both_entry(std::span<std::uint8_t> entry, const AaplDirExtras& x);

}  // namespace smbsrv::codec
