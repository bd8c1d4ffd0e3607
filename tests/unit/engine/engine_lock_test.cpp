// Byte-range locks through the engine (MS-SMB2 3.3.5.14, MS-FSA 2.1.5.2/2.1.5.3/2.1.5.8/2.1.5.9):
// the statuses Windows gives (smbtorture smb2.lock.*), READ and WRITE against locks, locks that
// wait (STATUS_PENDING, then one final response) until the range is free, CANCEL, CLOSE, LOGOFF,
// TREE_DISCONNECT and the connection going away while one waits, and oplock breaks on lock.
#include <gtest/gtest.h>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Command;
using codec::kLockExclusive;
using codec::kLockFailImmediately;
using codec::kLockShared;
using codec::kLockUnlock;

struct El {
  std::uint64_t offset = 0, length = 0;
  std::uint32_t flags = 0;
};

Vec lock_body(const codec::FileId& f, const std::vector<El>& els, std::uint32_t sequence = 0) {
  Body b;
  b.u16(48).u16(static_cast<std::uint16_t>(els.size())).u32(sequence).fid(f);
  for (const auto& e : els) b.u64(e.offset).u64(e.length).u32(e.flags).u32(0);
  return b.b;
}

constexpr std::uint32_t XF = kLockExclusive | kLockFailImmediately, SF = kLockShared | kLockFailImmediately;

struct Fixture : ::testing::Test {
  std::shared_ptr<engine::ServerState> st;
  std::unique_ptr<EngineClient> a, b;
  codec::FileId ha, hb, ha2;
  bool multichannel = true;

  void SetUp() override {
    ServerConfig cfg;
    cfg.max_blocking_locks_per_connection = 2;
    cfg.multichannel = multichannel;
    st = make_test_state(cfg);
    a = std::make_unique<EngineClient>(st);
    b = std::make_unique<EngineClient>(st);
    b->client_guid[0] = 0x99;
    ASSERT_NO_FATAL_FAILURE(a->connect({0x0311}));
    ASSERT_NO_FATAL_FAILURE(b->connect({0x0311}));
    auto c = a->create("f.txt");
    ASSERT_EQ(c.status, NtStatus::success);
    ha = c.fid;
    const Vec data(200, 0x5A);
    ASSERT_EQ(a->write(ha, 0, data).status(), NtStatus::success);
    auto c2 = a->create("f.txt");
    ASSERT_EQ(c2.status, NtStatus::success);
    ha2 = c2.fid;
    auto d = b->create("f.txt");
    ASSERT_EQ(d.status, NtStatus::success);
    hb = d.fid;
  }
  NtStatus lock(EngineClient& c, const codec::FileId& f, std::vector<El> els, std::uint32_t seq = 0) {
    return c.one({Command::lock, lock_body(f, els, seq)}).status();
  }
  std::size_t core_waiters() const { return st->nt.census().waiters; }
};

using Locks = Fixture;
struct LocksWithoutMultichannel : Fixture {
  LocksWithoutMultichannel() { multichannel = false; }
};

TEST_F(Locks, ValidationStatuses) {
  EXPECT_EQ(lock(*a, ha, {{0, 0, 0}}), NtStatus::invalid_parameter);                     // no lock kind
  EXPECT_EQ(lock(*a, ha, {{1, 1, 0xFFFFFFE0}}), NtStatus::invalid_parameter);            // unknown flags
  EXPECT_EQ(lock(*a, ha, {{~0ULL, ~0ULL, XF}}), NtStatus::invalid_lock_range);
  EXPECT_EQ(lock(*a, ha, {{~0ULL, 2, XF}}), NtStatus::invalid_lock_range);
  EXPECT_EQ(lock(*a, ha, {{~0ULL, 1, XF}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{1, 1, kLockUnlock | kLockExclusive}}), NtStatus::invalid_parameter);
  EXPECT_EQ(lock(*a, ha, {{1, 1, kLockUnlock | kLockFailImmediately}}), NtStatus::invalid_parameter);
  // Several elements must all be FAIL_IMMEDIATELY.
  EXPECT_EQ(lock(*a, ha, {{9, 1, 0}, {9, 1, kLockUnlock}}), NtStatus::invalid_parameter);
  EXPECT_EQ(lock(*a, ha, {{9, 1, kLockShared}, {10, 1, kLockShared}}), NtStatus::invalid_parameter);
  // An unlock array stops at the first range that is not locked.
  EXPECT_EQ(lock(*a, ha, {{9, 1, kLockUnlock}, {9, 1, 0}}), NtStatus::range_not_locked);
  EXPECT_EQ(lock(*a, {ha.persistent + 1, ha.volatile_}, {{0, 1, XF}}), NtStatus::file_closed);
}

