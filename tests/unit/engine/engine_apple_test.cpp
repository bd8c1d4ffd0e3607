// Apple's extensions (engine/apple.hpp) over a MemoryVfs share: the AAPL create context, the
// Finder's extras in FileIdBothDirectoryInformation, and the semantics of the AFP_AfpInfo and
// AFP_Resource streams.
#include <gtest/gtest.h>

#include <cstring>

#include "codec/aapl.hpp"
#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kOpen = 1, kCreate = 2, kOpenIf = 3;

Vec aapl_query(std::uint32_t command = codec::kAaplServerQuery) {
  Body b;
  b.u32(command).u32(0).u64(codec::kAaplServerCaps | codec::kAaplVolumeCaps | codec::kAaplModelInfo);
  b.u64(codec::kAaplSupportsReadDirAttr | codec::kAaplUnixBased | codec::kAaplSupportsNfsAce);
  return b.b;
}

Vec afp_info(std::string_view type_creator) {
  auto blob = codec::default_afp_info();
  std::memcpy(blob.data() + codec::kAfpFinderInfoOffset, type_creator.data(), type_creator.size());
  return Vec(blob.begin(), blob.end());
}

/// FileStreamInformation names.
std::vector<std::string> stream_names(const Rsp& r) {
  std::vector<std::string> out;
  for (const auto& entry : stream_information(r)) out.push_back(entry.first);
  return out;
}

struct Apple : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  void SetUp() override { c.connect({0x0311}); }

  /// Opens the share's root with an AAPL context; the reply's AAPL data, if any.
  std::optional<Vec> negotiate_aapl(const Vec& query = aapl_query()) {
    auto r = c.one({Command::create, create_body_with_contexts("", kOpen, 0, {{"AAPL", query}})});
    EXPECT_EQ(r.status(), NtStatus::success);
    if (r.status() == NtStatus::success) {
      EXPECT_EQ(c.close({r.u64(64), r.u64(72)}).status(), NtStatus::success);
    }
    return create_response_context(r, "AAPL");
  }
  std::vector<std::string> streams(std::string_view file) {
    auto f = c.create(file, access::kFileReadAttributes, kShareAll, kOpen);
    EXPECT_EQ(f.status, NtStatus::success);
    auto q = c.query_info(f.fid, codec::kInfoFile, fscc::kFileStreamInformation);
    EXPECT_EQ(q.status(), NtStatus::success);
    EXPECT_EQ(c.close(f.fid).status(), NtStatus::success);
    return stream_names(q);
  }
  void write_stream(std::string_view name, std::uint64_t offset, const Vec& data) {
    auto s = c.create(name, access::kFullAccess, kShareAll, kOpenIf);
    ASSERT_EQ(s.status, NtStatus::success) << name;
    ASSERT_EQ(c.write(s.fid, offset, data).status(), NtStatus::success) << name;
    ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  }
  NtStatus set_eof(const codec::FileId& f, std::uint64_t eof) {
    return c.set_info(f, codec::kInfoFile, fscc::kFileEndOfFileInformation, Body{}.u64(eof).b).status();
  }
};

TEST_F(Apple, AaplContextIsAnsweredWithTheServersCapabilities) {
  auto reply = negotiate_aapl();
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->size(), 40u + 2 * std::strlen("MacSamba"));
  EXPECT_EQ(le32(*reply, 0), codec::kAaplServerQuery);
  EXPECT_EQ(le64(*reply, 8), codec::kAaplServerCaps | codec::kAaplVolumeCaps | codec::kAaplModelInfo);
  // UNIX_BASED, and READ_DIR_ATTR (the share has streams); neither NFS ACEs nor copyfile.
  EXPECT_EQ(le64(*reply, 16), codec::kAaplUnixBased | codec::kAaplSupportsReadDirAttr);
  EXPECT_EQ(le64(*reply, 24), 0u);  // case-insensitive, no Time Machine
  EXPECT_EQ(le32(*reply, 36), 16u);
  EXPECT_EQ(Vec(reply->begin() + 40, reply->end()), to_utf16le("MacSamba"));
}

TEST_F(Apple, AnythingButAServerQueryGetsNoAnswer) {
  EXPECT_FALSE(negotiate_aapl(aapl_query(2)));
  EXPECT_FALSE(negotiate_aapl(Vec(8, 0)));  // too short
}

