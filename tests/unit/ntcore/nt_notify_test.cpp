// NtCore change notification (MS-FSA 2.1.4.1 ChangeNotifyEntry, 2.1.5.10): which watches a change
// reaches (direct children; WatchTree below; the filter; the case rule), relative names, kept
// changes, coalescing, the buffer limit of the first request, the oldest waiter first, outcomes
// handed out once, cancel giving changes back, and close forgetting everything.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "codec/access_mask.hpp"
#include "ntcore/nt_core.hpp"
#include "smbsrv/memory_vfs.hpp"

namespace smbsrv::nt {
namespace {

using codec::NotifyEntry;

struct Recorder : Owner {
  std::vector<std::uint64_t> wakes;
  void post(Event e) override {
    if (auto* w = std::get_if<Wake>(&e)) wakes.push_back(w->token);
  }
};

/// A path written with slashes for readability.
SmbPath p(std::string s) {
  std::replace(s.begin(), s.end(), '/', '\\');
  return *SmbPath::parse(s);
}

struct NtNotify : ::testing::Test {
  std::function<std::uint64_t()> clock = [] { return std::uint64_t{1}; };
  NtCore core{clock, NtCore::Options{}};
  std::shared_ptr<Recorder> a = std::make_shared<Recorder>();
  std::shared_ptr<Vfs> vfs = make_memory_vfs();
  std::uint64_t next_id = 1;

  NtCore::OpenRef dir(const char* path) {
    NtCore::OpenRequest r;
    r.file = {vfs.get(), next_id++};
    r.path = p(path);
    r.is_directory = true;
    r.access = access::kFileReadData;
    r.share_access = 7;
    r.owner = a;
    auto o = core.open(r);
    EXPECT_EQ(o.status, NtStatus::success);
    return o.open;
  }
  NtCore::NotifyBatch request(const NtCore::OpenRef& o, std::uint32_t filter, bool tree,
                              std::optional<std::uint64_t> token = {}, std::uint32_t size = 4096) {
    NtCore::NotifyRequest r;
    r.filter = filter;
    r.watch_tree = tree;
    r.buffer_size = size;
    if (token) r.wait = NtCore::LockWait{a, *token};
    return core.notify_request(o, r);
  }
  void change(const char* path, std::uint32_t action, std::uint32_t filter = codec::kNotifyFileName) {
    const NtCore::Change c{p(path), action, filter};
    core.report(vfs.get(), {&c, 1});
  }
};

TEST_F(NtNotify, DirectChildrenOrTheWholeTree) {
  auto flat = dir("D"), deep = dir("d");  // the same directory, in another case
  EXPECT_EQ(request(flat, codec::kNotifyFileName, false).status, NtStatus::pending);
  EXPECT_EQ(request(deep, codec::kNotifyFileName, true).status, NtStatus::pending);
  change("d/x", codec::kActionAdded);
  change("d/sub/y", codec::kActionAdded);
  change("dx/z", codec::kActionAdded);  // a sibling whose name starts alike
  change("d", codec::kActionModified);  // the watched directory itself
  auto f = request(flat, 0, false);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(f.changes, (std::vector<NotifyEntry>{{codec::kActionAdded, "x"}}));
  auto t = request(deep, 0, false);
  ASSERT_EQ(t.status, NtStatus::success);
  EXPECT_EQ(t.changes, (std::vector<NotifyEntry>{{codec::kActionAdded, "x"}, {codec::kActionAdded, "sub\\y"}}));
}

TEST_F(NtNotify, FilterCoalescingAndBufferLimit) {
  auto d = dir("d");
  EXPECT_EQ(request(d, codec::kNotifySize, false, std::nullopt, 40).status, NtStatus::pending);
  change("d/a", codec::kActionAdded);                          // not in the filter
  change("d/a", codec::kActionModified, codec::kNotifySize);
  change("d/a", codec::kActionModified, codec::kNotifySize);  // the same again: kept once
  auto b = request(d, 0, false);
  EXPECT_EQ(b.changes, (std::vector<NotifyEntry>{{codec::kActionModified, "a"}}));
  // 40 bytes (the first request's) hold two short entries, not three.
  for (const char* n : {"d/1", "d/2", "d/3"}) change(n, codec::kActionModified, codec::kNotifySize);
  b = request(d, 0, false);
  EXPECT_TRUE(b.overflow);
  EXPECT_TRUE(b.changes.empty());
}

TEST_F(NtNotify, OldestWaiterFirstOutcomeOnceCancelGivesBack) {
  auto d = dir("d");
  EXPECT_EQ(request(d, codec::kNotifyFileName, false, 7).status, NtStatus::pending);
  EXPECT_EQ(request(d, codec::kNotifyFileName, false, 8).status, NtStatus::pending);
  EXPECT_EQ(core.census().waiters, 2u);
  change("d/x", codec::kActionAdded);
  EXPECT_EQ(a->wakes, (std::vector<std::uint64_t>{7}));
  auto o = core.notify_outcome(a.get(), 7);
  ASSERT_EQ(o.status, NtStatus::success);
  EXPECT_EQ(o.changes, (std::vector<NotifyEntry>{{codec::kActionAdded, "x"}}));
  EXPECT_EQ(core.notify_outcome(a.get(), 7).status, NtStatus::pending);  // handed out once
  change("d/y", codec::kActionAdded);
  EXPECT_EQ(a->wakes, (std::vector<std::uint64_t>{7, 8}));
  core.cancel_wait(a.get(), 8);  // decided but cancelled: "y" is kept for the next request
  change("d/z", codec::kActionAdded);
  auto next = request(d, 0, false);
  EXPECT_EQ(next.changes, (std::vector<NotifyEntry>{{codec::kActionAdded, "y"}, {codec::kActionAdded, "z"}}));
  EXPECT_EQ(core.census().waiters, 0u);
}

TEST_F(NtNotify, CloseForgetsTheWatch) {
  auto d = dir("d");
  EXPECT_EQ(request(d, codec::kNotifyFileName, false, 3).status, NtStatus::pending);
  change("d/x", codec::kActionAdded);  // decided for token 3, not collected
  (void)core.close(d);
  EXPECT_EQ(core.census().waiters, 0u);
  EXPECT_EQ(core.notify_outcome(a.get(), 3).status, NtStatus::pending);
  change("d/y", codec::kActionAdded);  // nobody watches
  EXPECT_EQ(request(d, codec::kNotifyFileName, false).status, NtStatus::notify_cleanup);
  EXPECT_EQ(core.check_invariants(), std::nullopt);
}

}  // namespace
}  // namespace smbsrv::nt