TEST_F(Locks, StackingAndUnlockOrder) {
  EXPECT_EQ(lock(*a, ha, {{0, 10, XF}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{0, 10, SF}}), NtStatus::success);  // shared on its own exclusive
  EXPECT_EQ(lock(*a, ha, {{0, 10, SF}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{0, 10, XF}}), NtStatus::lock_not_granted);  // two exclusive never stack
  EXPECT_EQ(lock(*a, ha2, {{0, 10, SF}}), NtStatus::lock_not_granted);
  // The exclusive lock goes first: another handle may then share the range.
  EXPECT_EQ(lock(*a, ha, {{0, 10, kLockUnlock}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha2, {{0, 10, SF}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha2, {{0, 10, kLockUnlock}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{0, 10, kLockUnlock}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{0, 10, kLockUnlock}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{0, 10, kLockUnlock}}), NtStatus::range_not_locked);
  // A shared lock cannot be raised to exclusive by its own handle.
  EXPECT_EQ(lock(*a, ha, {{0, 10, SF}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{0, 10, XF}}), NtStatus::lock_not_granted);
  // Unlocks match exactly: no coalescing, no splitting.
  EXPECT_EQ(lock(*a, ha, {{0, 5, kLockUnlock}}), NtStatus::range_not_locked);
}

TEST_F(Locks, ZeroLengthLocks) {
  // {10, 0} sits between bytes 9 and 10: it conflicts with a range holding both.
  const struct {
    El second;
    NtStatus want;
  } cases[] = {{{10, 0, XF}, NtStatus::success},          {{9, 1, XF}, NtStatus::success},
               {{10, 1, XF}, NtStatus::success},          {{11, 1, XF}, NtStatus::success},
               {{9, 2, XF}, NtStatus::lock_not_granted},  {{10, 2, XF}, NtStatus::success},
               {{9, 3, XF}, NtStatus::lock_not_granted}};
  int n = 0;
  for (const auto& c : cases) {
    for (EngineClient* other : {a.get(), b.get()}) {
      const codec::FileId f = other == a.get() ? ha : hb;
      ASSERT_EQ(lock(*a, ha, {{10, 0, XF}}), NtStatus::success);
      EXPECT_EQ(lock(*other, f, {c.second}), c.want) << c.second.offset << "/" << c.second.length;
      if (c.want == NtStatus::success) {
        EXPECT_EQ(lock(*other, f, {{c.second.offset, c.second.length, kLockUnlock}}), NtStatus::success);
      }
      ASSERT_EQ(lock(*a, ha, {{10, 0, kLockUnlock}}), NtStatus::success);
      ++n;
    }
  }
  EXPECT_EQ(n, 14);
  // {0, 0} conflicts with nothing, even from two handles.
  EXPECT_EQ(lock(*a, ha, {{0, 0, XF}}), NtStatus::success);
  EXPECT_EQ(lock(*b, hb, {{0, 0, XF}}), NtStatus::success);
  // A zero-length lock inside another's range is refused.
  EXPECT_EQ(lock(*a, ha, {{100, 10, XF}}), NtStatus::success);
  EXPECT_EQ(lock(*b, hb, {{102, 0, XF}}), NtStatus::lock_not_granted);
}

TEST_F(Locks, FailedArrayUndoesItsLocks) {
  EXPECT_EQ(lock(*b, hb, {{20, 5, XF}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{0, 5, XF}, {20, 1, XF}}), NtStatus::lock_not_granted);
  EXPECT_EQ(lock(*a, ha, {{0, 5, kLockUnlock}}), NtStatus::range_not_locked);
  EXPECT_EQ(st->nt.census().locks, 1u);
  // Invalid flags stop the array without undoing what came before (3.3.5.14.2).
  EXPECT_EQ(lock(*a, ha, {{0, 5, XF}, {40, 1, kLockUnlock | kLockFailImmediately}}), NtStatus::invalid_parameter);
  EXPECT_EQ(lock(*a, ha, {{0, 5, kLockUnlock}}), NtStatus::success);
  // Several unlocks: those before a failure stay done.
  EXPECT_EQ(lock(*a, ha, {{0, 10, XF}}), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{0, 10, kLockUnlock}, {10, 10, kLockUnlock}}), NtStatus::range_not_locked);
  EXPECT_EQ(lock(*a, ha, {{0, 10, kLockUnlock}}), NtStatus::range_not_locked);
}