TEST(AppleConfig, TimeMachineAndTheSwitch) {
  ServerConfig cfg;
  cfg.aapl_model = "Xserve";
  auto st = make_test_state(cfg);
  Share tm;
  tm.name = "tm";
  tm.vfs = make_memory_vfs();
  tm.time_machine = true;
  st->add_share(std::move(tm));
  EngineClient c{st};
  c.connect({0x0311}, "tm");
  auto r = c.one({Command::create, create_body_with_contexts("", kOpen, 0, {{"AAPL", aapl_query()}})});
  ASSERT_EQ(r.status(), NtStatus::success);
  auto reply = create_response_context(r, "AAPL");
  ASSERT_TRUE(reply);
  EXPECT_EQ(le64(*reply, 24), codec::kAaplFullSync);
  EXPECT_EQ(Vec(reply->begin() + 40, reply->end()), to_utf16le("Xserve"));

  cfg.aapl = false;
  auto off = make_test_state(cfg);
  EngineClient c2{off};
  c2.connect({0x0311});
  auto r2 = c2.one({Command::create, create_body_with_contexts("", kOpen, 0, {{"AAPL", aapl_query()}})});
  ASSERT_EQ(r2.status(), NtStatus::success);
  EXPECT_FALSE(create_response_context(r2, "AAPL"));
}

TEST_F(Apple, ListingsCarryTheFindersExtras) {
  auto f = c.create("m.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(f.status, NtStatus::success);
  ASSERT_EQ(c.close(f.fid).status(), NtStatus::success);
  write_stream("m.txt:AFP_AfpInfo", 0, afp_info("TEXTttxt"));
  write_stream("m.txt:AFP_Resource", 0, Vec{'f', 'o', 'o'});
  auto dir = c.create("", access::kFileListDirectory, kShareAll, kOpen, 1);
  ASSERT_EQ(dir.status, NtStatus::success);
  // Before AAPL: an ordinary entry.
  auto plain = c.query_directory(dir.fid, "m.txt", 0x25, codec::kRestartScans);
  ASSERT_EQ(plain.status(), NtStatus::success);
  Vec e = plain.buffer(plain.u16(2), plain.u32(4));
  ASSERT_GE(e.size(), 104u);
  EXPECT_EQ(e[68], 0u);  // "m.txt" is an 8.3 name: no short name
  EXPECT_NE(le64(e, 96), 0u);
  ASSERT_TRUE(negotiate_aapl());
  auto r = c.query_directory(dir.fid, "m.txt", 0x25, codec::kRestartScans);
  ASSERT_EQ(r.status(), NtStatus::success);
  e = r.buffer(r.u16(2), r.u32(4));
  ASSERT_GE(e.size(), 104u);
  EXPECT_NE(le32(e, 64), 0u);     // the maximal access
  EXPECT_EQ(e[68], 24u);          // ShortNameLength as macOS expects it
  EXPECT_EQ(le64(e, 70), 3u);     // the resource fork's size
  EXPECT_EQ(std::string(e.begin() + 78, e.begin() + 86), "TEXTttxt");
  EXPECT_EQ(le64(e, 96), 0u);     // file IDs are 0 for AAPL clients
  EXPECT_EQ(c.close(dir.fid).status(), NtStatus::success);
}

TEST_F(Apple, AfpInfoIsOneBlobOfSixtyBytes) {
  auto f = c.create("a.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(c.create("a.txt:AFP_AfpInfo", access::kFileReadData, kShareAll, kOpen).status,
            NtStatus::object_name_not_found);
  // Created and not yet written, it reads as an empty blob, and does not exist for others.
  auto s = c.create("a.txt:AFP_AfpInfo", access::kFullAccess, kShareAll, kOpenIf);
  ASSERT_EQ(s.status, NtStatus::success);
  auto r = c.read(s.fid, 0, 60);
  ASSERT_EQ(r.status(), NtStatus::success);
  const auto empty = codec::default_afp_info();
  EXPECT_EQ(EngineClient::read_data(r), Vec(empty.begin(), empty.end()));
  EXPECT_EQ(c.create("a.txt:AFP_AfpInfo", access::kFileReadData, kShareAll, kOpen).status,
            NtStatus::object_name_not_found);
  EXPECT_EQ(streams("a.txt"), (std::vector<std::string>{"::$DATA"}));
  // Only one valid blob at offset 0 is written.
  EXPECT_EQ(c.write(s.fid, 0, Vec{'x', 'y', 'z'}).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(c.write(s.fid, 1, afp_info("TEXTttxt")).status(), NtStatus::invalid_parameter);
  ASSERT_EQ(c.write(s.fid, 0, afp_info("TEXTttxt")).status(), NtStatus::success);
  EXPECT_EQ(streams("a.txt"), (std::vector<std::string>{"::$DATA", ":AFP_AfpInfo:$DATA"}));
  // Offsets up to 60 read from 0; past 60 there is nothing.
  r = c.read(s.fid, 59, 2);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::read_data(r), (Vec{'A', 'F'}));
  EXPECT_EQ(c.read(s.fid, 61, 1).status(), NtStatus::end_of_file);
  // The end of file cannot grow, and a smaller one changes nothing.
  EXPECT_EQ(set_eof(s.fid, 61), NtStatus::allotted_space_exceeded);
  EXPECT_EQ(set_eof(s.fid, 1), NtStatus::success);
  r = c.read(s.fid, 0, 60);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::read_data(r), afp_info("TEXTttxt"));
  // An all-zero FinderInfo deletes it; the handle stays usable.
  ASSERT_EQ(c.write(s.fid, 0, afp_info("")).status(), NtStatus::success);
  EXPECT_EQ(streams("a.txt"), (std::vector<std::string>{"::$DATA"}));
  EXPECT_EQ(c.set_info(s.fid, codec::kInfoFile, fscc::kFileBasicInformation,
                       Body{}.u64(0).u64(0).u64(0x01DA000000000000).u64(0).u32(0x20).u32(0).b)
                .status(),
            NtStatus::success);
  ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  EXPECT_EQ(c.create("a.txt:AFP_AfpInfo", access::kFileReadData, kShareAll, kOpen).status,
            NtStatus::object_name_not_found);
  ASSERT_EQ(c.close(f.fid).status(), NtStatus::success);
}

