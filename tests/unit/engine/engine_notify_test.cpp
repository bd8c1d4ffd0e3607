// CHANGE_NOTIFY through the engine (MS-SMB2 3.3.5.19, MS-FSA 2.1.5.10): changes made by another
// connection answer a waiting request on the watcher's connection; changes between requests are
// kept; filters, WatchTree, renames, the buffer size, the queue cap, CANCEL and CLOSE.
#include <gtest/gtest.h>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Command;
using codec::NotifyEntry;

constexpr std::uint32_t kAll = 0xFFF;
constexpr std::uint32_t kDirectoryFile = 0x1, kDeleteOnClose = 0x1000;
constexpr std::uint32_t kCreate = 2;

Vec notify_body(const codec::FileId& f, std::uint32_t filter, bool tree = false, std::uint32_t out_len = 4096) {
  return EngineClient::change_notify_body(f, filter, tree, out_len);
}

Vec rename_buf(std::string_view to) {
  const Vec n = to_utf16le(to);
  return Body{}.u8(0).zeros(7).u64(0).u32(static_cast<std::uint32_t>(n.size())).bytes(n).b;
}

std::vector<NotifyEntry> changes_of(const Rsp& r) {
  const Vec buf = r.buffer(r.u16(2), r.u32(4));
  auto d = codec::decode_notify_information(buf);
  EXPECT_TRUE(d.ok());
  return d ? *d : std::vector<NotifyEntry>{};
}

struct Notify : ::testing::Test {
  std::shared_ptr<engine::ServerState> st;
  std::unique_ptr<EngineClient> a, b;
  codec::FileId dir;

  void SetUp() override { start({}); }
  void start(const ServerConfig& cfg) {
    st = make_test_state(cfg);
    a = std::make_unique<EngineClient>(st);
    b = std::make_unique<EngineClient>(st);
    b->client_guid[0] = 0x99;
    ASSERT_NO_FATAL_FAILURE(a->connect({0x0311}));
    ASSERT_NO_FATAL_FAILURE(b->connect({0x0311}));
    // Listing rights only: an open of the parent with DELETE would refuse renames in it (as on
    // Windows), and watching needs no more.
    auto d = a->create("d", access::kFileReadData | access::kFileReadAttributes | access::kSynchronize, kShareAll,
                       kCreate, kDirectoryFile);
    ASSERT_EQ(d.status, NtStatus::success);
    dir = d.fid;
  }
  Rsp notify(std::uint32_t filter = kAll, bool tree = false, std::uint32_t out_len = 4096) {
    return a->one({Command::change_notify, notify_body(dir, filter, tree, out_len)});
  }
  /// B creates `name` (a file, or a directory) and closes it.
  void make(std::string_view name, bool directory = false) {
    auto c = b->create(name, access::kFullAccess, kShareAll, kCreate, directory ? kDirectoryFile : 0);
    ASSERT_EQ(c.status, NtStatus::success);
    ASSERT_EQ(b->close(c.fid).status(), NtStatus::success);
  }
  void remove(std::string_view name) {
    auto c = b->create(name, access::kFullAccess, kShareAll, 1 /*open*/, kDeleteOnClose);
    ASSERT_EQ(c.status, NtStatus::success);
    ASSERT_EQ(b->close(c.fid).status(), NtStatus::success);
  }
  /// The final response pushed to A for its waiting notify.
  Rsp pushed() {
    auto p = a->take_pushed();
    EXPECT_EQ(p.size(), 1u);
    return p.empty() ? Rsp{} : p[0];
  }
  std::size_t core_waiters() const { return st->nt.census().waiters; }
};

TEST_F(Notify, AChangeByAnotherConnectionAnswersTheWaitingRequest) {
  auto interim = notify();
  ASSERT_EQ(interim.status(), NtStatus::pending);
  EXPECT_TRUE(a->take_pushed().empty());
  EXPECT_EQ(core_waiters(), 1u);
  ASSERT_NO_FATAL_FAILURE(make("d\\x.txt"));
  auto fin = pushed();
  EXPECT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(fin.hdr.command, Command::change_notify);
  EXPECT_EQ(fin.hdr.async_id, interim.hdr.async_id);
  EXPECT_TRUE(fin.sig_valid);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionAdded, "x.txt"}}));
  EXPECT_EQ(core_waiters(), 0u);
}

