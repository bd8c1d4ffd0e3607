// NtCore oplock and lease breaks (MS-FSA 2.1.4.12, MS-SMB2 3.3.4.6/3.3.4.7/3.3.5.22) where
// Windows' observed behaviour decides (the smbtorture test named beside each case): a write
// breaks the writer's own level II oplock, acknowledging a level II -> none break is a protocol
// error, a stat open may hold an oplock only while alone, an overwrite breaks a lease straight
// to none, an H-only break holds no open up, a break that continues an acknowledged one keeps
// the V2 epoch, and a stat open does not keep a lease from caching writes.
#include <gtest/gtest.h>

#include <vector>

#include "codec/access_mask.hpp"
#include "ntcore/nt_core.hpp"
#include "smbsrv/memory_vfs.hpp"

namespace smbsrv::nt {
namespace {

constexpr std::uint32_t R = kCacheRead, W = kCacheWrite, H = kCacheHandle;

struct Recorder : Owner {
  std::vector<BreakNotice> breaks;
  std::vector<std::uint64_t> wakes;
  void post(Event e) override {
    if (auto* b = std::get_if<BreakNotice>(&e)) breaks.push_back(*b);
    else wakes.push_back(std::get<Wake>(e).token);
  }
  std::vector<BreakNotice> take() { return std::exchange(breaks, {}); }
};

struct NtBreaks : ::testing::Test {
  std::uint64_t now = 1;
  std::function<std::uint64_t()> clock = [this] { return now; };
  NtCore core{clock, NtCore::Options{}};
  std::shared_ptr<Recorder> a = std::make_shared<Recorder>(), b = std::make_shared<Recorder>();
  std::shared_ptr<Vfs> vfs = make_memory_vfs();
  Key16 guid_a{1}, guid_b{2}, key1{0x11}, key2{0x22};
  std::uint64_t next_token = 1;

  NtCore::OpenRequest request(const std::shared_ptr<Recorder>& who, std::uint32_t access, std::uint8_t oplock) {
    NtCore::OpenRequest r;
    r.file = {vfs.get(), 42};
    r.path = *SmbPath::parse("f.txt");
    r.access = access;
    r.share_access = access::kShareAll;
    r.oplock_level = oplock;
    r.owner = who;
    r.client_guid = who == a ? guid_a : guid_b;
    r.leases_allowed = true;
    r.lease_v2_allowed = true;
    r.wait_token = next_token++;
    return r;
  }
  NtCore::OpenRequest lease_request(const std::shared_ptr<Recorder>& who, const Key16& key, std::uint32_t state,
                                    int version = 1, std::uint32_t access = access::kFullAccess) {
    auto r = request(who, access, kOplockLease);
    r.lease = LeaseRequest{key, state, version, 0, false};
    return r;
  }
  NtCore::Opened open(const NtCore::OpenRequest& r) { return core.open(r); }
  void expect_consistent() { EXPECT_EQ(core.check_invariants(), std::nullopt); }
};

// smb2.oplock.batch1, batch6, levelii500.
TEST_F(NtBreaks, WriteBreaksTheWritersOwnLevelIIButNotItsExclusiveOplock) {
  auto o1 = open(request(a, access::kFullAccess, kOplockLevelII));
  ASSERT_EQ(o1.grant.oplock_level, kOplockLevelII);
  core.data_changed(o1.open);
  auto n = a->take();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_TRUE(n[0].is_oplock);
  EXPECT_EQ(n[0].to, 0u);
  EXPECT_FALSE(n[0].ack_required);
  // The client acknowledges anyway: Windows calls that a protocol error.
  auto ack = core.ack_oplock(o1.open, kOplockNone);
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.status(), NtStatus::invalid_oplock_protocol);
  core.close(o1.open);

  auto o2 = open(request(a, access::kFullAccess, kOplockExclusive));
  ASSERT_EQ(o2.grant.oplock_level, kOplockExclusive);
  core.data_changed(o2.open);
  EXPECT_TRUE(a->take().empty());
  // An open that never had an oplock: the acknowledgment matches nothing (3.3.5.22.1).
  auto o3 = open(request(b, access::kFileReadAttributes, kOplockNone));
  ASSERT_TRUE(o3.open);
  EXPECT_EQ(core.ack_oplock(o3.open, kOplockNone).status(), NtStatus::invalid_device_state);
  expect_consistent();
}

TEST_F(NtBreaks, WriteLeavesTheWritersOwnLeaseAlone) {
  auto o1 = open(lease_request(a, key1, R));
  ASSERT_EQ(o1.grant.lease->state, R);
  auto o2 = open(request(b, access::kFullAccess, kOplockLevelII));
  ASSERT_EQ(o2.grant.oplock_level, kOplockLevelII);
  core.data_changed(o1.open);
  EXPECT_TRUE(a->take().empty());
  auto n = b->take();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].to, 0u);
  expect_consistent();
}

