#include "codec/fscc.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "util/utf16.hpp"

namespace smbsrv::fscc {
namespace {

using Buf = std::vector<std::uint8_t>;

std::uint64_t rd(const Buf& b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= std::uint64_t{b.at(at + static_cast<std::size_t>(i))} << (8 * i);
  return v;
}
std::uint64_t u64(const Buf& b, std::size_t at) { return rd(b, at, 8); }
std::uint32_t u32(const Buf& b, std::size_t at) { return static_cast<std::uint32_t>(rd(b, at, 4)); }
std::uint16_t u16(const Buf& b, std::size_t at) { return static_cast<std::uint16_t>(rd(b, at, 2)); }
std::uint8_t u8(const Buf& b, std::size_t at) { return b.at(at); }

std::string name_at(const Buf& b, std::size_t at, std::size_t len) {
  auto s = utf16le_to_utf8(std::span<const std::uint8_t>(b.data() + at, len));
  return s ? *s : std::string("<invalid>");
}

FileInfo sample_file() {
  FileInfo f;
  f.size = 1000;
  f.allocation_size = 4096;
  f.file_id = 0x1122334455667788ULL;
  f.creation = 0x0101010101010101ULL;
  f.last_access = 0x0202020202020202ULL;
  f.last_write = 0x0303030303030303ULL;
  f.change = 0x0404040404040404ULL;
  f.link_count = 2;
  return f;
}

FileInfo sample_dir() {
  FileInfo d = sample_file();
  d.is_directory = true;
  d.size = 0;
  d.allocation_size = 0;
  return d;
}

Buf file_info(std::uint8_t cls, const FileInfo& fi, const OpenContext& oc = {}) {
  auto r = encode_file_info(cls, fi, oc);
  EXPECT_TRUE(r.ok()) << int{cls};
  return r.ok() ? *r : Buf{};
}

Buf fs_info(std::uint8_t cls, const FsInfo& fs) {
  auto r = encode_fs_info(cls, fs);
  EXPECT_TRUE(r.ok()) << int{cls};
  return r.ok() ? *r : Buf{};
}

// ---------------------------------------------------------------------------------------------
TEST(FsccAttributes, DirectoryAndFile) {
  FileInfo f;
  EXPECT_EQ(attributes_of(f), kAttrArchive);
  f.attributes = kAttrReadonly | kAttrHidden;
  EXPECT_EQ(attributes_of(f), kAttrReadonly | kAttrHidden);
  f.attributes = kAttrNormal;
  EXPECT_EQ(attributes_of(f), kAttrNormal);
  f.attributes = kAttrNormal | kAttrReadonly;  // NORMAL never combined
  EXPECT_EQ(attributes_of(f), kAttrReadonly);
  FileInfo d;
  d.is_directory = true;
  EXPECT_EQ(attributes_of(d), kAttrDirectory);
  d.attributes = kAttrHidden | kAttrNormal;
  EXPECT_EQ(attributes_of(d), kAttrDirectory | kAttrHidden);
}

TEST(FsccFileInfo, Basic) {
  FileInfo f = sample_file();
  f.attributes = kAttrHidden;
  Buf b = file_info(kFileBasicInformation, f);
  ASSERT_EQ(b.size(), 40u);
  EXPECT_EQ(u64(b, 0), f.creation);
  EXPECT_EQ(u64(b, 8), f.last_access);
  EXPECT_EQ(u64(b, 16), f.last_write);
  EXPECT_EQ(u64(b, 24), f.change);
  EXPECT_EQ(u32(b, 32), kAttrHidden);
  EXPECT_EQ(u32(b, 36), 0u);
}

TEST(FsccFileInfo, Standard) {
  OpenContext oc;
  oc.delete_pending = true;
  Buf b = file_info(kFileStandardInformation, sample_file(), oc);
  ASSERT_EQ(b.size(), 24u);
  EXPECT_EQ(u64(b, 0), 4096u);
  EXPECT_EQ(u64(b, 8), 1000u);
  EXPECT_EQ(u32(b, 16), 1u);  // two links, one of them pending deletion (MS-FSCC 2.4.41)
  EXPECT_EQ(u8(b, 20), 1);
  EXPECT_EQ(u8(b, 21), 0);
  EXPECT_EQ(u16(b, 22), 0);
  EXPECT_EQ(u32(file_info(kFileStandardInformation, sample_file()), 16), 2u);
  Buf d = file_info(kFileStandardInformation, sample_dir());
  EXPECT_EQ(u8(d, 20), 0);
  EXPECT_EQ(u8(d, 21), 1);
}

TEST(FsccFileInfo, SmallFixedClasses) {
  OpenContext oc;
  oc.access_mask = 0x001F01FF;
  oc.position = 0x123456789ULL;
  oc.mode = 0x20;
  const FileInfo f = sample_file();
  Buf b = file_info(kFileInternalInformation, f);
  ASSERT_EQ(b.size(), 8u);
  EXPECT_EQ(u64(b, 0), f.file_id);
  b = file_info(kFileEaInformation, f);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(u32(b, 0), 0u);
  b = file_info(kFileAccessInformation, f, oc);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(u32(b, 0), 0x001F01FFu);
  b = file_info(kFilePositionInformation, f, oc);
  ASSERT_EQ(b.size(), 8u);
  EXPECT_EQ(u64(b, 0), 0x123456789ULL);
  b = file_info(kFileModeInformation, f, oc);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(u32(b, 0), 0x20u);
  b = file_info(kFileAlignmentInformation, f, oc);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(u32(b, 0), 0u);
}

TEST(FsccFileInfo, AllInformationRoot) {
  OpenContext oc;  // root: name ""
  oc.access_mask = 0x00120089;
  oc.position = 77;
  oc.mode = 0x10;
  const FileInfo d = sample_dir();
  Buf b = file_info(kFileAllInformation, d, oc);
  ASSERT_GE(b.size(), 101u);  // Linux cifs checks sizeof(FILE_ALL_INFO)
  ASSERT_EQ(b.size(), 102u);
  EXPECT_EQ(u64(b, 0), d.creation);
  EXPECT_EQ(u32(b, 32), kAttrDirectory);
  EXPECT_EQ(u32(b, 56), 2u);      // NumberOfLinks
  EXPECT_EQ(u8(b, 61), 1);        // Directory
  EXPECT_EQ(u64(b, 64), d.file_id);
  EXPECT_EQ(u32(b, 72), 0u);      // EaSize
  EXPECT_EQ(u32(b, 76), 0x00120089u);
  EXPECT_EQ(u64(b, 80), 77u);
  EXPECT_EQ(u32(b, 88), 0x10u);
  EXPECT_EQ(u32(b, 92), 0u);      // Alignment
  EXPECT_EQ(u32(b, 96), 2u);
  EXPECT_EQ(name_at(b, 100, 2), "\\");
}

TEST(FsccFileInfo, AllInformationFile) {
  OpenContext oc;
  oc.name = "dir\\file.txt";
  Buf b = file_info(kFileAllInformation, sample_file(), oc);
  const std::string expect = "\\dir\\file.txt";
  ASSERT_EQ(b.size(), 100 + 2 * expect.size());
  EXPECT_EQ(u64(b, 40), 4096u);
  EXPECT_EQ(u64(b, 48), 1000u);
  EXPECT_EQ(u32(b, 96), 2 * expect.size());
  EXPECT_EQ(name_at(b, 100, 2 * expect.size()), expect);
}

TEST(FsccFileInfo, NameAndNormalizedName) {
  OpenContext root;
  Buf b = file_info(kFileNameInformation, sample_dir(), root);
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(u32(b, 0), 2u);
  EXPECT_EQ(name_at(b, 4, 2), "\\");
  b = file_info(kFileNormalizedNameInformation, sample_dir(), root);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(u32(b, 0), 0u);

  OpenContext oc;
  oc.name = "a\\Ünï.txt";
  b = file_info(kFileNameInformation, sample_file(), oc);
  ASSERT_EQ(u32(b, 0), b.size() - 4);
  EXPECT_EQ(name_at(b, 4, b.size() - 4), "\\a\\Ünï.txt");
  b = file_info(kFileNormalizedNameInformation, sample_file(), oc);
  ASSERT_EQ(u32(b, 0), b.size() - 4);
  EXPECT_EQ(name_at(b, 4, b.size() - 4), "a\\Ünï.txt");
}

TEST(FsccFileInfo, NetworkOpen) {
  const FileInfo f = sample_file();
  Buf b = file_info(kFileNetworkOpenInformation, f);
  ASSERT_EQ(b.size(), 56u);
  EXPECT_EQ(u64(b, 0), f.creation);
  EXPECT_EQ(u64(b, 24), f.change);
  EXPECT_EQ(u64(b, 32), 4096u);  // AllocationSize
  EXPECT_EQ(u64(b, 40), 1000u);  // EndOfFile
  EXPECT_EQ(u32(b, 48), kAttrArchive);
  EXPECT_EQ(u32(b, 52), 0u);
}

TEST(FsccFileInfo, AttributeTag) {
  Buf b = file_info(kFileAttributeTagInformation, sample_dir());
  ASSERT_EQ(b.size(), 8u);
  EXPECT_EQ(u32(b, 0), kAttrDirectory);
  EXPECT_EQ(u32(b, 4), 0u);
}

TEST(FsccFileInfo, Stream) {
  Buf b = file_info(kFileStreamInformation, sample_file());
  ASSERT_EQ(b.size(), 24u + 14u);
  EXPECT_EQ(u32(b, 0), 0u);
  EXPECT_EQ(u32(b, 4), 14u);
  EXPECT_EQ(u64(b, 8), 1000u);
  EXPECT_EQ(u64(b, 16), 4096u);
  EXPECT_EQ(name_at(b, 24, 14), "::$DATA");
  EXPECT_TRUE(file_info(kFileStreamInformation, sample_dir()).empty());
}

TEST(FsccFileInfo, CompressionAndId) {
  const FileInfo f = sample_file();
  Buf b = file_info(kFileCompressionInformation, f);
  ASSERT_EQ(b.size(), 16u);
  EXPECT_EQ(u64(b, 0), 1000u);
  for (std::size_t i = 8; i < 16; ++i) EXPECT_EQ(b[i], 0) << i;
  b = file_info(kFileIdInformation, f);
  ASSERT_EQ(b.size(), 24u);
  EXPECT_EQ(u64(b, 0), 0u);
  EXPECT_EQ(u64(b, 8), f.file_id);
  EXPECT_EQ(u64(b, 16), 0u);
}

TEST(FsccFileInfo, FixedSizesMatchEncoding) {
  const std::uint8_t fixed[] = {kFileBasicInformation, kFileStandardInformation,
                                kFileInternalInformation, kFileEaInformation,
                                kFileAccessInformation, kFilePositionInformation,
                                kFileModeInformation, kFileAlignmentInformation,
                                kFileNetworkOpenInformation, kFileAttributeTagInformation,
                                kFileCompressionInformation, kFileIdInformation};
  for (std::uint8_t c : fixed) {
    EXPECT_NE(fixed_file_info_size(c), 0u) << int{c};
    EXPECT_EQ(file_info(c, sample_file()).size(), fixed_file_info_size(c)) << int{c};
  }
  EXPECT_EQ(fixed_file_info_size(kFileBasicInformation), 40u);
  EXPECT_EQ(fixed_file_info_size(kFileIdInformation), 24u);
  const std::uint8_t variable[] = {kFileAllInformation, kFileNameInformation,
                                   kFileNormalizedNameInformation, kFileStreamInformation};
  for (std::uint8_t c : variable) EXPECT_EQ(fixed_file_info_size(c), 0u) << int{c};
}

TEST(FsccFileInfo, UnknownClass) {
  for (std::uint8_t c : {std::uint8_t{0}, std::uint8_t{kFileRenameInformation},
                         std::uint8_t{kFileFullEaInformation}, std::uint8_t{200}}) {
    auto r = encode_file_info(c, sample_file(), {});
    ASSERT_FALSE(r.ok()) << int{c};
    EXPECT_EQ(r.status(), NtStatus::invalid_info_class);
  }
  auto r = encode_fs_info(kFileFsLabelInformation, FsInfo{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), NtStatus::invalid_info_class);
}

// ---------------------------------------------------------------------------------------------
FsInfo sample_fs() {
  FsInfo fs;
  fs.total_bytes = 4096ULL * 1000;
  fs.free_bytes = 4096ULL * 300;
  fs.available_bytes = 4096ULL * 200 + 100;
  fs.serial_number = 0xCAFEBABE;
  fs.created = 0x0102030405060708ULL;
  return fs;
}

TEST(FsccFsInfo, Volume) {
  Buf b = fs_info(kFileFsVolumeInformation, sample_fs());
  ASSERT_EQ(b.size(), 18u + 12u);  // "smbsrv"
  EXPECT_EQ(u64(b, 0), 0x0102030405060708ULL);
  EXPECT_EQ(u32(b, 8), 0xCAFEBABEu);
  EXPECT_EQ(u32(b, 12), 12u);
  EXPECT_EQ(u8(b, 16), 0);
  EXPECT_EQ(u8(b, 17), 0);
  EXPECT_EQ(name_at(b, 18, 12), "smbsrv");
}

TEST(FsccFsInfo, Size) {
  Buf b = fs_info(kFileFsSizeInformation, sample_fs());
  ASSERT_EQ(b.size(), 24u);
  EXPECT_EQ(u64(b, 0), 1000u);
  EXPECT_EQ(u64(b, 8), 200u);
  EXPECT_EQ(u32(b, 16), 8u);
  EXPECT_EQ(u32(b, 20), 512u);
}

TEST(FsccFsInfo, FullSize) {
  Buf b = fs_info(kFileFsFullSizeInformation, sample_fs());
  ASSERT_EQ(b.size(), 32u);
  EXPECT_EQ(u64(b, 0), 1000u);
  EXPECT_EQ(u64(b, 8), 200u);
  EXPECT_EQ(u64(b, 16), 300u);
  EXPECT_EQ(u32(b, 24), 8u);
  EXPECT_EQ(u32(b, 28), 512u);
}

TEST(FsccFsInfo, ZeroUnitSizeDoesNotDivideByZero) {
  FsInfo fs = sample_fs();
  fs.bytes_per_sector = 0;
  Buf b = fs_info(kFileFsSizeInformation, fs);
  EXPECT_EQ(u64(b, 0), 0u);
}

TEST(FsccFsInfo, DeviceAttributeSectorObjectId) {
  Buf b = fs_info(kFileFsDeviceInformation, sample_fs());
  ASSERT_EQ(b.size(), 8u);
  EXPECT_EQ(u32(b, 0), 0x7u);
  EXPECT_EQ(u32(b, 4), 0x20u);

  b = fs_info(kFileFsAttributeInformation, sample_fs());
  ASSERT_EQ(b.size(), 12u + 8u);
  EXPECT_EQ(u32(b, 0), 0x2u | 0x4u);
  EXPECT_EQ(u32(b, 4), 255u);
  EXPECT_EQ(u32(b, 8), 8u);
  EXPECT_EQ(name_at(b, 12, 8), "NTFS");

  b = fs_info(kFileFsSectorSizeInformation, sample_fs());
  ASSERT_EQ(b.size(), 28u);
  for (std::size_t i = 0; i < 16; i += 4) EXPECT_EQ(u32(b, i), 512u) << i;
  EXPECT_EQ(u32(b, 16), 0x3u);
  EXPECT_EQ(u32(b, 20), 0u);
  EXPECT_EQ(u32(b, 24), 0u);

  b = fs_info(kFileFsObjectIdInformation, sample_fs());
  ASSERT_EQ(b.size(), 64u);
  for (auto x : b) EXPECT_EQ(x, 0);
}

TEST(FsccFsInfo, FixedSizes) {
  for (std::uint8_t c : {std::uint8_t{kFileFsSizeInformation}, std::uint8_t{kFileFsDeviceInformation},
                         std::uint8_t{kFileFsFullSizeInformation},
                         std::uint8_t{kFileFsObjectIdInformation},
                         std::uint8_t{kFileFsSectorSizeInformation}})
    EXPECT_EQ(fs_info(c, sample_fs()).size(), fixed_fs_info_size(c)) << int{c};
  EXPECT_EQ(fixed_fs_info_size(kFileFsVolumeInformation), 0u);
  EXPECT_EQ(fixed_fs_info_size(kFileFsAttributeInformation), 0u);
}

TEST(FsccFsInfo, ControlInformationReportsNoQuotas) {
  auto b = fs_info(kFileFsControlInformation, sample_fs());
  ASSERT_EQ(b.size(), 48u);
  EXPECT_EQ(fixed_fs_info_size(kFileFsControlInformation), 48u);
  EXPECT_EQ(u32(b, 24), 0xFFFFFFFFu);  // DefaultQuotaThreshold (low half)
  EXPECT_EQ(u32(b, 40), 0u);           // FileSystemControlFlags
}

TEST(FsccFileInfo, AlternateNames) {
  OpenContext ctx;
  ctx.name = "dir\\bufsize.txt";  // a valid 8.3 name: itself, in upper case
  auto b = encode_file_info(kFileAlternateNameInformation, sample_file(), ctx);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->size(), 4u + 22u);
  EXPECT_EQ(u32(*b, 0), 22u);
  EXPECT_EQ(name_at(*b, 4, 22), "BUFSIZE.TXT");
  // Any other: two characters, four hex digits of the name's hash, ~1, the extension cut to 3;
  // the same for every case of the name.
  ctx.name = "a long name.text";
  auto gen = encode_file_info(kFileAlternateNameInformation, sample_file(), ctx);
  ASSERT_TRUE(gen);
  ASSERT_EQ(gen->size(), 4u + 24u);
  const std::string sn = name_at(*gen, 4, 24);
  EXPECT_EQ(sn.substr(0, 2), "AL");
  EXPECT_EQ(sn.find_first_not_of("0123456789ABCDEF", 2), 6u);
  EXPECT_EQ(sn.substr(6), "~1.TEX");
  ctx.name = "A LONG NAME.TEXT";
  EXPECT_EQ(name_at(*encode_file_info(kFileAlternateNameInformation, sample_file(), ctx), 4, 24), sn);
  ctx.name = "";
  auto root = encode_file_info(kFileAlternateNameInformation, sample_file(), ctx);
  ASSERT_FALSE(root);
  EXPECT_EQ(root.status(), NtStatus::object_name_not_found);
}

TEST(FsccInfo, MinimumBuffersAreTheAlignedStructureSizes) {
  // The sizes Windows checks OutputBufferLength against (smbtorture getinfo.*_buffercheck).
  EXPECT_EQ(min_fs_info_buffer(kFileFsVolumeInformation), 24u);
  EXPECT_EQ(min_fs_info_buffer(kFileFsSizeInformation), 24u);
  EXPECT_EQ(min_fs_info_buffer(kFileFsDeviceInformation), 8u);
  EXPECT_EQ(min_fs_info_buffer(kFileFsAttributeInformation), 16u);
  EXPECT_EQ(min_fs_info_buffer(kFileFsControlInformation), 48u);
  EXPECT_EQ(min_fs_info_buffer(kFileFsFullSizeInformation), 32u);
  EXPECT_EQ(min_fs_info_buffer(kFileFsSectorSizeInformation), 28u);
  EXPECT_EQ(min_file_info_buffer(kFileBasicInformation), 40u);
  EXPECT_EQ(min_file_info_buffer(kFileAllInformation), 104u);
  EXPECT_EQ(min_file_info_buffer(kFileNameInformation), 8u);
  EXPECT_EQ(min_file_info_buffer(kFileStreamInformation), 32u);
  EXPECT_EQ(min_file_info_buffer(kFileNetworkOpenInformation), 56u);
  EXPECT_EQ(min_file_info_buffer(kFileAttributeTagInformation), 8u);
}

// ---------------------------------------------------------------------------------------------
DirEntry entry(std::string name, bool dir = false) {
  DirEntry e;
  e.name = std::move(name);
  e.info = dir ? sample_dir() : sample_file();
  return e;
}

TEST(FsccDir, DirectoryClasses) {
  for (std::uint8_t c : std::initializer_list<std::uint8_t>{1, 2, 3, 12, 37, 38}) EXPECT_TRUE(is_directory_class(c)) << int{c};
  for (std::uint8_t c : std::initializer_list<std::uint8_t>{0, 4, 9, 18, 34, 39, 60}) EXPECT_FALSE(is_directory_class(c)) << int{c};
  Buf out;
  std::size_t prev = std::string::npos;
  EXPECT_FALSE(append_dir_entry(kFileBasicInformation, entry("x"), 0, out, prev, 1000));
  EXPECT_TRUE(out.empty());
}

struct DirLayout {
  std::uint8_t cls;
  std::size_t name_offset;
};

TEST(FsccDir, LayoutPerClass) {
  const DirLayout layouts[] = {{kFileDirectoryInformation, 64}, {kFileFullDirectoryInformation, 68},
                               {kFileBothDirectoryInformation, 94}, {kFileNamesInformation, 12},
                               {kFileIdBothDirectoryInformation, 104},
                               {kFileIdFullDirectoryInformation, 80}};
  for (const auto& l : layouts) {
    SCOPED_TRACE(int{l.cls});
    Buf out;
    std::size_t prev = std::string::npos;
    DirEntry e = entry("name.txt");
    e.info.attributes = kAttrReadonly;
    ASSERT_TRUE(append_dir_entry(l.cls, e, 7, out, prev, 65536));
    ASSERT_EQ(out.size(), l.name_offset + 16);  // no trailing padding
    EXPECT_EQ(prev, 0u);
    EXPECT_EQ(u32(out, 0), 0u);  // NextEntryOffset of the last entry
    EXPECT_EQ(u32(out, 4), 7u);  // FileIndex
    EXPECT_EQ(name_at(out, l.name_offset, 16), "name.txt");
    if (l.cls == kFileNamesInformation) {
      EXPECT_EQ(u32(out, 8), 16u);
      continue;
    }
    EXPECT_EQ(u64(out, 8), e.info.creation);
    EXPECT_EQ(u64(out, 16), e.info.last_access);
    EXPECT_EQ(u64(out, 24), e.info.last_write);
    EXPECT_EQ(u64(out, 32), e.info.change);
    EXPECT_EQ(u64(out, 40), 1000u);  // EndOfFile before AllocationSize
    EXPECT_EQ(u64(out, 48), 4096u);
    EXPECT_EQ(u32(out, 56), kAttrReadonly);
    EXPECT_EQ(u32(out, 60), 16u);
    if (l.cls != kFileDirectoryInformation) {
      EXPECT_EQ(u32(out, 64), 0u);  // EaSize
    }
    if (l.cls == kFileBothDirectoryInformation || l.cls == kFileIdBothDirectoryInformation) {
      for (std::size_t i = 68; i < 94; ++i) EXPECT_EQ(out[i], 0) << i;  // no short name
    }
    if (l.cls == kFileIdBothDirectoryInformation) {
      EXPECT_EQ(u16(out, 94), 0u);
      EXPECT_EQ(u64(out, 96), e.info.file_id);
    }
    if (l.cls == kFileIdFullDirectoryInformation) {
      EXPECT_EQ(u32(out, 68), 0u);
      EXPECT_EQ(u64(out, 72), e.info.file_id);
    }
  }
}

TEST(FsccDir, ChainingAndAlignment) {
  Buf out;
  std::size_t prev = std::string::npos;
  // IdBoth: 104 + 2*len. "a" → 106, "bb" → 108, "ccc" → 110.
  ASSERT_TRUE(append_dir_entry(kFileIdBothDirectoryInformation, entry("a"), 0, out, prev, 4096));
  EXPECT_EQ(out.size(), 106u);
  ASSERT_TRUE(append_dir_entry(kFileIdBothDirectoryInformation, entry("bb", true), 0, out, prev,
                               4096));
  EXPECT_EQ(prev, 112u);
  EXPECT_EQ(out.size(), 112u + 108u);
  ASSERT_TRUE(append_dir_entry(kFileIdBothDirectoryInformation, entry("ccc"), 0, out, prev, 4096));
  EXPECT_EQ(prev, 224u);
  EXPECT_EQ(out.size(), 224u + 110u);
  EXPECT_EQ(u32(out, 0), 112u);
  EXPECT_EQ(u32(out, 112), 112u);
  EXPECT_EQ(u32(out, 224), 0u);
  for (std::size_t i = 106; i < 112; ++i) EXPECT_EQ(out[i], 0);  // padding
  EXPECT_EQ(u32(out, 112 + 56), kAttrDirectory);
  EXPECT_EQ(name_at(out, 224 + 104, 6), "ccc");
  // Walk the chain.
  std::size_t off = 0, count = 1;
  while (u32(out, off) != 0) {
    off += u32(out, off);
    EXPECT_EQ(off % 8, 0u);
    ++count;
  }
  EXPECT_EQ(count, 3u);
}

TEST(FsccDir, MaxSizeRespectedExactly) {
  // First entry: Names class, 12 + 2 = 14 bytes. Second starts at 16 and is 14 bytes → 30.
  {
    Buf out;
    std::size_t prev = std::string::npos;
    EXPECT_FALSE(append_dir_entry(kFileNamesInformation, entry("x"), 0, out, prev, 13));
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(prev, std::string::npos);
    ASSERT_TRUE(append_dir_entry(kFileNamesInformation, entry("x"), 0, out, prev, 14));
    EXPECT_EQ(out.size(), 14u);
  }
  {
    Buf out;
    std::size_t prev = std::string::npos;
    ASSERT_TRUE(append_dir_entry(kFileNamesInformation, entry("x"), 0, out, prev, 29));
    const Buf before = out;
    EXPECT_FALSE(append_dir_entry(kFileNamesInformation, entry("y"), 0, out, prev, 29));
    EXPECT_EQ(out, before);  // unchanged, NextEntryOffset not patched
    EXPECT_EQ(prev, 0u);
    EXPECT_EQ(u32(out, 0), 0u);
    ASSERT_TRUE(append_dir_entry(kFileNamesInformation, entry("y"), 0, out, prev, 30));
    EXPECT_EQ(out.size(), 30u);
    EXPECT_EQ(u32(out, 0), 16u);
    EXPECT_EQ(prev, 16u);
  }
  {  // max_size below the padded start of the next entry
    Buf out;
    std::size_t prev = std::string::npos;
    ASSERT_TRUE(append_dir_entry(kFileNamesInformation, entry("x"), 0, out, prev, 15));
    EXPECT_FALSE(append_dir_entry(kFileNamesInformation, entry(""), 0, out, prev, 15));
    EXPECT_EQ(out.size(), 14u);
  }
}

TEST(FsccDir, UnicodeName) {
  Buf out;
  std::size_t prev = std::string::npos;
  ASSERT_TRUE(append_dir_entry(kFileFullDirectoryInformation, entry("日本語😀"), 0, out, prev,
                               4096));
  EXPECT_EQ(u32(out, 60), 10u);  // 3 BMP chars + a surrogate pair
  EXPECT_EQ(name_at(out, 68, 10), "日本語😀");
}

// ---------------------------------------------------------------------------------------------
struct WildCase {
  const char* pattern;
  const char* name;
  bool expect;
  bool case_sensitive = false;
};

TEST(FsccWildcard, Table) {
  const WildCase cases[] = {
      {"*", "anything.txt", true},
      {"*", "", true},
      {"*.*", "noext", true},
      {"*.*", "a.b", true},
      {"*.*", ".hidden", true},
      {"", "x", true},
      {"*.txt", "a.txt", true},
      {"*.txt", "A.TXT", true},
      {"*.txt", "a.txt.bak", false},
      {"*.txt", "txt", false},
      {"*.txt", ".txt", true},
      {"a?c", "abc", true},
      {"a?c", "ac", false},
      {"a?c", "abbc", false},
      {"a?c", "a.c", true},
      {"?", "é", true},
      {"??", "é", false},
      {"abc", "ABC", true},
      {"abc", "ABC", false, true},
      {"abc", "abc", true, true},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"*?", "", false},
      {"*?", "a", true},
      {"a", "", false},
      {"<", "noext", true},
      {"<", "a.b", false},
      {"<.txt", "a.txt", true},
      {"<.txt", "a.b.txt", true},
      {"<.txt", "atxt", false},
      {"<.txt", "a.txt.doc", false},
      {"a>>.txt", "a.txt", true},
      {"a>>.txt", "ab.txt", true},
      {"a>>.txt", "abc.txt", true},
      {"a>>.txt", "abcd.txt", false},
      {">>>", "ab", true},
      {">>>", "abc", true},
      {">>>", "abcd", false},
      {">", ".", false},
      {"foo\"*", "foo", true},
      {"foo\"*", "foo.bar", true},
      {"foo\"*", "foox", false},
      {"a\"", "a", true},
      {"a\"", "a.", true},
      {"a\"", "ab", false},
      {"<\"*", "abc", true},
      {"<\"*", "a.b.c", true},
      {"É*", "école", true},
      {"É*", "école", false, true},
      {"ä?", "Äx", true},
      {"日本*", "日本語.txt", true},
      {"日?語", "日本語", true},
      {"*.TXT", "résumé.txt", true},
      {"RÉSUMÉ.TXT", "résumé.txt", true},
      {"Straße", "STRASSE", false},
      {"*😀*", "a😀b", true},
      {"?", "😀", true},
  };
  for (const auto& c : cases)
    EXPECT_EQ(wildcard_match(c.pattern, c.name, c.case_sensitive), c.expect)
        << "pattern '" << c.pattern << "' name '" << c.name << "' cs=" << c.case_sensitive;
}