TEST_F(Locks, ReadAndWriteAgainstLocks) {
  const Vec data(10, 1);
  // Exclusive: the owner reads and writes, others do neither.
  ASSERT_EQ(lock(*a, ha, {{100, 100, XF}}), NtStatus::success);
  EXPECT_EQ(a->write(ha, 100, data).status(), NtStatus::success);
  EXPECT_EQ(a->read(ha, 100, 10).status(), NtStatus::success);
  EXPECT_EQ(a->write(ha2, 100, data).status(), NtStatus::file_lock_conflict);
  EXPECT_EQ(a->read(ha2, 150, 10).status(), NtStatus::file_lock_conflict);
  EXPECT_EQ(b->read(hb, 95, 10).status(), NtStatus::file_lock_conflict);
  EXPECT_EQ(b->read(hb, 90, 10).status(), NtStatus::success);  // ends just before the range
  EXPECT_EQ(b->read(hb, 150, 0).status(), NtStatus::success);  // a zero-byte read conflicts with nothing
  ASSERT_EQ(lock(*a, ha, {{100, 100, kLockUnlock}}), NtStatus::success);
  // Shared: everyone reads, nobody writes, the owner included.
  ASSERT_EQ(lock(*a, ha, {{100, 100, SF}}), NtStatus::success);
  EXPECT_EQ(a->write(ha, 100, data).status(), NtStatus::file_lock_conflict);
  EXPECT_EQ(b->write(hb, 150, data).status(), NtStatus::file_lock_conflict);
  EXPECT_EQ(a->read(ha, 100, 10).status(), NtStatus::success);
  EXPECT_EQ(b->read(hb, 100, 10).status(), NtStatus::success);
  EXPECT_EQ(b->write(hb, 0, data).status(), NtStatus::success);
  // Appending (offset all ones) is checked at the end of the file, where nothing is locked.
  EXPECT_EQ(b->write(hb, ~0ULL, data).status(), NtStatus::success);
  ASSERT_EQ(lock(*a, ha, {{100, 100, kLockUnlock}}), NtStatus::success);
  EXPECT_EQ(b->write(hb, 150, data).status(), NtStatus::success);
}

TEST_F(Locks, BlockingLockWaitsThenGetsTheRange) {
  ASSERT_EQ(lock(*a, ha, {{100, 50, kLockExclusive}}), NtStatus::success);
  const std::uint64_t mid = b->next_mid;
  auto interim = b->one({Command::lock, lock_body(hb, {{100, 50, kLockExclusive}})});
  ASSERT_EQ(interim.status(), NtStatus::pending);
  EXPECT_TRUE(interim.hdr.flags & codec::kFlagAsyncCommand);
  EXPECT_NE(interim.hdr.async_id, 0u);
  EXPECT_TRUE(b->take_pushed().empty());
  EXPECT_EQ(core_waiters(), 1u);
  // Something else that does not fit is refused meanwhile, and the waiting request holds nothing.
  EXPECT_EQ(lock(*b, hb, {{100, 50, kLockUnlock}}), NtStatus::range_not_locked);
  ASSERT_EQ(lock(*a, ha, {{100, 50, kLockUnlock}}), NtStatus::success);
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::success);
  EXPECT_EQ(fin[0].hdr.command, Command::lock);
  EXPECT_EQ(fin[0].hdr.message_id, mid);
  EXPECT_EQ(fin[0].hdr.async_id, interim.hdr.async_id);
  EXPECT_TRUE(fin[0].sig_valid);
  EXPECT_TRUE(b->take_pushed().empty());
  EXPECT_EQ(core_waiters(), 0u);
  // B holds it now.
  EXPECT_EQ(lock(*a, ha, {{100, 50, XF}}), NtStatus::lock_not_granted);
  EXPECT_EQ(lock(*b, hb, {{100, 50, kLockUnlock}}), NtStatus::success);
}

