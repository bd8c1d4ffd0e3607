// Extended attributes (MS-FSCC 2.4.15; MS-FSA 2.1.5.12.12, 2.1.5.15.5): the blocking parts of
// QUERY_INFO and SET_INFO FileFullEaInformation and of the ExtA create context, shared by
// info.cpp and create.cpp. All run in jobs, with the handle's mutex held by the caller.
#pragma once

#include <span>
#include <vector>

#include "codec/messages.hpp"
#include "engine/state.hpp"
#include "smbsrv/vfs.hpp"

namespace smbsrv::engine::handlers {

/// The most a file's EAs may take together, as a FILE_FULL_EA_INFORMATION list: 64 KiB - 5 bytes
/// (MS-FSA 2.1.5.15.5); a change that would exceed it fails with STATUS_EA_TOO_LARGE.
inline constexpr std::size_t kMaxEaListLength = 65536 - 5;

// QUERY_INFO Flags for FileFullEaInformation (MS-SMB2 2.2.37).
inline constexpr std::uint32_t kSlRestartScan = 0x1, kSlReturnSingleEntry = 0x2, kSlIndexSpecified = 0x4;

/// FileEaInformation.EaSize of the file (MS-FSCC 2.4.13): the size of its FILE_FULL_EA_INFORMATION
/// list, 0 with none or when the backend keeps no EAs.
std::uint32_t ea_size_of(VfsFile& file);

struct EaQueryAnswer {
  NtStatus status = NtStatus::success;  // success, buffer_overflow (data returned) or an error
  std::vector<std::uint8_t> bytes;
};
/// QUERY_INFO FileFullEaInformation on an open's backend file (h.mu held).
EaQueryAnswer query_full_ea(Open& o, const codec::QueryInfoRequest& q);

/// Applies a decoded FILE_FULL_EA_INFORMATION list to `file`: each entry replaces the EA of the
/// same name compared case-insensitively (the new entry's case is kept) or, with an empty value,
/// removes it. With `replace_all` (an overwriting CREATE's ExtA) every other EA goes too. Fails
/// with ea_too_large, before anything changes, when the result would exceed kMaxEaListLength.
NtStatus apply_eas(VfsFile& file, std::span<const ExtendedAttribute> changes, bool replace_all);

}  // namespace smbsrv::engine::handlers