TEST(FsccWildcard, NoExponentialBacktracking) {
  const std::string name(5000, 'a');
  std::string pattern;
  for (int i = 0; i < 40; ++i) pattern += "*a";
  pattern += "*b";
  EXPECT_FALSE(wildcard_match(pattern, name));
  pattern.back() = 'a';
  EXPECT_TRUE(wildcard_match(pattern, name));
  std::string dos;
  for (int i = 0; i < 40; ++i) dos += "<a";
  EXPECT_TRUE(wildcard_match(dos, name));
  EXPECT_FALSE(wildcard_match(dos + "b", name));
}

TEST(FsccWildcard, InvalidUtf8MatchesBytewise) {
  const std::string bad = "a\xFF" "b";
  EXPECT_TRUE(wildcard_match("a?b", bad));
  EXPECT_TRUE(wildcard_match(bad, bad));
  EXPECT_FALSE(wildcard_match("a\xFE" "b", bad));
}

// ---------------------------------------------------------------------------------------------
void put64(Buf& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put32(Buf& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

TEST(FsccDecode, BasicInfo) {
  Buf b;
  put64(b, 0);
  put64(b, ~std::uint64_t{0});  // -1
  put64(b, 0x01D0000000000000ULL);
  put64(b, ~std::uint64_t{0} - 1);  // -2
  put32(b, kAttrHidden);
  put32(b, 0);
  auto r = decode_basic_info(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->creation, 0u);
  EXPECT_EQ(r->last_access, 0u);
  EXPECT_EQ(r->last_write, 0x01D0000000000000ULL);
  EXPECT_EQ(r->change, 0u);
  EXPECT_EQ(r->attributes, kAttrHidden);
  for (std::size_t n = 0; n < 40; ++n) {
    auto t = decode_basic_info(Bytes(b.data(), n));
    ASSERT_FALSE(t.ok()) << n;
    EXPECT_EQ(t.status(), NtStatus::info_length_mismatch) << n;
  }
  b.push_back(0);  // longer buffers are fine
  EXPECT_TRUE(decode_basic_info(b).ok());
  Buf bad(40, 0);
  bad[7] = 0x80;  // creation negative, < -2
  auto t = decode_basic_info(bad);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status(), NtStatus::invalid_parameter);
}

Buf rename_buf(bool ex, std::uint32_t flags_or_replace, std::string_view name,
               std::optional<std::uint32_t> len_override = {}) {
  Buf b;
  if (ex) {
    put32(b, flags_or_replace);
    put32(b, 0);
  } else {
    b.push_back(static_cast<std::uint8_t>(flags_or_replace));
    b.insert(b.end(), 7, 0xEE);  // reserved: ignored
  }
  put64(b, 0x42);
  const Buf n = to_utf16le(name);
  put32(b, len_override ? *len_override : static_cast<std::uint32_t>(n.size()));
  b.insert(b.end(), n.begin(), n.end());
  return b;
}

TEST(FsccDecode, RenameInfo) {
  Buf b = rename_buf(false, 1, "dir\\new näme.txt");
  auto r = decode_rename_info(b, false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->replace_if_exists);
  EXPECT_EQ(r->root_directory, 0x42u);
  EXPECT_EQ(r->file_name, "dir\\new näme.txt");

  r = decode_rename_info(rename_buf(false, 0, "x"), false);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->replace_if_exists);

  r = decode_rename_info(rename_buf(true, 0x1, "y"), true);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->replace_if_exists);
  EXPECT_EQ(r->file_name, "y");
  r = decode_rename_info(rename_buf(true, 0x2, "y"), true);  // POSIX_SEMANTICS only
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->replace_if_exists);
}

