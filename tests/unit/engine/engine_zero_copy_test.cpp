// Zero-copy READ (Output::tail): which READs the engine answers with a file tail for the
// transport's sendfile, and that the frame it describes is exactly the copied READ response.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "smbsrv/local_vfs.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kReadAccess = 0x00120089;
constexpr std::uint32_t kOpenExisting = 1;
constexpr std::size_t kSize = 3 * 1024 * 1024 + 123;

std::uint8_t pattern(std::size_t i) { return static_cast<std::uint8_t>((i * 2654435761u) >> 11); }

class ZeroCopyRead : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/smbsrv-zc-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream f(dir_ / "big.dat", std::ios::binary);
    for (std::size_t i = 0; i < kSize; ++i) f.put(static_cast<char>(pattern(i)));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// An unsigned 3.1.1 session (signing not required, the client signs nothing) on a LocalVfs
  /// share, with big.dat open.
  void connect(ServerConfig cfg = {}, bool sign = false) {
    cfg.require_signing = false;
    state_ = make_test_state(cfg);
    Share s;
    s.name = "local";
    s.vfs = make_local_vfs(dir_);
    state_->add_share(std::move(s));
    c_ = std::make_unique<EngineClient>(state_);
    c_->connect({0x0311}, "local");
    if (!sign) {
      c_->signing_key.clear();
      c_->strict_signing = false;
    }
    auto r = c_->create("big.dat", kReadAccess, kShareAll, kOpenExisting);
    ASSERT_EQ(r.status, NtStatus::success);
    fid_ = r.fid;
  }

  /// Sends `reqs` straight to the engine and returns its Output as is (tail not inlined).
  engine::Output send(const std::vector<Req>& reqs) {
    return c_->drive_raw(c_->connection().on_message(c_->frame(reqs)));
  }
  Req read_req(std::uint64_t offset, std::uint32_t len) {
    Req r{Command::read, EngineClient::read_body(fid_, offset, len)};
    r.charge = c_->charge_for(len);
    return r;
  }
  /// The READ response the client would receive, checked to carry file bytes [offset, offset+len).
  void expect_data(engine::Output& out, std::uint64_t offset, std::size_t len) {
    engine::inline_file_tail(out);
    ASSERT_EQ(out.frames.size(), 1u);
    std::vector<Rsp> msgs;
    EngineClient::parse_frame(out.frames[0], msgs);
    ASSERT_EQ(msgs.size(), 1u);
    ASSERT_EQ(msgs[0].status(), NtStatus::success);
    const Vec data = EngineClient::read_data(msgs[0]);
    ASSERT_EQ(data.size(), len);
    for (std::size_t i = 0; i < len; ++i)
      ASSERT_EQ(data[i], pattern(offset + i)) << "byte " << i;
  }

  std::filesystem::path dir_;
  std::shared_ptr<engine::ServerState> state_;
  std::unique_ptr<EngineClient> c_;
  codec::FileId fid_;
};

TEST_F(ZeroCopyRead, LargeUnsignedReadIsAFileTail) {
  connect();
  auto out = send({read_req(4096, 1 << 20)});
  ASSERT_TRUE(out.tail);
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(out.frames[0].size(), codec::kHeaderSize + 16);  // header + READ header, no data
  EXPECT_EQ(out.tail.offset(), 4096u);
  EXPECT_EQ(out.tail.length(), 1u << 20);
  EXPECT_EQ(state_->zero_copy_fds.load(), 1u);  // the tail holds a descriptor until it is sent
  expect_data(out, 4096, 1 << 20);
  EXPECT_FALSE(out.tail);  // inlined, descriptor closed
  EXPECT_EQ(state_->zero_copy_fds.load(), 0u);
}

