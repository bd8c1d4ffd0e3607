// CHANGE_NOTIFY on a LocalVfs share reports changes another process makes in the shared
// directory (Vfs::watch over inotify; MS-SMB2 3.3.5.19, MS-FSCC 2.7.1), each once, and the
// server's own changes once (not again as their inotify echo).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "smbsrv/local_vfs.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Command;
using codec::NotifyEntry;

constexpr std::uint32_t kDirectoryFile = 0x1;
constexpr std::uint32_t kOpen = 1, kCreate = 2;
constexpr std::uint32_t kNames = codec::kNotifyFileName | codec::kNotifyDirName;

Vec notify_body(const codec::FileId& f, std::uint32_t filter, bool tree = false, std::uint32_t out_len = 4096) {
  return EngineClient::change_notify_body(f, filter, tree, out_len);
}

std::vector<NotifyEntry> changes_of(const Rsp& r) {
  const Vec buf = r.buffer(r.u16(2), r.u32(4));
  auto d = codec::decode_notify_information(buf);
  EXPECT_TRUE(d.ok());
  return d ? *d : std::vector<NotifyEntry>{};
}

Vec rename_buf(std::string_view to) {
  const Vec n = to_utf16le(to);
  return Body{}.u8(0).zeros(7).u64(0).u32(static_cast<std::uint32_t>(n.size())).bytes(n).b;
}

/// Makes a file with plain POSIX calls, as another process on the host would.
void host_create(const std::filesystem::path& p) {
  const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ::close(fd);
}

class HostNotify : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/smbsrv-notify-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_EQ(::mkdir((root_ / "d").c_str(), 0755), 0);
    st_ = make_test_state();
    Share s;
    s.name = "local";
    s.vfs = make_local_vfs(root_);
    st_->add_share(std::move(s));
    a_ = std::make_unique<EngineClient>(st_);
    b_ = std::make_unique<EngineClient>(st_);
    b_->client_guid[0] = 0x99;
    ASSERT_NO_FATAL_FAILURE(a_->connect({0x0311}, "local"));
    ASSERT_NO_FATAL_FAILURE(b_->connect({0x0311}, "local"));
    auto d = a_->create("d", access::kFileReadData | access::kFileReadAttributes | access::kSynchronize, kShareAll,
                        kOpen, kDirectoryFile);
    ASSERT_EQ(d.status, NtStatus::success);
    dir_ = d.fid;
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    st_.reset();
    std::filesystem::remove_all(root_);
  }
  Rsp notify(std::uint32_t filter = kNames, bool tree = false) {
    return a_->one({Command::change_notify, notify_body(dir_, filter, tree)});
  }
  /// The final response to A's waiting notify. The inotify reader runs on its own thread: this
  /// waits for it (bounded, so that a lost event fails the test instead of hanging it).
  Rsp pushed() {
    for (int i = 0; i < 2000; ++i) {
      auto p = a_->take_pushed();
      if (!p.empty()) {
        EXPECT_EQ(p.size(), 1u);
        return p[0];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "no answer to the waiting CHANGE_NOTIFY";
    return Rsp{};
  }

  std::filesystem::path root_;
  std::shared_ptr<engine::ServerState> st_;
  std::unique_ptr<EngineClient> a_, b_;
  codec::FileId dir_;
};

TEST_F(HostNotify, AFileCreatedOnTheHostAnswersTheWaitingRequest) {
  auto interim = notify();
  ASSERT_EQ(interim.status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(host_create(root_ / "d" / "x.txt"));
  auto fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(fin.hdr.async_id, interim.hdr.async_id);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionAdded, "x.txt"}}));
}

TEST_F(HostNotify, HostRenameAndRemoveAreReported) {
  ASSERT_NO_FATAL_FAILURE(host_create(root_ / "d" / "old.txt"));
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_EQ(::rename((root_ / "d" / "old.txt").c_str(), (root_ / "d" / "new.txt").c_str()), 0);
  auto fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionRenamedOld, "old.txt"},
                                                       {codec::kActionRenamedNew, "new.txt"}}));
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_EQ(::unlink((root_ / "d" / "new.txt").c_str()), 0);
  fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionRemoved, "new.txt"}}));
}

TEST_F(HostNotify, TheServersOwnChangeIsReportedOnce) {
  ASSERT_EQ(notify().status(), NtStatus::pending);
  auto c = b_->create("d\\y.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(c.status, NtStatus::success);
  ASSERT_EQ(b_->write(c.fid, 0, Vec(100, 1)).status(), NtStatus::success);
  ASSERT_EQ(b_->close(c.fid).status(), NtStatus::success);
  auto fin = pushed();  // reported by the server itself, at once
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionAdded, "y.txt"}}));
  // The kernel queued the echo of y.txt's creation before the host makes z.txt: had it been
  // taken for a change, it would come first.
  ASSERT_NO_FATAL_FAILURE(host_create(root_ / "d" / "z.txt"));
  auto r = notify();
  if (r.status() == NtStatus::pending) r = pushed();
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(changes_of(r), (std::vector<NotifyEntry>{{codec::kActionAdded, "z.txt"}}));
}