TEST(FsccDecode, RenameInfoErrors) {
  const Buf good = rename_buf(false, 0, "abc");
  for (std::size_t n = 0; n < 20; ++n) {
    auto r = decode_rename_info(Bytes(good.data(), n), false);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status(), NtStatus::info_length_mismatch) << n;
  }
  // Name truncated: length beyond the buffer.
  auto r = decode_rename_info(Bytes(good.data(), good.size() - 1), false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
  r = decode_rename_info(rename_buf(false, 0, "abc", 0xFFFFFFFFu), false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
  // Odd length.
  r = decode_rename_info(rename_buf(false, 0, "abc", 5), false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
  // A lone surrogate is a name Windows accepts: kept, in its three-byte form.
  Buf lone = rename_buf(true, 0, "", 2);
  lone.push_back(0x00);
  lone.push_back(0xD8);
  r = decode_rename_info(lone, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->file_name, "\xED\xA0\x80");
}

TEST(FsccDecode, SmallInfos) {
  Buf b;
  put64(b, 0x0123456789ABCDEFULL);
  auto u = decode_u64_info(b);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, 0x0123456789ABCDEFULL);
  auto us = decode_u64_info(Bytes(b.data(), 7));
  ASSERT_FALSE(us.ok());
  EXPECT_EQ(us.status(), NtStatus::info_length_mismatch);

  const Buf one = {1};
  auto d = decode_disposition_info(one, false);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(*d);
  d = decode_disposition_info(Buf{0}, false);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(*d);
  d = decode_disposition_info(Bytes{}, false);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status(), NtStatus::info_length_mismatch);
  d = decode_disposition_info(Buf{0x03, 0, 0, 0}, true);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(*d);
  d = decode_disposition_info(Buf{0x02, 0, 0, 0}, true);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(*d);
  d = decode_disposition_info(Buf{0x01, 0, 0}, true);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status(), NtStatus::info_length_mismatch);

  auto m = decode_mode_info(Buf{0x10, 0, 0, 0});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, 0x10u);
  m = decode_mode_info(Buf{0x10, 0, 0});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status(), NtStatus::info_length_mismatch);
}

}  // namespace
}  // namespace smbsrv::fscc

