// NtCore durable orphans (MS-SMB2 3.3.7.1, 3.3.5.9.7/3.3.5.9.12): which opens may outlive their
// connection, what an orphan keeps (share mode, locks, lease), who may reconnect it, and which
// opens from someone else end it early.
#include <gtest/gtest.h>

#include <vector>

#include "codec/access_mask.hpp"
#include "ntcore/nt_core.hpp"
#include "smbsrv/memory_vfs.hpp"

namespace smbsrv::nt {
namespace {

struct Recorder : Owner {
  std::vector<Event> events;
  void post(Event e) override { events.push_back(std::move(e)); }
};

Key16 key(std::uint8_t k) {
  Key16 out{};
  out[0] = k;
  return out;
}

struct NtDurable : ::testing::Test {
  std::function<std::uint64_t()> clock = [] { return std::uint64_t{1}; };
  NtCore core{clock, NtCore::Options{}};
  std::shared_ptr<Recorder> a = std::make_shared<Recorder>(), b = std::make_shared<Recorder>();
  std::shared_ptr<Vfs> vfs = make_memory_vfs();

  NtCore::OpenRequest request(const std::shared_ptr<Recorder>& who, std::uint8_t oplock, std::uint32_t share = 7,
                              std::uint32_t access = access::kFullAccess) {
    NtCore::OpenRequest r;
    r.file = {vfs.get(), 42};
    r.path = *SmbPath::parse("f.txt");
    r.access = access;
    r.share_access = share;
    r.owner = who;
    r.oplock_level = oplock;
    r.leases_allowed = r.lease_v2_allowed = true;
    r.client_guid = key(who == a ? 0xA : 0xB);
    return r;
  }
  NtCore::Opened open(NtCore::OpenRequest r) { return core.open(r); }
  NtCore::OpenRequest leased(const std::shared_ptr<Recorder>& who, std::uint8_t k, std::uint32_t state,
                             std::uint32_t share = 7) {
    auto r = request(who, kOplockLease, share);
    r.lease = LeaseRequest{key(k), state, 1, 0, false};
    return r;
  }
  NtCore::Reconnect back(const std::shared_ptr<Recorder>& who, std::optional<std::uint8_t> lease_key = {}) {
    NtCore::Reconnect r;
    r.client_guid = key(who == a ? 0xA : 0xB);
    if (lease_key) r.lease_key = key(*lease_key);
    r.path = *SmbPath::parse("f.txt");
    r.owner = who;
    return r;
  }
  void expect_consistent() { EXPECT_EQ(core.check_invariants(), std::nullopt); }
};

TEST_F(NtDurable, OnlyHandleCachingOpensBecomeOrphans) {
  auto batch = open(request(a, kOplockBatch));
  ASSERT_EQ(batch.grant.oplock_level, kOplockBatch);
  EXPECT_TRUE(core.orphan(batch.open));
  EXPECT_EQ(core.census().durable, 1u);
  EXPECT_EQ(core.census_of(a.get()).opens, 0u);  // no longer the connection's
  core.close(batch.open);

  auto level2 = open(request(a, kOplockLevelII));
  EXPECT_FALSE(core.orphan(level2.open));
  core.close(level2.open);
  auto rw = open(leased(a, 1, kCacheRead | kCacheWrite));
  EXPECT_FALSE(core.orphan(rw.open));  // a lease without H
  core.close(rw.open);
  EXPECT_EQ(core.census().opens, 0u);
  expect_consistent();
}

// Windows keeps a durable open made with FILE_DELETE_ON_CLOSE (smbtorture
// smb2.durable-open.delete_on_close2); ended by a conflicting open of another client, it deletes
// the file first, and that open starts again (delete_on_close1).
TEST_F(NtDurable, ADeleteOnCloseOrphanDeletesTheFileWhenAnOpenEndsIt) {
  auto doc = request(a, kOplockBatch, /*share*/ 0);
  doc.delete_on_close = true;
  auto d = open(doc);
  ASSERT_TRUE(core.orphan(d.open));
  auto other = open(request(b, kOplockNone, /*share*/ 0));
  ASSERT_EQ(other.status, NtStatus::success);
  EXPECT_FALSE(other.open);
  ASSERT_TRUE(other.remove_first.remove);
  EXPECT_TRUE(core.ended(d.open));
  // Until the removal is done, the file is pending deletion for everyone.
  auto mid = request(b, kOplockNone, 7);
  mid.wait_token.reset();
  EXPECT_EQ(open(mid).status, NtStatus::delete_pending);
  core.removed(other.remove_first.file);
  auto again = open(request(b, kOplockNone, 0));
  ASSERT_EQ(again.status, NtStatus::success);
  ASSERT_TRUE(again.open);
  core.close(again.open);
  EXPECT_EQ(core.census().opens, 0u);
  expect_consistent();
}

TEST_F(NtDurable, OrphanKeepsShareModeAndLocksUntilReconnected) {
  auto o = open(request(a, kOplockBatch, /*share*/ 0));
  const NtCore::LockRange range{0, 10, true};
  ASSERT_EQ(core.lock(o.open, {&range, 1}), NtStatus::success);
  ASSERT_TRUE(core.orphan(o.open));
  // A stat open (no data access) neither conflicts nor ends it.
  auto stat = open(request(b, kOplockNone, 7, access::kFileReadAttributes));
  ASSERT_EQ(stat.status, NtStatus::success);
  EXPECT_FALSE(core.ended(o.open));
  core.close(stat.open);
  // Its own client gets it back, lock and oplock included.
  auto g = core.reconnect(o.open, back(a));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->oplock_level, kOplockBatch);
  EXPECT_EQ(core.census_of(a.get()).opens, 1u);
  EXPECT_EQ(core.census_of(a.get()).locks, 1u);
  EXPECT_EQ(core.census().durable, 0u);
  // Once reconnected it is no orphan: a second reconnect fails.
  EXPECT_EQ(core.reconnect(o.open, back(a)).status(), NtStatus::object_name_not_found);
  core.close(o.open);
  expect_consistent();
}

TEST_F(NtDurable, ConflictingOpenEndsTheOrphan) {
  // Sharing: the orphan shares nothing; another client's open ends it instead of failing.
  auto o = open(request(a, kOplockBatch, 0));
  ASSERT_TRUE(core.orphan(o.open));
  auto other = open(request(b, kOplockNone));
  ASSERT_EQ(other.status, NtStatus::success);
  EXPECT_TRUE(core.ended(o.open));
  EXPECT_EQ(core.reconnect(o.open, back(a)).status(), NtStatus::object_name_not_found);
  core.close(o.open);  // harmless: the owner only releases its backend file
  core.close(other.open);

  // Caching: a batch oplock would have to be broken, with no one left to acknowledge.
  auto o2 = open(request(a, kOplockBatch));
  ASSERT_TRUE(core.orphan(o2.open));
  auto reader = open(request(b, kOplockBatch));
  ASSERT_EQ(reader.status, NtStatus::success);
  EXPECT_FALSE(reader.must_wait);
  EXPECT_EQ(reader.grant.oplock_level, kOplockBatch);  // as if the orphan had never been there
  EXPECT_TRUE(core.ended(o2.open));
  core.close(reader.open);
  core.close(o2.open);
  EXPECT_EQ(core.census().files, 0u);
  expect_consistent();
}

TEST_F(NtDurable, LeasedOrphanNeedsItsKeyItsClientAndItsName) {
  auto o = open(leased(a, 5, kCacheRead | kCacheHandle | kCacheWrite));
  ASSERT_EQ(o.grant.oplock_level, kOplockLease);
  ASSERT_TRUE(core.orphan(o.open));
  EXPECT_EQ(core.reconnect(o.open, back(a)).status(), NtStatus::object_name_not_found);     // no lease
  EXPECT_EQ(core.reconnect(o.open, back(a, 6)).status(), NtStatus::object_name_not_found);  // wrong key
  EXPECT_EQ(core.reconnect(o.open, back(b, 5)).status(), NtStatus::object_name_not_found);  // other client
  auto renamed = back(a, 5);
  renamed.path = *SmbPath::parse("g.txt");
  EXPECT_EQ(core.reconnect(o.open, renamed).status(), NtStatus::invalid_parameter);
  auto upper = back(a, 5);
  upper.path = *SmbPath::parse("F.TXT");  // the memory backend is case-insensitive
  auto g = core.reconnect(o.open, upper);
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(g->lease.has_value());
  EXPECT_EQ(g->lease->state, kCacheRead | kCacheHandle | kCacheWrite);
  core.close(o.open);
  expect_consistent();
}

TEST_F(NtDurable, OwnClientReopeningDoesNotEndTheOrphan) {
  // The same client (ClientGuid and lease key) opening the file again before it reconnects the
  // durable handle shares the lease: nothing to break, the orphan stays.
  auto o = open(leased(a, 5, kCacheRead | kCacheHandle | kCacheWrite));
  ASSERT_TRUE(core.orphan(o.open));
  auto again = open(leased(a, 5, kCacheRead | kCacheHandle | kCacheWrite));
  ASSERT_EQ(again.status, NtStatus::success);
  EXPECT_FALSE(core.ended(o.open));
  core.close(again.open);
  core.close(o.open);
  expect_consistent();
}

// ---- SMB2_CREATE_APP_INSTANCE_ID (MS-SMB2 3.3.5.9.13) ---------------------------------------------

AppInstance app(std::uint8_t id, std::optional<std::uint64_t> version = {}) {
  AppInstance ai;
  ai.id = key(id);
  if (version) ai.version = std::pair{std::uint64_t{0}, *version};
  return ai;
}

TEST_F(NtDurable, SameAppInstanceFromAnotherClientClosesTheEarlierOpenWithoutABreak) {
  auto r1 = request(a, kOplockBatch, 0);  // share nothing: the second open could not coexist
  r1.app_instance = app(1);
  r1.tag.volatile_id = 77;
  auto first = open(r1);
  ASSERT_EQ(first.status, NtStatus::success);
  auto r2 = request(b, kOplockBatch, 0);
  r2.app_instance = app(1);
  auto second = open(r2);
  ASSERT_EQ(second.status, NtStatus::success);
  EXPECT_EQ(second.grant.oplock_level, kOplockBatch);
  EXPECT_TRUE(core.ended(first.open));
  ASSERT_EQ(a->events.size(), 1u);  // no break: only the news that the open is gone
  auto* ended = std::get_if<OpenEnded>(&a->events[0]);
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->tag.volatile_id, 77u);
  EXPECT_EQ(core.census_of(a.get()).opens, 0u);
  core.close(first.open);  // the owner's own close afterwards is harmless
  core.close(second.open);
  EXPECT_EQ(core.census().opens, 0u);
  expect_consistent();
}