// smb2.oplock.batch8, batch9, batch9a.
TEST_F(NtBreaks, AStatOpenHoldsAnOplockOnlyWhileAlone) {
  const std::uint32_t stat = access::kFileReadAttributes | access::kFileWriteAttributes | access::kSynchronize;
  auto s1 = open(request(a, stat, kOplockBatch));
  ASSERT_EQ(s1.grant.oplock_level, kOplockBatch);
  auto s2 = open(request(b, stat, kOplockBatch));
  EXPECT_EQ(s2.grant.oplock_level, kOplockNone);
  EXPECT_TRUE(a->take().empty());
  core.close(s2.open);
  // A data open breaks the stat open's batch oplock to level II and waits for the ack.
  auto d = open(request(b, access::kFullAccess, kOplockBatch));
  ASSERT_TRUE(d.must_wait);
  auto n = a->take();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].to, R);
  ASSERT_TRUE(core.ack_oplock(s1.open, kOplockLevelII));
  EXPECT_EQ(b->wakes.size(), 1u);
  auto d2 = open(request(b, access::kFullAccess, kOplockBatch));
  ASSERT_EQ(d2.status, NtStatus::success);
  EXPECT_EQ(d2.grant.oplock_level, kOplockLevelII);
  expect_consistent();
}

// smb2.oplock.batch1, batch5: a sharing violation breaks a batch oplock to level II, the open
// waits for the acknowledgment and then fails; a second try breaks nothing.
TEST_F(NtBreaks, SharingViolationBreaksBatchAndWaits) {
  auto r = request(a, access::kFullAccess, kOplockBatch);
  r.share_access = 0;
  auto o1 = open(r);
  ASSERT_EQ(o1.grant.oplock_level, kOplockBatch);
  auto del = request(b, access::kDelete, kOplockNone);
  auto w = open(del);
  ASSERT_TRUE(w.must_wait);
  auto n = a->take();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].to & R, R);
  EXPECT_TRUE(n[0].ack_required);
  ASSERT_TRUE(core.ack_oplock(o1.open, kOplockLevelII));
  EXPECT_EQ(open(del).status, NtStatus::sharing_violation);
  EXPECT_TRUE(a->take().empty());
  EXPECT_EQ(open(request(b, access::kDelete, kOplockNone)).status, NtStatus::sharing_violation);
  EXPECT_TRUE(a->take().empty());
  expect_consistent();
}

// smb2.lease.breaking2: an overwrite breaks RWH straight to none and waits for the ack.
TEST_F(NtBreaks, OverwriteBreaksALeaseToNone) {
  auto o1 = open(lease_request(a, key1, R | W | H));
  ASSERT_EQ(o1.grant.lease->state, R | W | H);
  auto ow = request(b, access::kFullAccess, kOplockNone);
  ow.truncating = true;
  ASSERT_TRUE(open(ow).must_wait);
  auto n = a->take();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].from, R | W | H);
  EXPECT_EQ(n[0].to, 0u);
  EXPECT_TRUE(n[0].ack_required);
  EXPECT_EQ(core.ack_lease(guid_a, key1, R).status(), NtStatus::request_not_accepted);
  ASSERT_TRUE(core.ack_lease(guid_a, key1, 0));
  EXPECT_EQ(b->wakes.size(), 1u);
  EXPECT_EQ(core.ack_lease(guid_a, key1, 0).status(), NtStatus::unsuccessful);
  auto retried = open(ow);  // kept: the core holds its opens by reference until they close
  EXPECT_EQ(retried.status, NtStatus::success);
  expect_consistent();
  core.close(retried.open);
  core.close(o1.open);
}