TEST_F(Apple, AnEmptyResourceForkDoesNotExist) {
  auto f = c.create("r.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(f.status, NtStatus::success);
  auto s = c.create("r.txt:AFP_Resource", access::kFullAccess, kShareAll, kOpenIf);
  ASSERT_EQ(s.status, NtStatus::success);
  EXPECT_EQ(c.create("r.txt:AFP_Resource", access::kFileReadData, kShareAll, kOpen).status,
            NtStatus::object_name_not_found);
  EXPECT_EQ(streams("r.txt"), (std::vector<std::string>{"::$DATA"}));
  ASSERT_EQ(c.write(s.fid, 10, Vec(10, 'r')).status(), NtStatus::success);
  EXPECT_EQ(streams("r.txt"), (std::vector<std::string>{"::$DATA", ":AFP_Resource:$DATA"}));
  // Truncated to nothing, it is gone, while the handle stays open; another open makes it anew.
  EXPECT_EQ(set_eof(s.fid, 0), NtStatus::success);
  EXPECT_EQ(c.create("r.txt:AFP_Resource", access::kFileReadData, kShareAll, kOpen).status,
            NtStatus::object_name_not_found);
  EXPECT_EQ(streams("r.txt"), (std::vector<std::string>{"::$DATA"}));
  write_stream("r.txt:AFP_Resource", 0, Vec{'f', 'o', 'o'});
  EXPECT_EQ(streams("r.txt"), (std::vector<std::string>{"::$DATA", ":AFP_Resource:$DATA"}));
  ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  EXPECT_EQ(streams("r.txt"), (std::vector<std::string>{"::$DATA", ":AFP_Resource:$DATA"}));
  ASSERT_EQ(c.close(f.fid).status(), NtStatus::success);
}

TEST_F(Apple, AStreamTruncatedToNothingIsDeletedOnlyForAaplClients) {
  auto f = c.create("s.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(f.status, NtStatus::success);
  write_stream("s.txt:foo", 0, Vec{'1', '2', '3'});
  auto s = c.create("s.txt:foo", access::kFullAccess, kShareAll, kOpen);
  ASSERT_EQ(s.status, NtStatus::success);
  EXPECT_EQ(set_eof(s.fid, 0), NtStatus::success);
  EXPECT_EQ(streams("s.txt"), (std::vector<std::string>{"::$DATA", ":foo:$DATA"}));  // Windows keeps it
  ASSERT_TRUE(negotiate_aapl());
  EXPECT_EQ(set_eof(s.fid, 0), NtStatus::success);
  EXPECT_EQ(streams("s.txt"), (std::vector<std::string>{"::$DATA"}));
  ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  ASSERT_EQ(c.close(f.fid).status(), NtStatus::success);
}

}  // namespace
}  // namespace smbsrv::test
