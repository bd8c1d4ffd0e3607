// SET_INFO FileLinkInformation (hard links, MS-FSA 2.1.5.15.6) over a MemoryVfs share: a second
// name for an open file, and the statuses of each refusal.
#include <gtest/gtest.h>

#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kOpen = 1, kCreate = 2, kOpenIf = 3;
constexpr std::uint32_t kDirectoryFile = 0x1;

Vec link_info(std::string_view name, bool replace, std::uint64_t root = 0) {
  const Vec n = to_utf16le(name);
  Body b;
  b.u8(replace ? 1 : 0).zeros(7).u64(root).u32(static_cast<std::uint32_t>(n.size())).bytes(n);
  return b.b;
}

struct Link : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  codec::FileId fid;
  void SetUp() override {
    c.connect({0x0311});
    auto f = c.create("a.txt", access::kFullAccess, kShareAll, kOpenIf);
    ASSERT_EQ(f.status, NtStatus::success);
    fid = f.fid;
    ASSERT_EQ(c.write(fid, 0, Vec(100, 0xAB)).status(), NtStatus::success);
  }
  NtStatus link(const codec::FileId& f, std::string_view to, bool replace, std::uint64_t root = 0) {
    return c.set_info(f, codec::kInfoFile, fscc::kFileLinkInformation, link_info(to, replace, root)).status();
  }
  std::uint32_t links(const codec::FileId& f) {
    auto r = c.one({Command::query_info,
                    EngineClient::query_info_body(f, codec::kInfoFile, fscc::kFileStandardInformation)});
    EXPECT_EQ(r.status(), NtStatus::success);
    return r.u32(8 + 16);  // NumberOfLinks
  }
};

TEST_F(Link, ASecondNameOpensTheSameFile) {
  EXPECT_EQ(links(fid), 1u);
  ASSERT_EQ(link(fid, "b.txt", false), NtStatus::success);
  EXPECT_EQ(links(fid), 2u);
  auto b = c.create("b.txt", access::kFullAccess, kShareAll, kOpen);
  ASSERT_EQ(b.status, NtStatus::success);
  auto r = c.read(b.fid, 0, 100);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(links(b.fid), 2u);
  ASSERT_EQ(c.close(b.fid).status(), NtStatus::success);
  // A leading backslash is accepted, as in a rename.
  ASSERT_EQ(link(fid, "\\c.txt", false), NtStatus::success);
  EXPECT_EQ(links(fid), 3u);
}

/// FileHardLinkInformation entries: (ParentFileId, name), and the header's BytesNeeded.
struct Links {
  std::uint32_t bytes_needed = 0;
  std::vector<std::pair<std::uint64_t, std::string>> entries;
};
Links parse_links(const Rsp& r) {
  Links out;
  const Vec d = r.buffer(r.u16(2), r.u32(4));
  if (d.size() < 8) return out;
  out.bytes_needed = le32(d, 0);
  const std::uint32_t count = le32(d, 4);
  std::size_t pos = 8;
  for (std::uint32_t i = 0; i < count && pos + 20 <= d.size(); ++i) {
    const std::uint32_t next = le32(d, pos), chars = le32(d, pos + 16);
    std::string name;
    for (std::uint32_t k = 0; k < chars; ++k) name.push_back(static_cast<char>(d[pos + 20 + 2 * k]));
    out.entries.emplace_back(le64(d, pos + 8), name);
    if (next == 0) break;
    pos += next;
  }
  return out;
}

TEST_F(Link, HardLinkInformationListsEveryName) {
  auto sub = c.create("sub", access::kFullAccess, kShareAll, kCreate, kDirectoryFile);
  ASSERT_EQ(sub.status, NtStatus::success);
  auto q = c.query_info(fid, codec::kInfoFile, fscc::kFileHardLinkInformation);
  ASSERT_EQ(q.status(), NtStatus::success);
  auto l = parse_links(q);
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.entries[0].second, "a.txt");
  const std::uint64_t root_id = l.entries[0].first;
  ASSERT_EQ(link(fid, "sub\\b.txt", false), NtStatus::success);
  q = c.query_info(fid, codec::kInfoFile, fscc::kFileHardLinkInformation);
  ASSERT_EQ(q.status(), NtStatus::success);
  l = parse_links(q);
  ASSERT_EQ(l.entries.size(), 2u);
  EXPECT_EQ(l.entries[0], (std::pair<std::uint64_t, std::string>{root_id, "a.txt"}));
  EXPECT_EQ(l.entries[1].second, "b.txt");
  EXPECT_NE(l.entries[1].first, root_id);  // the FileId of "sub"
  EXPECT_EQ(l.bytes_needed, 70u);
  // A buffer for one entry only: that one, BUFFER_OVERFLOW, and BytesNeeded for both.
  auto part = c.query_info(fid, codec::kInfoFile, fscc::kFileHardLinkInformation, 40);
  ASSERT_EQ(part.status(), NtStatus::buffer_overflow);
  l = parse_links(part);
  EXPECT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.bytes_needed, 70u);
  EXPECT_EQ(c.query_info(fid, codec::kInfoFile, fscc::kFileHardLinkInformation, 16).status(),
            NtStatus::info_length_mismatch);
}

TEST_F(Link, RefusalsAsWindowsGivesThem) {
  auto other = c.create("other.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(other.status, NtStatus::success);
  EXPECT_EQ(link(fid, "other.txt", false), NtStatus::object_name_collision);
  // The name to replace is open: refused; once closed, replaced.
  EXPECT_EQ(link(fid, "other.txt", true), NtStatus::access_denied);
  ASSERT_EQ(c.close(other.fid).status(), NtStatus::success);
  EXPECT_EQ(link(fid, "other.txt", true), NtStatus::success);
  EXPECT_EQ(links(fid), 2u);
  // A directory has no hard links, and no name of a directory is replaced.
  auto d = c.create("d", access::kFullAccess, kShareAll, kCreate, kDirectoryFile);
  ASSERT_EQ(d.status, NtStatus::success);
  EXPECT_EQ(link(d.fid, "d2", false), NtStatus::file_is_a_directory);
  EXPECT_EQ(link(fid, "d", true), NtStatus::access_denied);
  EXPECT_EQ(links(d.fid), 1u);
  // RootDirectory must be zero over the network; names are checked.
  EXPECT_EQ(link(fid, "x.txt", false, 5), NtStatus::invalid_parameter);
  EXPECT_EQ(link(fid, "", false), NtStatus::object_name_invalid);
  EXPECT_EQ(link(fid, "nodir\\x.txt", false), NtStatus::object_path_not_found);
  // Truncated buffers.
  for (std::size_t n : {0u, 8u, 19u})
    EXPECT_EQ(c.set_info(fid, codec::kInfoFile, fscc::kFileLinkInformation, Vec(n, 0)).status(),
              NtStatus::info_length_mismatch)
        << n;
  // A file pending deletion gets no new name.
  Body del;
  del.u8(1);
  ASSERT_EQ(c.set_info(fid, codec::kInfoFile, fscc::kFileDispositionInformation, del.b).status(), NtStatus::success);
  EXPECT_EQ(link(fid, "late.txt", false), NtStatus::access_denied);
}

}  // namespace
}  // namespace smbsrv::test