// smb2.lease.breaking4: RH -> none needs an ack, but the overwrite is not held up by it.
TEST_F(NtBreaks, AHandleOnlyBreakHoldsNoOpenUp) {
  auto o1 = open(lease_request(a, key1, R | H));
  ASSERT_EQ(o1.grant.lease->state, R | H);
  auto ow = request(b, access::kFullAccess, kOplockNone);
  ow.truncating = true;
  auto w = open(ow);
  EXPECT_EQ(w.status, NtStatus::success);
  EXPECT_FALSE(w.must_wait);
  auto n = a->take();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].to, 0u);
  EXPECT_TRUE(n[0].ack_required);
  // A second overwrite while that break is pending sends nothing more and does not wait.
  auto w2 = open(ow);
  EXPECT_EQ(w2.status, NtStatus::success);
  EXPECT_TRUE(a->take().empty());
  ASSERT_TRUE(core.ack_lease(guid_a, key1, 0));
  expect_consistent();
}

// smb2.lease.v2_breaking3: an open breaks RWH to RH; an overwrite arriving meanwhile lowers the
// target to R only; the acknowledgment brings RH -> R under the same epoch; acknowledging that
// leaves R for the CREATE's truncation to break, still under that epoch.
TEST_F(NtBreaks, ABreakContinuingAnAcknowledgedOneKeepsTheEpoch) {
  auto o1 = open(lease_request(a, key1, R | W | H, 2));
  ASSERT_EQ(o1.grant.lease->state, R | W | H);
  const std::uint16_t e0 = o1.grant.lease->epoch;
  const auto first = request(b, access::kFullAccess, kOplockNone);
  ASSERT_TRUE(open(first).must_wait);
  auto n1 = a->take();
  ASSERT_EQ(n1.size(), 1u);
  EXPECT_EQ(n1[0].to, R | H);
  EXPECT_EQ(n1[0].epoch, e0 + 1);
  auto ow = request(b, access::kFullAccess, kOplockNone);
  ow.truncating = true;
  ASSERT_TRUE(open(ow).must_wait);
  EXPECT_TRUE(a->take().empty());
  ASSERT_TRUE(core.ack_lease(guid_a, key1, R | H));
  auto n2 = a->take();
  ASSERT_EQ(n2.size(), 1u);
  EXPECT_EQ(n2[0].from, R | H);
  EXPECT_EQ(n2[0].to, R);
  EXPECT_EQ(n2[0].epoch, e0 + 1);
  ASSERT_TRUE(core.ack_lease(guid_a, key1, R));
  // The first CREATE is not retried here: its owner gives up its wait, or the overwrite, woken
  // after it, would wait for its turn (NtCore::open).
  core.cancel_wait(b.get(), *first.wait_token);
  auto o3 = open(ow);
  ASSERT_EQ(o3.status, NtStatus::success);
  core.data_changed(o3.open, true);  // the CREATE's truncation ends the chain, same epoch
  auto n3 = a->take();
  ASSERT_EQ(n3.size(), 1u);
  EXPECT_EQ(n3[0].to, 0u);
  EXPECT_FALSE(n3[0].ack_required);
  EXPECT_EQ(n3[0].epoch, e0 + 1);
  expect_consistent();
}

// smb2.lease.timeout: an unacknowledged lease break completes to none; an oplock's to the level
// it offered (smb2.oplock.batch22a).
TEST_F(NtBreaks, AnUnacknowledgedLeaseBreakEndsAtNone) {
  auto o1 = open(lease_request(a, key1, R | W | H));
  auto o2 = open(lease_request(b, key2, R | W | H));
  ASSERT_TRUE(o2.must_wait);
  ASSERT_EQ(a->take().size(), 1u);
  now += NtCore::Options{}.break_timeout;
  core.tick();
  EXPECT_EQ(b->wakes.size(), 1u);
  EXPECT_EQ(core.ack_lease(guid_a, key1, R | H).status(), NtStatus::unsuccessful);
  auto again = open(lease_request(a, key1, 0));
  ASSERT_EQ(again.status, NtStatus::success);
  EXPECT_EQ(again.grant.lease->state, 0u);
  core.close(again.open);
  core.close(o1.open);

  auto p = open(request(a, access::kFullAccess, kOplockBatch));
  ASSERT_EQ(p.grant.oplock_level, kOplockBatch);
  ASSERT_TRUE(open(request(b, access::kFullAccess, kOplockNone)).must_wait);
  now += NtCore::Options{}.break_timeout;
  core.tick();
  auto q = open(request(b, access::kFullAccess, kOplockBatch));
  EXPECT_EQ(q.grant.oplock_level, kOplockLevelII);
  expect_consistent();
}

