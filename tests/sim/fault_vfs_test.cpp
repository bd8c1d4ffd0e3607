// Unit tests of the simulation's parts: FaultVfs, the data model's blocks, the lock model.
#include <gtest/gtest.h>

#include "sim/fault_vfs.hpp"
#include "sim/model.hpp"
#include "sim/rng.hpp"
#include "smbsrv/memory_vfs.hpp"

namespace smbsrv::sim {
namespace {

SmbPath path(std::string_view s) { return *SmbPath::parse(s); }

OpenParams create_rw() {
  OpenParams p;
  p.write = true;
  p.disposition = CreateDisposition::open_if;
  return p;
}

TEST(FaultVfs, CountsEveryCallOfTheVfsAndItsFiles) {
  FaultVfs vfs(make_memory_vfs());
  auto f = vfs.open(path("a"), create_rw());  // 1
  ASSERT_TRUE(f);
  const std::uint8_t data[] = {1, 2, 3};
  ASSERT_TRUE(f->file->write(0, data));  // 2
  ASSERT_TRUE(f->file->stat());          // 3
  ASSERT_TRUE(vfs.fs_info());            // 4
  EXPECT_EQ(vfs.calls(), 4u);
  EXPECT_EQ(vfs.calls(VfsCall::open), 1u);
  EXPECT_EQ(vfs.calls(VfsCall::write), 1u);
  EXPECT_EQ(vfs.calls(VfsCall::read), 0u);
  EXPECT_EQ(vfs.failures(), 0u);
}

TEST(FaultVfs, FailsTheKthCallWithoutReachingTheBackend) {
  FaultVfs vfs(make_memory_vfs());
  vfs.fail_call(2, NtStatus::disk_full);
  auto f = vfs.open(path("a"), create_rw());  // 1
  ASSERT_TRUE(f);
  const std::uint8_t data[] = {1, 2, 3};
  auto w = f->file->write(0, data);  // 2: fails
  ASSERT_FALSE(w);
  EXPECT_EQ(w.status(), NtStatus::disk_full);
  auto st = f->file->stat();  // 3: the write did not happen
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, 0u);
  ASSERT_TRUE(f->file->write(0, data));  // 4
  EXPECT_EQ(vfs.failures(), 1u);
  // A failed open creates nothing.
  vfs.fail_call(5, NtStatus::access_denied);
  auto g = vfs.open(path("b"), create_rw());
  ASSERT_FALSE(g);
  EXPECT_EQ(g.status(), NtStatus::access_denied);
  OpenParams just_open;
  just_open.disposition = CreateDisposition::open;
  auto again = vfs.open(path("b"), just_open);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status(), NtStatus::object_name_not_found);
}

TEST(FaultVfs, FailsTheKthCallOfOneKind) {
  FaultVfs vfs(make_memory_vfs());
  vfs.fail_call(VfsCall::read, 2, NtStatus::io_timeout);
  auto f = vfs.open(path("a"), create_rw());
  ASSERT_TRUE(f);
  std::uint8_t buf[4];
  EXPECT_TRUE(f->file->read(0, buf));
  ASSERT_TRUE(f->file->stat());
  auto r = f->file->read(0, buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status(), NtStatus::io_timeout);
  EXPECT_TRUE(f->file->read(0, buf));
}

TEST(FaultVfs, ReportsAHeldCallOnce) {
  FaultVfs vfs(make_memory_vfs());
  vfs.hold_call(2);
  auto f = vfs.open(path("a"), create_rw());
  ASSERT_TRUE(f);
  EXPECT_FALSE(vfs.take_held());
  ASSERT_TRUE(f->file->stat());  // 2: held, but it works
  EXPECT_TRUE(vfs.take_held());
  EXPECT_FALSE(vfs.take_held());
  EXPECT_EQ(vfs.holds(), 1u);
}

TEST(SimBlocks, NameTheirWriteAndOffset) {
  std::uint8_t b[kBlock];
  fill_block(b, 77, 5);
  EXPECT_EQ(decode_block(b, 5), 77u);
  EXPECT_FALSE(decode_block(b, 6).has_value());  // at the wrong offset
  b[12] ^= 1;
  EXPECT_FALSE(decode_block(b, 5).has_value());  // torn
  std::uint8_t z[kBlock] = {};
  EXPECT_EQ(decode_block(z, 3), 0u);
}