TEST_F(NtDurable, AppInstanceLeavesTheSameClientAndOtherIdsAlone) {
  auto r1 = request(a, kOplockNone, 0);
  r1.app_instance = app(1);
  auto first = open(r1);
  ASSERT_EQ(first.status, NtStatus::success);
  auto same_client = request(a, kOplockNone, 0);
  same_client.app_instance = app(1);
  EXPECT_EQ(open(same_client).status, NtStatus::sharing_violation);
  auto other_id = request(b, kOplockNone, 0);
  other_id.app_instance = app(2);
  EXPECT_EQ(open(other_id).status, NtStatus::sharing_violation);
  EXPECT_FALSE(core.ended(first.open));
  core.close(first.open);
  expect_consistent();
}

TEST_F(NtDurable, AnOlderAppInstanceVersionMayNotReplaceANewerOne) {
  auto r1 = request(a, kOplockNone, 0);
  r1.app_instance = app(1, 5);
  auto first = open(r1);
  ASSERT_EQ(first.status, NtStatus::success);
  for (std::uint64_t v : {4u, 5u}) {
    auto r = request(b, kOplockNone, 0);
    r.app_instance = app(1, v);
    EXPECT_EQ(open(r).status, NtStatus::file_forced_closed) << v;
  }
  EXPECT_FALSE(core.ended(first.open));
  auto newer = request(b, kOplockNone, 0);
  newer.app_instance = app(1, 6);
  auto second = open(newer);
  EXPECT_EQ(second.status, NtStatus::success);
  EXPECT_TRUE(core.ended(first.open));
  core.close(second.open);
  expect_consistent();
}

TEST_F(NtDurable, AppInstanceEndsAnOrphanToo) {
  auto r1 = request(a, kOplockBatch, 0);
  r1.app_instance = app(1);
  auto first = open(r1);
  ASSERT_TRUE(core.orphan(first.open));
  auto r2 = request(b, kOplockNone, 0);
  r2.app_instance = app(1);
  auto second = open(r2);
  EXPECT_EQ(second.status, NtStatus::success);
  EXPECT_TRUE(core.ended(first.open));
  EXPECT_TRUE(a->events.empty());  // an orphan has no owner to tell
  core.close(second.open);
  EXPECT_EQ(core.census().durable, 0u);
  expect_consistent();
}

}  // namespace
}  // namespace smbsrv::nt
