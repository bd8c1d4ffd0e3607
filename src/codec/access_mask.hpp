// Access rights and share access: the one table of the masks the server uses (MS-DTYP 2.4.3
// ACCESS_MASK, MS-SMB2 2.2.13.1 File_Pipe_Printer_Access_Mask, 2.2.13 ShareAccess), and the
// groupings MS-FSA's checks use.
#pragma once

#include <cstdint>

namespace smbsrv::access {

// File_Pipe_Printer_Access_Mask (MS-SMB2 2.2.13.1.1)
inline constexpr std::uint32_t kFileReadData = 0x00000001, kFileWriteData = 0x00000002,
                               kFileAppendData = 0x00000004, kFileReadEa = 0x00000008,
                               kFileWriteEa = 0x00000010, kFileExecute = 0x00000020,
                               kFileDeleteChild = 0x00000040, kFileReadAttributes = 0x00000080,
                               kFileWriteAttributes = 0x00000100;
// The same bits as a directory's rights (MS-SMB2 2.2.13.1.2 Directory_Access_Mask).
inline constexpr std::uint32_t kFileListDirectory = kFileReadData, kFileAddFile = kFileWriteData,
                               kFileAddSubdirectory = kFileAppendData;
// Standard rights (MS-DTYP 2.4.3)
inline constexpr std::uint32_t kDelete = 0x00010000, kReadControl = 0x00020000, kWriteDac = 0x00040000,
                               kWriteOwner = 0x00080000, kSynchronize = 0x00100000,
                               kAccessSystemSecurity = 0x01000000, kMaximumAllowed = 0x02000000;
// Generic rights and what they map to for files (MS-SMB2 3.3.5.9, MS-FSA 2.1.5.1.2)
inline constexpr std::uint32_t kGenericAll = 0x10000000, kGenericExecute = 0x20000000,
                               kGenericWrite = 0x40000000, kGenericRead = 0x80000000;
inline constexpr std::uint32_t kFileGenericRead = 0x00120089, kFileGenericWrite = 0x00120116,
                               kFileGenericExecute = 0x001200A0;

/// Every specific and standard right a file can be granted (FILE_ALL_ACCESS).
inline constexpr std::uint32_t kFullAccess = 0x001F01FF;
/// What a read-only tree grants: read data, EAs and attributes, execute, READ_CONTROL, SYNCHRONIZE.
inline constexpr std::uint32_t kReadOnlyAccess = 0x001200A9;
/// The bits a request may name beyond kFullAccess without being refused outright.
inline constexpr std::uint32_t kRequestableAccess = kFullAccess | kAccessSystemSecurity;

// Groupings used by MS-FSA's checks.
inline constexpr std::uint32_t kDataRead = kFileReadData | kFileExecute;
inline constexpr std::uint32_t kDataWrite = kFileWriteData | kFileAppendData;
/// Opens with none of these take no part in share modes (MS-FSA 2.1.5.1.2).
inline constexpr std::uint32_t kSharingRelevant = kDataRead | kDataWrite | kDelete;
/// Opens with none of these get no oplock beside other opens and do not keep a lease from caching
/// writes (MS-FSA 2.1.5.1.2; stat opens).
inline constexpr std::uint32_t kBreakingAccess = kDataRead | kDataWrite | kDelete;
/// Stat opens as far as breaking is concerned: an open asking for no more than these breaks no
/// oplock (Windows: smbtorture smb2.oplock.statopen1: READ_EA, WRITE_DAC, READ_CONTROL... break)
inline constexpr std::uint32_t kOplockStatAccess = kFileReadAttributes | kFileWriteAttributes | kSynchronize;
/// ... and one asking for no more than these breaks no lease (smb2.lease.statopen4: READ_CONTROL
/// does not break a lease).
inline constexpr std::uint32_t kLeaseStatAccess = kOplockStatAccess | kReadControl;

// ShareAccess (MS-SMB2 2.2.13)
inline constexpr std::uint32_t kShareRead = 0x1, kShareWrite = 0x2, kShareDelete = 0x4;
inline constexpr std::uint32_t kShareAll = kShareRead | kShareWrite | kShareDelete;

/// Generic rights replaced by the specific rights they stand for (MS-SMB2 3.3.5.9).
constexpr std::uint32_t map_generic(std::uint32_t a) {
  if (a & kGenericRead) a |= kFileGenericRead;
  if (a & kGenericWrite) a |= kFileGenericWrite;
  if (a & kGenericExecute) a |= kFileGenericExecute;
  if (a & kGenericAll) a |= kFullAccess;
  return a & ~(kGenericRead | kGenericWrite | kGenericExecute | kGenericAll);
}

/// MS-FSA 2.1.5.1.2.1: an existing open conflicts with a new one when one side's access is not
/// admitted by the other side's share access.
constexpr bool share_conflict(std::uint32_t access, std::uint32_t other_share) {
  return ((access & kDataRead) && !(other_share & kShareRead)) ||
         ((access & kDataWrite) && !(other_share & kShareWrite)) ||
         ((access & kDelete) && !(other_share & kShareDelete));
}

}  // namespace smbsrv::access