TEST_F(Locks, WaitersAreGrantedInOrder) {
  ASSERT_EQ(lock(*a, ha, {{0, 10, kLockExclusive}}), NtStatus::success);
  ASSERT_EQ(b->one({Command::lock, lock_body(hb, {{0, 10, kLockExclusive}})}).status(), NtStatus::pending);
  ASSERT_EQ(a->one({Command::lock, lock_body(ha2, {{5, 1, kLockExclusive}})}).status(), NtStatus::pending);
  ASSERT_EQ(a->close(ha).status(), NtStatus::success);
  // B queued first and takes the range; A's second handle keeps waiting behind it.
  auto fb = b->take_pushed();
  ASSERT_EQ(fb.size(), 1u);
  EXPECT_EQ(fb[0].status(), NtStatus::success);
  EXPECT_TRUE(a->take_pushed().empty());
  ASSERT_EQ(b->close(hb).status(), NtStatus::success);
  auto fa = a->take_pushed();
  ASSERT_EQ(fa.size(), 1u);
  EXPECT_EQ(fa[0].status(), NtStatus::success);
}

TEST_F(Locks, CancelEndsTheWait) {
  ASSERT_EQ(lock(*a, ha, {{100, 10, kLockExclusive}}), NtStatus::success);
  auto interim = b->one({Command::lock, lock_body(hb, {{100, 10, kLockExclusive}})});
  ASSERT_EQ(interim.status(), NtStatus::pending);
  Req cancel{Command::cancel, EngineClient::empty4_body()};
  cancel.message_id = interim.hdr.message_id;
  cancel.sign = false;
  Vec m = b->frame({cancel});
  m[16] = static_cast<std::uint8_t>(m[16] | codec::kFlagAsyncCommand);
  for (std::size_t i = 0; i < 8; ++i) m[32 + i] = static_cast<std::uint8_t>(interim.hdr.async_id >> (8 * i));
  EXPECT_TRUE(b->raw(m).msgs.empty());
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::cancelled);
  EXPECT_EQ(fin[0].hdr.async_id, interim.hdr.async_id);
  EXPECT_EQ(core_waiters(), 0u);
  // Unlocking later wakes nobody, and the range is free for B afterwards.
  ASSERT_EQ(lock(*a, ha, {{100, 10, kLockUnlock}}), NtStatus::success);
  EXPECT_TRUE(b->take_pushed().empty());
  EXPECT_EQ(lock(*b, hb, {{100, 10, XF}}), NtStatus::success);
}

TEST_F(Locks, CloseOfTheWaitingHandleEndsItWithRangeNotLocked) {
  ASSERT_EQ(lock(*a, ha, {{100, 10, kLockExclusive}}), NtStatus::success);
  ASSERT_EQ(b->one({Command::lock, lock_body(hb, {{100, 10, kLockExclusive}})}).status(), NtStatus::pending);
  ASSERT_EQ(b->close(hb).status(), NtStatus::success);
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::range_not_locked);
  EXPECT_EQ(core_waiters(), 0u);
}

TEST_F(Locks, TreeDisconnectClosesHolderFirstAndTheWaiterGetsItsLock) {
  // Both handles on A's tree: the holder (older) closes first, the waiting lock is granted, then
  // its own handle closes (smbtorture smb2.lock.cancel-tdis).
  ASSERT_EQ(lock(*a, ha, {{100, 10, kLockExclusive}}), NtStatus::success);
  ASSERT_EQ(a->one({Command::lock, lock_body(ha2, {{100, 10, kLockExclusive}})}).status(), NtStatus::pending);
  ASSERT_EQ(a->tree_disconnect().status(), NtStatus::success);
  auto fin = a->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::success);
  EXPECT_EQ(st->nt.census_of(a->connection().core_owner()).locks, 0u);
  EXPECT_EQ(st->nt.census_of(a->connection().core_owner()).waiters, 0u);
  EXPECT_EQ(lock(*b, hb, {{100, 10, XF}}), NtStatus::success);
}

TEST_F(Locks, LogoffWhileWaiting) {
  ASSERT_EQ(lock(*b, hb, {{100, 10, kLockExclusive}}), NtStatus::success);
  ASSERT_EQ(a->one({Command::lock, lock_body(ha, {{100, 10, kLockExclusive}})}).status(), NtStatus::pending);
  ASSERT_EQ(a->logoff().status(), NtStatus::success);
  auto fin = a->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::range_not_locked);  // its own handle closed
  EXPECT_EQ(st->nt.census_of(a->connection().core_owner()).waiters, 0u);
}