TEST_F(HostNotify, TheServersRenameAndDeleteAreReportedOnce) {
  auto c = b_->create("d\\y.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(c.status, NtStatus::success);
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_EQ(b_->set_info(c.fid, codec::kInfoFile, 10 /*FileRenameInformation*/, rename_buf("d\\w.txt")).status(),
            NtStatus::success);
  auto fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionRenamedOld, "y.txt"},
                                                       {codec::kActionRenamedNew, "w.txt"}}));
  ASSERT_EQ(b_->set_info(c.fid, codec::kInfoFile, 13 /*FileDispositionInformation*/, Vec{1}).status(),
            NtStatus::success);
  ASSERT_EQ(b_->close(c.fid).status(), NtStatus::success);
  auto r = notify();
  ASSERT_EQ(r.status(), NtStatus::success);  // collected meanwhile
  EXPECT_EQ(changes_of(r), (std::vector<NotifyEntry>{{codec::kActionRemoved, "w.txt"}}));
  // The echoes of the rename and the unlink were queued by the kernel before this create.
  ASSERT_NO_FATAL_FAILURE(host_create(root_ / "d" / "z.txt"));
  r = notify();
  if (r.status() == NtStatus::pending) r = pushed();
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(changes_of(r), (std::vector<NotifyEntry>{{codec::kActionAdded, "z.txt"}}));
}

TEST_F(HostNotify, TwoHandlesOnOneDirectoryEachGetAHostChangeOnce) {
  auto d2 = b_->create("d", access::kFileReadData | access::kSynchronize, kShareAll, kOpen, kDirectoryFile);
  ASSERT_EQ(d2.status, NtStatus::success);
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_EQ(b_->one({Command::change_notify, notify_body(d2.fid, kNames)}).status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(host_create(root_ / "d" / "x.txt"));
  auto fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionAdded, "x.txt"}}));
  std::vector<Rsp> p;
  for (int i = 0; i < 2000 && p.empty(); ++i) {
    p = b_->take_pushed();
    if (p.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(changes_of(p[0]), (std::vector<NotifyEntry>{{codec::kActionAdded, "x.txt"}}));
  // Closing one handle leaves the other's watch (the kernel's watch is shared).
  ASSERT_EQ(b_->close(d2.fid).status(), NtStatus::success);
  (void)b_->take_pushed();
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(host_create(root_ / "d" / "x2.txt"));
  fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionAdded, "x2.txt"}}));
}

TEST_F(HostNotify, WatchTreeSeesSubdirectoriesIncludingNewOnes) {
  ASSERT_EQ(::mkdir((root_ / "d" / "sub").c_str(), 0755), 0);
  ASSERT_EQ(notify(kNames, true).status(), NtStatus::pending);
  ASSERT_NO_FATAL_FAILURE(host_create(root_ / "d" / "sub" / "a.txt"));
  auto fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionAdded, "sub\\a.txt"}}));
  // A directory made after the watch started is watched too (its own ADDED comes first).
  ASSERT_EQ(notify(codec::kNotifyDirName, true).status(), NtStatus::pending);
  ASSERT_EQ(::mkdir((root_ / "d" / "new").c_str(), 0755), 0);
  fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionAdded, "new"}}));
  ASSERT_EQ(notify(kNames, true).status(), NtStatus::pending);
  ASSERT_EQ(::mkdir((root_ / "d" / "new" / "deeper").c_str(), 0755), 0);
  fin = pushed();
  ASSERT_EQ(fin.status(), NtStatus::success);
  EXPECT_EQ(changes_of(fin), (std::vector<NotifyEntry>{{codec::kActionAdded, "new\\deeper"}}));
}

TEST_F(HostNotify, MoreDirectoriesThanTheCapAnswerNotifyEnumDir) {
  for (int i = 0; i < 300; ++i) ASSERT_EQ(::mkdir((root_ / "d" / ("s" + std::to_string(i))).c_str(), 0755), 0);
  ASSERT_EQ(notify(kNames, true).status(), NtStatus::pending);
  EXPECT_EQ(pushed().status(), NtStatus::notify_enum_dir);
}

TEST_F(HostNotify, ClosingTheHandleEndsTheWatch) {
  ASSERT_EQ(notify().status(), NtStatus::pending);
  ASSERT_EQ(a_->close(dir_).status(), NtStatus::success);
  auto p = a_->take_pushed();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].status(), NtStatus::notify_cleanup);
  // Nothing watches any more: a host change is harmless and reaches nobody.
  ASSERT_NO_FATAL_FAILURE(host_create(root_ / "d" / "late.txt"));
  EXPECT_EQ(st_->nt.census().waiters, 0u);
}

}  // namespace
}  // namespace smbsrv::test