TEST_F(Notify, ChangesBetweenRequestsAreKeptAndAnsweredAtOnce) {
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(make("d\\x.txt"));
  ASSERT_EQ(pushed().status(), NtStatus::success);
  // No request waits now: these are collected for the next one.
  auto c = b->create("d\\x.txt");
  ASSERT_EQ(c.status, NtStatus::success);
  const Vec data(10, 1);
  ASSERT_EQ(b->write(c.fid, 0, data).status(), NtStatus::success);
  ASSERT_EQ(b->write(c.fid, 10, data).status(), NtStatus::success);  // the same change: reported once
  ASSERT_EQ(b->close(c.fid).status(), NtStatus::success);
  ASSERT_NO_FATAL_FAILURE(remove("d\\x.txt"));
  ASSERT_NO_FATAL_FAILURE(make("x.txt"));  // not in the watched directory
  auto r = notify();
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(changes_of(r), (std::vector<NotifyEntry>{{codec::kActionModified, "x.txt"}, {codec::kActionRemoved, "x.txt"}}));
}

TEST_F(Notify, NamedStreamsAreReportedAsStreamChanges) {
  // MS-FSCC 2.7.1: ADDED_STREAM / MODIFIED_STREAM / REMOVED_STREAM, named "file:stream", under
  // the STREAM_NAME / STREAM_SIZE / STREAM_WRITE filters.
  ASSERT_NO_FATAL_FAILURE(make("d\\f.txt"));
  const auto d2 = dir;
  auto watch = [&] {
    return a->one({Command::change_notify,
                   notify_body(d2, codec::kNotifyStreamName | codec::kNotifyStreamSize | codec::kNotifyStreamWrite)});
  };
  ASSERT_EQ(watch().status(), NtStatus::pending);
  auto t = b->create("d\\f.txt:two", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(t.status, NtStatus::success);
  auto fin = a->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(changes_of(fin[0]), (std::vector<NotifyEntry>{{codec::kActionAddedStream, "f.txt:two"}}));
  ASSERT_EQ(b->write(t.fid, 0, Vec(4, 1)).status(), NtStatus::success);
  ASSERT_EQ(b->set_info(t.fid, codec::kInfoFile, 13 /*FileDispositionInformation*/, Vec{1}).status(),
            NtStatus::success);
  ASSERT_EQ(b->close(t.fid).status(), NtStatus::success);
  auto r = watch();
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(changes_of(r), (std::vector<NotifyEntry>{{codec::kActionModifiedStream, "f.txt:two"},
                                                     {codec::kActionRemovedStream, "f.txt:two"}}));
}

TEST_F(Notify, FilterAndTreeAreThoseOfTheFirstRequest) {
  // DIR_NAME only, without WatchTree: a file is not reported, nor anything deeper.
  ASSERT_EQ(notify(codec::kNotifyDirName).status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(make("d\\file"));
  ASSERT_NO_FATAL_FAILURE(make("d\\sub", true));
  EXPECT_EQ(changes_of(pushed()), (std::vector<NotifyEntry>{{codec::kActionAdded, "sub"}}));
  // A later request asking for everything, with WatchTree, changes nothing.
  ASSERT_EQ(notify(kAll, true).status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(make("d\\sub\\deep", true));
  ASSERT_NO_FATAL_FAILURE(make("d\\file2"));
  EXPECT_TRUE(a->take_pushed().empty());
  ASSERT_NO_FATAL_FAILURE(make("d\\sub2", true));
  EXPECT_EQ(changes_of(pushed()), (std::vector<NotifyEntry>{{codec::kActionAdded, "sub2"}}));
}

TEST_F(Notify, WatchTreeNamesChangesBelowWithBackslashes) {
  ASSERT_NO_FATAL_FAILURE(make("d\\sub", true));
  ASSERT_EQ(notify(codec::kNotifyFileName, true).status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(make("d\\sub\\f.txt"));
  EXPECT_EQ(changes_of(pushed()), (std::vector<NotifyEntry>{{codec::kActionAdded, "sub\\f.txt"}}));
}

TEST_F(Notify, RenamesWithinAndAcrossDirectories) {
  ASSERT_NO_FATAL_FAILURE(make("d\\sub", true));
  ASSERT_NO_FATAL_FAILURE(make("d\\a"));
  ASSERT_EQ(notify(codec::kNotifyFileName, true).status(), NtStatus::pending);
  auto f = b->create("d\\a");
  ASSERT_EQ(f.status, NtStatus::success);
  // Within one directory: the old and the new name, in one answer.
  ASSERT_EQ(b->set_info(f.fid, codec::kInfoFile, 10, rename_buf("d\\b")).status(), NtStatus::success);
  EXPECT_EQ(changes_of(pushed()),
            (std::vector<NotifyEntry>{{codec::kActionRenamedOld, "a"}, {codec::kActionRenamedNew, "b"}}));
  // Across directories: removed from one, added to the other.
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_EQ(b->set_info(f.fid, codec::kInfoFile, 10, rename_buf("d\\sub\\c")).status(), NtStatus::success);
  EXPECT_EQ(changes_of(pushed()),
            (std::vector<NotifyEntry>{{codec::kActionRemoved, "b"}, {codec::kActionAdded, "sub\\c"}}));
}

TEST_F(Notify, BufferTooSmallOrOverflowIsEnumDir) {
  ASSERT_EQ(notify(kAll, false, 0x10000).status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(make("d\\x"));
  ASSERT_EQ(pushed().status(), NtStatus::success);
  ASSERT_NO_FATAL_FAILURE(make("d\\a-longer-name"));
  // What was collected does not fit this request's buffer: NOTIFY_ENUM_DIR, no data.
  auto r = notify(kAll, false, 8);
  EXPECT_EQ(r.status(), NtStatus::notify_enum_dir);
  // Beyond MaxTransactSize: refused.
  EXPECT_EQ(notify(kAll, false, st->config.max_transact + 1).status(), NtStatus::invalid_parameter);
}

struct NotifyCap : Notify {
  void SetUp() override {
    ServerConfig cfg;
    cfg.max_notify_changes = 2;
    start(cfg);
  }
};

TEST_F(NotifyCap, PastTheCapChangesAreLost) {
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(make("d\\0"));
  ASSERT_EQ(pushed().status(), NtStatus::success);
  for (const char* n : {"d\\1", "d\\2", "d\\3"}) ASSERT_NO_FATAL_FAILURE(make(n));
  EXPECT_EQ(notify().status(), NtStatus::notify_enum_dir);
  // The next change is reported again.
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(make("d\\4"));
  EXPECT_EQ(changes_of(pushed()), (std::vector<NotifyEntry>{{codec::kActionAdded, "4"}}));
}

TEST_F(Notify, AWatchedDirectoryBeingDeletedEndsItsRequests) {
  ASSERT_EQ(notify().status(), NtStatus::pending);
  auto d = b->create("d", access::kFullAccess, kShareAll, 1 /*open*/, kDirectoryFile | kDeleteOnClose);
  ASSERT_EQ(d.status, NtStatus::success);
  ASSERT_EQ(b->close(d.fid).status(), NtStatus::success);
  EXPECT_EQ(pushed().status(), NtStatus::delete_pending);
  EXPECT_EQ(notify().status(), NtStatus::delete_pending);
  EXPECT_EQ(core_waiters(), 0u);
}

TEST_F(Notify, NeedsListDirectoryAccessAndADirectory) {
  auto r = a->create("d", access::kFileReadAttributes, kShareAll, 1, kDirectoryFile);
  ASSERT_EQ(r.status, NtStatus::success);
  EXPECT_EQ(a->one({Command::change_notify, notify_body(r.fid, kAll)}).status(), NtStatus::access_denied);
  auto f = a->create("file");
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(a->one({Command::change_notify, notify_body(f.fid, kAll)}).status(), NtStatus::invalid_parameter);
}

TEST_F(Notify, CloseEndsTheWaitWithCleanupAndCancelKeepsTheWatch) {
  auto interim = notify();
  ASSERT_EQ(interim.status(), NtStatus::pending);
  Req cancel{Command::cancel, EngineClient::empty4_body()};
  cancel.message_id = interim.hdr.message_id;
  cancel.sign = false;
  EXPECT_TRUE(a->send(cancel).msgs.empty());
  EXPECT_EQ(pushed().status(), NtStatus::cancelled);
  EXPECT_EQ(core_waiters(), 0u);
  // The handle stays armed: a change now is kept for the next request.
  ASSERT_NO_FATAL_FAILURE(make("d\\y"));
  auto r = notify();
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(changes_of(r), (std::vector<NotifyEntry>{{codec::kActionAdded, "y"}}));
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_EQ(a->close(dir).status(), NtStatus::success);
  EXPECT_EQ(pushed().status(), NtStatus::notify_cleanup);
  EXPECT_EQ(core_waiters(), 0u);
  ASSERT_NO_FATAL_FAILURE(make("d\\z"));  // nobody watches any more
  EXPECT_TRUE(a->take_pushed().empty());
}

}  // namespace
}  // namespace smbsrv::test