// smb2.lease.statopen3: a stat open does not keep a lease from caching writes; an oplock still
// counts it.
TEST_F(NtBreaks, AStatOpenDoesNotStopWriteCaching) {
  auto s = open(request(b, access::kFileReadAttributes, kOplockNone));
  ASSERT_TRUE(s.open);
  auto l = open(lease_request(a, key1, R | W | H, 1, access::kFileWriteData));
  ASSERT_EQ(l.status, NtStatus::success);
  EXPECT_EQ(l.grant.lease->state, R | W | H);
  core.close(l.open);
  auto o = open(request(a, access::kFullAccess, kOplockBatch));
  EXPECT_EQ(o.grant.oplock_level, kOplockLevelII);
  expect_consistent();
}

// A file whose last open closed with delete pending is being removed (by the closer's job, say a
// connection that went away): a new open waits for the removal instead of failing with
// DELETE_PENDING, as a create on Windows waits while the last handle's cleanup deletes the file
// (smbtorture smb2.dir.fixed opens the directory that the previous test's dropped connection held
// pending deletion). One that cannot wait still gets DELETE_PENDING.
TEST_F(NtBreaks, AnOpenWaitsForARemovalUnderWay) {
  auto r = request(a, access::kFullAccess, kOplockNone);
  r.delete_on_close = true;
  auto o1 = open(r);
  ASSERT_EQ(o1.status, NtStatus::success);
  const auto closed = core.close(o1.open);
  ASSERT_TRUE(closed.remove);

  auto no_wait = request(b, access::kFullAccess, kOplockNone);
  no_wait.wait_token.reset();
  EXPECT_EQ(open(no_wait).status, NtStatus::delete_pending);
  auto w = request(b, access::kFullAccess, kOplockNone);
  const auto token = *w.wait_token;
  ASSERT_TRUE(open(w).must_wait);
  EXPECT_TRUE(b->wakes.empty());
  expect_consistent();

  core.removed(closed.file);
  ASSERT_EQ(b->wakes.size(), 1u);
  EXPECT_EQ(b->wakes[0], token);
  auto again = open(w);
  ASSERT_EQ(again.status, NtStatus::success);
  EXPECT_FALSE(again.must_wait);
  core.close(again.open);
  expect_consistent();
}

// smb2.lease.rename_wait (MS-FSA 2.1.5.15.11): a rename breaks the handle caching of other leases
// first and is held until the break is acknowledged; its own lease is left alone.
TEST_F(NtBreaks, RenameWaitsForTheAcknowledgmentOfOtherLeasesHandleBreaks) {
  auto mine = open(lease_request(a, key1, R | H));
  auto theirs = open(lease_request(b, key2, R | H));
  ASSERT_EQ(theirs.grant.lease->state, R | H);
  const NtCore::LockWait wait{a, 77};
  EXPECT_TRUE(core.break_for_rename(mine.open, wait));
  auto n = b->take();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].to, R);
  EXPECT_TRUE(n[0].ack_required);
  EXPECT_TRUE(a->take().empty());
  EXPECT_TRUE(a->wakes.empty());
  ASSERT_TRUE(core.ack_lease(guid_b, key2, R).ok());
  ASSERT_EQ(a->wakes.size(), 1u);
  EXPECT_EQ(a->wakes[0], 77u);
  EXPECT_FALSE(core.break_for_rename(mine.open, wait));  // the retry goes on
  EXPECT_EQ(core.census().waiters, 0u);
  // Without a wait (a rename inside a compound) the break is sent and nothing waits.
  auto third = open(lease_request(b, Key16{0x33}, R | H));
  EXPECT_FALSE(core.break_for_rename(mine.open, std::nullopt));
  EXPECT_EQ(b->take().size(), 1u);
  core.close(mine.open);
  core.close(theirs.open);
  core.close(third.open);
  expect_consistent();
}

TEST_F(NtBreaks, AHeldRenameGoesOnWhenTheOtherOpenCloses) {
  auto mine = open(lease_request(a, key1, R | H));
  auto theirs = open(lease_request(b, key2, R | H));
  EXPECT_TRUE(core.break_for_rename(mine.open, NtCore::LockWait{a, 5}));
  core.close(theirs.open);
  ASSERT_EQ(a->wakes.size(), 1u);
  EXPECT_FALSE(core.break_for_rename(mine.open, NtCore::LockWait{a, 5}));
  core.close(mine.open);
  EXPECT_EQ(core.census().waiters, 0u);
  expect_consistent();
}

}  // namespace
}  // namespace smbsrv::nt