TEST_F(Locks, ConnectionGoingAwayWhileWaiting) {
  ASSERT_EQ(lock(*a, ha, {{100, 10, kLockExclusive}}), NtStatus::success);
  ASSERT_EQ(b->one({Command::lock, lock_body(hb, {{100, 10, kLockExclusive}})}).status(), NtStatus::pending);
  b->shutdown();
  EXPECT_EQ(core_waiters(), 0u);
  ASSERT_EQ(lock(*a, ha, {{100, 10, kLockUnlock}}), NtStatus::success);
  EXPECT_EQ(st->nt.census().locks, 0u);
}

TEST_F(Locks, GrantedThenConnectionGoesBeforeItHearsGivesTheLockBack) {
  ASSERT_EQ(lock(*a, ha, {{100, 10, kLockExclusive}}), NtStatus::success);
  ASSERT_EQ(b->one({Command::lock, lock_body(hb, {{100, 10, kLockExclusive}})}).status(), NtStatus::pending);
  ASSERT_EQ(lock(*a, ha, {{100, 10, kLockUnlock}}), NtStatus::success);  // granted in the core
  EXPECT_EQ(st->nt.census().locks, 1u);
  b->shutdown();  // before B's executor heard of it
  EXPECT_EQ(st->nt.census().locks, 0u);
  EXPECT_EQ(core_waiters(), 0u);
}

TEST_F(Locks, WaitingLocksPerConnectionAreCapped) {
  ASSERT_EQ(lock(*a, ha, {{0, 100, kLockExclusive}}), NtStatus::success);
  EXPECT_EQ(lock(*b, hb, {{0, 1, kLockExclusive}}), NtStatus::pending);
  EXPECT_EQ(lock(*b, hb, {{1, 1, kLockExclusive}}), NtStatus::pending);
  EXPECT_EQ(lock(*b, hb, {{2, 1, kLockExclusive}}), NtStatus::lock_not_granted);  // the cap is 2
}

TEST_F(Locks, LockBreaksLevelIIOplocks) {
  // A level II oplock of another open goes to none when a lock is taken (MS-FSA 2.1.4.12).
  Body cb;
  const Vec name = to_utf16le("o.txt");
  cb.u16(57).u8(0).u8(codec::kOplockLevelII).u32(2).u64(0).u64(0).u32(access::kFullAccess).u32(0).u32(kShareAll);
  cb.u32(3).u32(0).u16(0x78).u16(static_cast<std::uint16_t>(name.size())).u32(0).u32(0).bytes(name);
  auto ro = b->one({Command::create, cb.b});
  ASSERT_EQ(ro.status(), NtStatus::success);
  ASSERT_EQ(ro.body()[2], codec::kOplockLevelII);
  auto mine = a->create("o.txt");
  ASSERT_EQ(mine.status, NtStatus::success);
  EXPECT_TRUE(b->take_pushed().empty());
  ASSERT_EQ(lock(*a, mine.fid, {{0, 4, XF}}), NtStatus::success);
  auto n = b->take_pushed();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].hdr.command, Command::oplock_break);
  EXPECT_EQ(n[0].body()[2], codec::kOplockNone);
}

TEST_F(Locks, LockSequenceIsCheckedOnAMultichannelConnection) {
  // 3.3.5.14: on a 3.x connection offering multichannel, a LOCK repeating the open's last
  // LockSequence (index 1, number 1) is a replay: answered as done, not done again.
  EXPECT_EQ(lock(*a, ha, {{100, 100, XF}}, 0x11), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{100, 100, XF}}, 0x11), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{100, 100, kLockUnlock}}, 0x12), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{100, 100, kLockUnlock}}, 0x12), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{100, 100, kLockUnlock}}, 0x13), NtStatus::range_not_locked);
}

TEST_F(LocksWithoutMultichannel, LockSequenceIsIgnoredWithoutResilientDurableOrMultichannel) {
  // 3.3.5.14: replay detection applies to resilient, durable or persistent opens, or on a 3.x
  // connection offering multichannel; none of these here, so a repeat is a new request.
  EXPECT_EQ(lock(*a, ha, {{100, 100, XF}}, 0x11), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{100, 100, XF}}, 0x11), NtStatus::lock_not_granted);
  EXPECT_EQ(lock(*a, ha, {{100, 100, kLockUnlock}}, 0x12), NtStatus::success);
  EXPECT_EQ(lock(*a, ha, {{100, 100, kLockUnlock}}, 0x12), NtStatus::range_not_locked);
}

}  // namespace
}  // namespace smbsrv::test
