// 8.3 short names on a share that has them (Share::short_names) and on one that has not: what
// listings report, and opening by a short name (engine/short_names.hpp).
#include <gtest/gtest.h>

#include <cctype>

#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kOpen = 1, kCreate = 2;
constexpr std::uint32_t kDirectoryFile = 0x1, kDeleteOnCloseOpt = 0x1000;
constexpr std::uint8_t kIdBoth = 0x25, kNameInfo = 9, kAltNameInfo = 21;

std::string ascii_of(const Vec& utf16) {
  std::string s;
  for (std::size_t i = 0; i + 1 < utf16.size(); i += 2) s.push_back(static_cast<char>(utf16[i]));
  return s;
}

struct ShortNames : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  void SetUp() override {
    Share s;
    s.name = "sn";
    s.vfs = make_memory_vfs();
    s.short_names = true;
    st->add_share(std::move(s));
  }
  void make(std::string_view name, std::uint32_t options = 0) {
    auto f = c.create(name, access::kFullAccess, kShareAll, kCreate, options);
    ASSERT_EQ(f.status, NtStatus::success) << name;
    ASSERT_EQ(c.close(f.fid).status(), NtStatus::success);
  }
  /// FileNameInformation / FileAlternateNameInformation of the file at `path`.
  std::string name_info(std::string_view path, std::uint8_t cls) {
    auto f = c.create(path, access::kFileReadAttributes, kShareAll, kOpen);
    if (f.status != NtStatus::success) return "<" + std::string(to_string(f.status)) + ">";
    auto r = c.query_info(f.fid, 1, cls);
    EXPECT_EQ(c.close(f.fid).status(), NtStatus::success);
    if (r.status() != NtStatus::success) return "<" + std::string(to_string(r.status())) + ">";
    const Vec b = r.buffer(r.u16(2), r.u32(4));
    return ascii_of(Vec(b.begin() + 4, b.begin() + 4 + le32(b, 0)));
  }
  /// The ShortName an IdBoth listing of `dir` gives the entry `name`.
  std::string listed_short_name(std::string_view dir, std::string_view name) {
    auto d = c.create(dir, access::kFileListDirectory, kShareAll, kOpen, kDirectoryFile);
    EXPECT_EQ(d.status, NtStatus::success);
    auto r = c.query_directory(d.fid, name, kIdBoth, codec::kRestartScans);
    EXPECT_EQ(r.status(), NtStatus::success);
    EXPECT_EQ(c.close(d.fid).status(), NtStatus::success);
    if (r.status() != NtStatus::success) return "<none>";
    const Vec e = r.buffer(r.u16(2), r.u32(4));
    return ascii_of(Vec(e.begin() + 70, e.begin() + 70 + e[68]));
  }
};

TEST_F(ShortNames, ListedReportedAndOpenable) {
  c.connect({0x0311}, "sn");
  make("Long Directory Name", kDirectoryFile);
  make("Long Directory Name\\LongFileName.text");
  const std::string dir_sn = *fscc::short_name_of("Long Directory Name");
  const std::string sn = *fscc::short_name_of("LongFileName.text");
  EXPECT_EQ(sn.find('~'), 6u);
  EXPECT_EQ(sn.substr(sn.size() - 4), ".TEX");
  EXPECT_EQ(name_info("Long Directory Name\\LongFileName.text", kAltNameInfo), sn);
  EXPECT_EQ(listed_short_name("Long Directory Name", "LongFileName.text"), sn);
  EXPECT_EQ(listed_short_name("", "Long Directory Name"), dir_sn);
  // Opened by its short name, in any case, through a directory named by its short name too.
  EXPECT_EQ(name_info(dir_sn + "\\" + sn, kNameInfo), "\\Long Directory Name\\LongFileName.text");
  std::string lower = sn;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(name_info("Long Directory Name\\" + lower, kNameInfo), "\\Long Directory Name\\LongFileName.text");
  // A name that is 8.3 already lists no short name; a name with '~' that exists is itself.
  make("Long Directory Name\\SHORT.TXT");
  EXPECT_EQ(listed_short_name("Long Directory Name", "SHORT.TXT"), "");
  make("Long Directory Name\\AB~1");
  EXPECT_EQ(name_info("Long Directory Name\\AB~1", kNameInfo), "\\Long Directory Name\\AB~1");
}

// smbtorture smb2.mangle: delete a file by its short name, create it again by the short name,
// and it has its long name back (NTFS's name tunneling), so that deleting by the long name works.
TEST_F(ShortNames, RecreatedByShortNameGetsTheLongNameBack) {
  c.connect({0x0311}, "sn");
  make("mangle_test", kDirectoryFile);
  make("mangle_test\\some long name.dat");
  const std::string sn = *fscc::short_name_of("some long name.dat");
  auto del = c.create("mangle_test\\" + sn, access::kFullAccess, kShareAll, kOpen, kDeleteOnCloseOpt);
  ASSERT_EQ(del.status, NtStatus::success);
  ASSERT_EQ(c.close(del.fid).status(), NtStatus::success);
  EXPECT_EQ(c.create("mangle_test\\some long name.dat", access::kFullAccess, kShareAll, kOpen).status,
            NtStatus::object_name_not_found);
  make("mangle_test\\" + sn);
  EXPECT_EQ(name_info("mangle_test\\some long name.dat", kNameInfo), "\\mangle_test\\some long name.dat");
  // A short name nothing stood for is created as it is.
  make("mangle_test\\NEW~1.TXT");
  EXPECT_EQ(name_info("mangle_test\\NEW~1.TXT", kNameInfo), "\\mangle_test\\NEW~1.TXT");
}

// Off (the default): listings carry no short name and a short name opens nothing.
// FileAlternateNameInformation answers as before.
TEST_F(ShortNames, OffByDefault) {
  c.connect({0x0311}, "share");
  make("LongFileName.text");
  const std::string sn = *fscc::short_name_of("LongFileName.text");
  EXPECT_EQ(listed_short_name("", "LongFileName.text"), "");
  EXPECT_EQ(name_info("LongFileName.text", kAltNameInfo), sn);
  EXPECT_EQ(c.create(sn, access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
}

}  // namespace
}  // namespace smbsrv::test