namespace smbsrv::fscc {
namespace {

TEST(FsccDir, BothClassesListTheGeneratedShortName) {
  OpenContext ctx;
  ctx.name = "dir\\torture_search.txt";
  auto alt = encode_file_info(kFileAlternateNameInformation, sample_file(), ctx);
  ASSERT_TRUE(alt);
  const std::string sn = name_at(*alt, 4, u32(*alt, 0));
  for (const auto cls : {kFileBothDirectoryInformation, kFileIdBothDirectoryInformation}) {
    std::vector<std::uint8_t> out;
    std::size_t prev = std::string::npos;
    ASSERT_TRUE(append_dir_entry(cls, entry("torture_search.txt"), 0, out, prev, 65536, true));
    ASSERT_EQ(out[68], sn.size() * 2);  // ShortNameLength
    EXPECT_EQ(name_at(out, 70, out[68]), sn) << int{cls};
    // A share without short names (Share::short_names off, the default) lists none.
    std::vector<std::uint8_t> off;
    std::size_t prev_off = std::string::npos;
    ASSERT_TRUE(append_dir_entry(cls, entry("torture_search.txt"), 0, off, prev_off, 65536));
    EXPECT_EQ(off[68], 0u) << int{cls};
  }
}

}  // namespace
}  // namespace smbsrv::fscc