TEST_F(ZeroCopyRead, ShortAtEndOfFileAndPastIt) {
  connect();
  auto out = send({read_req(kSize - 1000, 1 << 20)});
  ASSERT_TRUE(out.tail);
  EXPECT_EQ(out.tail.length(), 1000u);
  expect_data(out, kSize - 1000, 1000);

  auto past = send({read_req(kSize, 1 << 20)});
  EXPECT_FALSE(past.tail);
  std::vector<Rsp> msgs;
  EngineClient::parse_frame(past.frames[0], msgs);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].status(), NtStatus::end_of_file);

  // MinimumCount larger than what is left: END_OF_FILE as for a copied READ.
  Req r = read_req(kSize - 10, 1 << 20);
  r.body[32] = 100;  // MinimumCount (offset 32 of the READ request body)
  auto min = send({r});
  EXPECT_FALSE(min.tail);
  msgs.clear();
  EngineClient::parse_frame(min.frames[0], msgs);
  EXPECT_EQ(msgs[0].status(), NtStatus::end_of_file);
  EXPECT_EQ(state_->zero_copy_fds.load(), 0u);  // the failed ones gave their descriptors back
}

TEST_F(ZeroCopyRead, DescriptorsHeldByUnsentTailsAreCapped) {
  rlimit rl{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  const rlim_t want = engine::ServerState::kMaxZeroCopyFds + 256;
  if (rl.rlim_cur < want) {
    rl.rlim_cur = std::min(want, rl.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << rl.rlim_max << " < " << want;
  }
  connect();
  std::vector<engine::Output> unsent;  // a client that never reads its responses
  for (std::size_t i = 0; i < engine::ServerState::kMaxZeroCopyFds; ++i) {
    unsent.push_back(send({read_req(0, 65536)}));
    ASSERT_TRUE(unsent.back().tail);
  }
  auto over = send({read_req(0, 65536)});
  EXPECT_FALSE(over.tail);  // copied instead of taking one more descriptor
  expect_data(over, 0, 65536);
  unsent.clear();
  EXPECT_EQ(state_->zero_copy_fds.load(), 0u);
  EXPECT_TRUE(send({read_req(0, 65536)}).tail);
}

TEST_F(ZeroCopyRead, SmallSignedCompoundOrDisabledReadsAreCopied) {
  connect();
  auto small = send({read_req(0, 16 * 1024)});  // under the 64 KiB default threshold
  EXPECT_FALSE(small.tail);
  expect_data(small, 0, 16 * 1024);

  // In a compound the data sits between other responses: copied.
  Req echo{Command::echo, EngineClient::echo_body()};
  auto chained = send({read_req(0, 1 << 20), echo});
  EXPECT_FALSE(chained.tail);

  ServerConfig off;
  off.zero_copy_read_threshold = 0;
  connect(off);
  auto disabled = send({read_req(0, 1 << 20)});
  EXPECT_FALSE(disabled.tail);
  expect_data(disabled, 0, 1 << 20);
}

TEST_F(ZeroCopyRead, SignedReadIsCopiedAndSigned) {
  connect({}, /*sign=*/true);
  auto out = send({read_req(0, 1 << 20)});
  EXPECT_FALSE(out.tail);  // the signature covers the data: it must be in memory
  std::vector<Rsp> msgs;
  EngineClient::parse_frame(out.frames[0], msgs);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].hdr.flags & codec::kFlagSigned);
}

TEST_F(ZeroCopyRead, TheClientSeesTheSameBytesEitherWay) {
  connect();
  for (const std::uint32_t len : {65536u, 1u << 20, 8u << 20}) {
    auto r = c_->read(fid_, 777, len);  // through raw(): the tail is inlined as the transport sends it
    ASSERT_EQ(r.status(), NtStatus::success);
    const Vec data = EngineClient::read_data(r);
    const std::size_t want = std::min<std::size_t>(len, kSize - 777);
    ASSERT_EQ(data.size(), want);
    for (std::size_t i = 0; i < want; ++i) ASSERT_EQ(data[i], pattern(777 + i));
  }
}

}  // namespace
}  // namespace smbsrv::test