TEST(SimDataModel, ExactAfterOneWriteUnionWhileWritesOverlap) {
  DataModel m;
  ASSERT_TRUE(m.discover(9, 0));
  std::uint8_t b[kBlock];
  auto e1 = m.begin_effect(1, 0, 1, 9, -1);
  m.end_effect(e1, DataModel::Outcome::applied);
  fill_block(b, 1, 0);
  auto r = m.begin_read(9, 0, 1);
  EXPECT_FALSE(m.end_read(r, b).has_value());
  std::uint8_t z[kBlock] = {};
  r = m.begin_read(9, 0, 1);
  EXPECT_TRUE(m.end_read(r, z).has_value());  // zeros are no longer possible
  // Two overlapping writes: either may be there afterwards.
  auto e2 = m.begin_effect(2, 0, 1, 9, -1);
  auto e3 = m.begin_effect(3, 0, 1, 9, -1);
  m.end_effect(e2, DataModel::Outcome::applied);
  m.end_effect(e3, DataModel::Outcome::applied);
  fill_block(b, 2, 0);
  r = m.begin_read(9, 0, 1);
  EXPECT_FALSE(m.end_read(r, b).has_value());
  // A failed write on its own leaves what was there.
  auto e4 = m.begin_effect(4, 0, 1, 9, -1);
  m.end_effect(e4, DataModel::Outcome::applied);
  auto e5 = m.begin_effect(5, 0, 1, 9, -1);
  m.end_effect(e5, DataModel::Outcome::not_applied);
  fill_block(b, 4, 0);
  r = m.begin_read(9, 0, 1);
  EXPECT_FALSE(m.end_read(r, b).has_value());
  // A read sent before a write may see it.
  r = m.begin_read(9, 0, 1);
  auto e6 = m.begin_effect(6, 0, 1, 9, -1);
  fill_block(b, 6, 0);
  EXPECT_FALSE(m.end_read(r, b).has_value());
  m.end_effect(e6, DataModel::Outcome::applied);
}

TEST(SimDataModel, EffectsOnUnknownFilesReachFilesSeenLater) {
  DataModel m;
  auto e = m.begin_effect(7, 2, 1, 0, 3);  // a compound's write into name space 3
  ASSERT_TRUE(m.discover(11, 3));           // its CREATE made file 11
  m.end_effect(e, DataModel::Outcome::applied, 11);
  std::uint8_t b[3 * kBlock] = {};
  fill_block(b + 2 * kBlock, 7, 2);
  auto r = m.begin_read(11, 0, 3);
  EXPECT_FALSE(m.end_read(r, b).has_value());
  EXPECT_FALSE(m.discover(11, 4));  // a file does not change name space
}

TEST(SimDataModel, AnUnknownEffectMayComeAfterOneThatBeganBeforeItEnded) {
  DataModel m;
  auto t = m.begin_effect(0, 0, kBlocks, 0, 3);  // a gone connection's truncation, file unknown
  auto w = m.begin_effect(9, 2, 1, 0, 3);        // a compound's write
  m.end_effect(t, DataModel::Outcome::unknown);  // the gone connection's jobs are done
  ASSERT_TRUE(m.discover(11, 3));
  m.end_effect(w, DataModel::Outcome::applied, 11);
  std::uint8_t b[kBlock] = {};
  auto r = m.begin_read(11, 2, 1);
  EXPECT_FALSE(m.end_read(r, b).has_value());  // truncated after the write: possible
  fill_block(b, 9, 2);
  r = m.begin_read(11, 2, 1);
  EXPECT_FALSE(m.end_read(r, b).has_value());
  // A write that begins after the unknown effect ended is exact again.
  auto w2 = m.begin_effect(10, 2, 1, 11, -1);
  m.end_effect(w2, DataModel::Outcome::applied);
  std::uint8_t z[kBlock] = {};
  r = m.begin_read(11, 2, 1);
  EXPECT_TRUE(m.end_read(r, z).has_value());
}

TEST(SimLockModel, FollowsTheNtRules) {
  LockModel l;
  EXPECT_FALSE(l.on_lock(1, 1, 10, {{0, 8, true}}, true, false).has_value());
  EXPECT_TRUE(l.on_lock(1, 2, 20, {{4, 8, false}}, true, false).has_value());   // granted on a conflict
  EXPECT_FALSE(l.on_lock(1, 2, 20, {{4, 8, false}}, false, true).has_value());  // refused: right
  EXPECT_TRUE(l.on_lock(1, 2, 20, {{8, 8, false}}, false, true).has_value());   // refused without a conflict
  EXPECT_FALSE(l.on_lock(1, 2, 20, {{8, 8, false}}, true, false).has_value());
  EXPECT_EQ(l.certain(1), 1u);
  l.uncertain(1, 10);
  EXPECT_EQ(l.certain(1), 0u);
  EXPECT_EQ(l.all(1), 1u);
  EXPECT_FALSE(l.on_lock(1, 2, 20, {{0, 4, true}}, false, true).has_value());  // may still be held
  l.remove(1, 10);
  EXPECT_EQ(l.all(1), 0u);
  // Unlock: in order, up to the first range not held.
  EXPECT_FALSE(l.on_unlock(1, 2, 20, {{8, 8, false}, {100, 1, false}}, false, true).has_value());
  EXPECT_EQ(l.all(2), 0u);
  EXPECT_TRUE(l.on_unlock(1, 2, 20, {{8, 8, false}}, true, false).has_value());
}

TEST(SimRng, IsReproducible) {
  SeededSource a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.below(1000);
    EXPECT_EQ(x, b.below(1000));
    differs |= x != c.below(1000);
  }
  EXPECT_TRUE(differs);
  const std::uint8_t bytes[] = {5, 1, 2};
  ByteSource s(bytes, sizeof bytes);
  EXPECT_EQ(s.below(10), 5u);
  EXPECT_EQ(s.below(1000), (1u * 256 + 2) % 1000);
  EXPECT_FALSE(s.exhausted());
  EXPECT_EQ(s.below(10), 0u);
  EXPECT_TRUE(s.exhausted());
}

}  // namespace
}  // namespace smbsrv::sim
