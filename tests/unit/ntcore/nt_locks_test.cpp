// NtCore byte-range locks (MS-FSA 2.1.4.10, 2.1.5.8, 2.1.5.9) and lock waits: granted in queue
// order when the range frees up, ended by the waiting open's close, cancelled (a granted lock
// goes back), and the I/O checks. Each wait's owner hears exactly one Wake.
#include <gtest/gtest.h>

#include <vector>

#include "codec/access_mask.hpp"
#include "ntcore/nt_core.hpp"
#include "smbsrv/memory_vfs.hpp"

namespace smbsrv::nt {
namespace {

struct Recorder : Owner {
  std::vector<std::uint64_t> wakes;
  void post(Event e) override {
    if (auto* w = std::get_if<Wake>(&e)) wakes.push_back(w->token);
  }
};

struct NtLocks : ::testing::Test {
  std::function<std::uint64_t()> clock = [] { return std::uint64_t{1}; };
  NtCore core{clock, NtCore::Options{}};
  std::shared_ptr<Recorder> a = std::make_shared<Recorder>(), b = std::make_shared<Recorder>();
  std::shared_ptr<Vfs> vfs = make_memory_vfs();

  NtCore::OpenRef open(const std::shared_ptr<Recorder>& who) {
    NtCore::OpenRequest r;
    r.file = {vfs.get(), 42};
    r.path = *SmbPath::parse("f.txt");
    r.access = access::kFullAccess;
    r.share_access = 7;
    r.owner = who;
    auto o = core.open(r);
    EXPECT_EQ(o.status, NtStatus::success);
    return o.open;
  }
  NtStatus lock(const NtCore::OpenRef& o, std::uint64_t off, std::uint64_t len, bool excl,
                std::optional<NtCore::LockWait> wait = {}) {
    const NtCore::LockRange r{off, len, excl};
    return core.lock(o, {&r, 1}, wait);
  }
  NtStatus unlock(const NtCore::OpenRef& o, std::uint64_t off, std::uint64_t len) {
    const NtCore::LockRange r{off, len, false};
    auto u = core.unlock(o, {&r, 1});
    return u ? NtStatus::success : u.status();
  }
  void expect_consistent() { EXPECT_EQ(core.check_invariants(), std::nullopt); }
};

TEST_F(NtLocks, ConflictRules) {
  auto o1 = open(a), o2 = open(b);
  EXPECT_EQ(lock(o1, 0, 10, true), NtStatus::success);
  EXPECT_EQ(lock(o1, 5, 10, false), NtStatus::success);  // shared over its own exclusive
  EXPECT_EQ(lock(o1, 5, 1, true), NtStatus::lock_not_granted);
  EXPECT_EQ(lock(o2, 9, 1, false), NtStatus::lock_not_granted);
  EXPECT_EQ(lock(o2, 15, 1, false), NtStatus::success);  // past both
  EXPECT_EQ(lock(o2, 10, 5, false), NtStatus::success);           // shared beside o1's shared
  EXPECT_EQ(lock(o2, 14, 1, true), NtStatus::lock_not_granted);  // exclusive into o1's shared
  expect_consistent();
}

TEST_F(NtLocks, MultiRangeIsAllOrNothing) {
  auto o1 = open(a), o2 = open(b);
  ASSERT_EQ(lock(o2, 50, 1, true), NtStatus::success);
  const NtCore::LockRange rs[] = {{0, 1, true}, {1, 1, true}, {50, 1, false}};
  EXPECT_EQ(core.lock(o1, rs, std::nullopt), NtStatus::lock_not_granted);
  EXPECT_EQ(core.census().locks, 1u);
  const NtCore::LockRange twice[] = {{0, 4, true}, {2, 4, true}};  // conflicts with itself
  EXPECT_EQ(core.lock(o1, twice, std::nullopt), NtStatus::lock_not_granted);
  EXPECT_EQ(core.census().locks, 1u);
  expect_consistent();
}

TEST_F(NtLocks, UnlockPrefersExclusiveAndStopsAtTheFirstMiss) {
  auto o1 = open(a), o2 = open(b);
  ASSERT_EQ(lock(o1, 0, 10, true), NtStatus::success);
  ASSERT_EQ(lock(o1, 0, 10, false), NtStatus::success);
  ASSERT_EQ(unlock(o1, 0, 10), NtStatus::success);        // the exclusive one
  EXPECT_EQ(lock(o2, 0, 10, false), NtStatus::success);   // so another may share now
  EXPECT_EQ(unlock(o2, 0, 10), NtStatus::success);
  const NtCore::LockRange rs[] = {{0, 10, false}, {20, 1, false}, {0, 10, false}};
  auto u = core.unlock(o1, rs);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.status(), NtStatus::range_not_locked);
  EXPECT_EQ(core.census().locks, 0u);  // the first one went
}

TEST_F(NtLocks, IoChecks) {
  auto o1 = open(a), o2 = open(b);
  ASSERT_EQ(lock(o1, 100, 100, true), NtStatus::success);
  EXPECT_TRUE(core.check_io(o1, 100, 10, true));
  EXPECT_FALSE(core.check_io(o2, 199, 10, false));
  EXPECT_EQ(core.check_io(o2, 199, 10, false).status(), NtStatus::file_lock_conflict);
  EXPECT_TRUE(core.check_io(o2, 200, 10, true));
  EXPECT_TRUE(core.check_io(o2, 150, 0, true));  // zero length
  EXPECT_TRUE(core.check_io(o2, ~0ULL - 5, ~0ULL, false));  // runs to 2^64 - 1 without wrapping
  ASSERT_EQ(unlock(o1, 100, 100), NtStatus::success);
  ASSERT_EQ(lock(o1, 100, 100, false), NtStatus::success);
  EXPECT_FALSE(core.check_io(o1, 100, 1, true));  // a shared lock bars its owner's writes too
  EXPECT_TRUE(core.check_io(o2, 100, 1, false));
}

TEST_F(NtLocks, WaitIsGrantedOnUnlockWithOneWake) {
  auto o1 = open(a), o2 = open(b);
  ASSERT_EQ(lock(o1, 0, 10, true), NtStatus::success);
  EXPECT_EQ(lock(o2, 5, 1, false, NtCore::LockWait{b, 7}), NtStatus::pending);
  EXPECT_EQ(core.lock_outcome(b.get(), 7), NtStatus::pending);
  EXPECT_EQ(core.census().waiters, 1u);
  expect_consistent();
  ASSERT_EQ(unlock(o1, 0, 10), NtStatus::success);
  ASSERT_EQ(b->wakes, std::vector<std::uint64_t>{7});
  EXPECT_EQ(core.census().locks, 1u);  // granted in the core already
  EXPECT_EQ(core.lock_outcome(b.get(), 7), NtStatus::success);
  EXPECT_EQ(core.lock_outcome(b.get(), 7), NtStatus::pending);  // handed out once
  EXPECT_EQ(core.census().waiters, 0u);
  EXPECT_TRUE(a->wakes.empty());
  expect_consistent();
}

TEST_F(NtLocks, WaitingOpenClosesWithRangeNotLocked) {
  auto o1 = open(a), o2 = open(b);
  ASSERT_EQ(lock(o1, 0, 10, true), NtStatus::success);
  ASSERT_EQ(lock(o2, 0, 10, true, NtCore::LockWait{b, 3}), NtStatus::pending);
  core.close(o2);
  ASSERT_EQ(b->wakes, std::vector<std::uint64_t>{3});
  EXPECT_EQ(core.lock_outcome(b.get(), 3), NtStatus::range_not_locked);
  EXPECT_EQ(core.census_of(b.get()).waiters, 0u);
  expect_consistent();
}

TEST_F(NtLocks, HolderClosingGrantsInQueueOrder) {
  auto o1 = open(a), o2 = open(b), o3 = open(b);
  ASSERT_EQ(lock(o1, 0, 10, true), NtStatus::success);
  ASSERT_EQ(lock(o2, 0, 10, true, NtCore::LockWait{b, 1}), NtStatus::pending);
  ASSERT_EQ(lock(o3, 0, 10, true, NtCore::LockWait{b, 2}), NtStatus::pending);
  core.close(o1);
  ASSERT_EQ(b->wakes, std::vector<std::uint64_t>{1});
  EXPECT_EQ(core.lock_outcome(b.get(), 1), NtStatus::success);
  core.close(o2);
  ASSERT_EQ(b->wakes, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(core.lock_outcome(b.get(), 2), NtStatus::success);
  expect_consistent();
}

TEST_F(NtLocks, CancelBeforeAndAfterTheGrant) {
  auto o1 = open(a), o2 = open(b);
  ASSERT_EQ(lock(o1, 0, 10, true), NtStatus::success);
  ASSERT_EQ(lock(o2, 0, 10, true, NtCore::LockWait{b, 1}), NtStatus::pending);
  core.cancel_wait(b.get(), 1);
  EXPECT_EQ(core.census().waiters, 0u);
  ASSERT_EQ(unlock(o1, 0, 10), NtStatus::success);
  EXPECT_TRUE(b->wakes.empty());
  // Granted, then cancelled before the owner collected it: the lock goes back, and the next
  // waiter gets it.
  ASSERT_EQ(lock(o1, 0, 10, true), NtStatus::success);
  ASSERT_EQ(lock(o2, 0, 10, true, NtCore::LockWait{b, 2}), NtStatus::pending);
  auto o3 = open(a);
  ASSERT_EQ(lock(o3, 0, 10, true, NtCore::LockWait{a, 3}), NtStatus::pending);
  ASSERT_EQ(unlock(o1, 0, 10), NtStatus::success);
  ASSERT_EQ(b->wakes, std::vector<std::uint64_t>{2});
  core.cancel_wait(b.get(), 2);
  ASSERT_EQ(a->wakes, std::vector<std::uint64_t>{3});
  EXPECT_EQ(core.lock_outcome(a.get(), 3), NtStatus::success);
  EXPECT_EQ(core.census().locks, 1u);
  expect_consistent();
}

}  // namespace
}  // namespace smbsrv::nt
