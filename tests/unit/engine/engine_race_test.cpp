// CLOSE, TREE_DISCONNECT and LOGOFF racing in-flight READ/WRITE on one connection
// (reliability-anchors C5): requests of one connection run concurrently on the worker pool, so
// teardown must never free what a running handler still uses. Each request gets a sensible
// status (success, or the status of a handle/tree/session that went away), never a crash; run
// under ASan/TSan in the sanitizer CI job. The frames are built up front and fed from threads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Command;

std::shared_ptr<engine::ServerState> race_state() {
  ServerConfig cfg;
  cfg.require_signing = false;
  return make_test_state(cfg);
}

struct RaceSetup {
  std::shared_ptr<engine::ServerState> st = race_state();
  EngineClient c{st};
  codec::FileId fid;

  void open() {
    c.strict_signing = false;
    c.security_mode = 0;
    ASSERT_NO_FATAL_FAILURE(c.connect({0x0210}));
    c.signing_key.clear();  // the server does not require signing: send unsigned
    auto f = c.create("race.bin");
    ASSERT_EQ(f.status, NtStatus::success);
    fid = f.fid;
    Vec data(65536, 0x5A);
    ASSERT_EQ(c.write(fid, 0, data).status(), NtStatus::success);
    // Ask for a large credit window so the pre-built frames below are all inside it.
    for (int i = 0; i < 4; ++i) {
      Req e{Command::echo, EngineClient::echo_body()};
      e.credit_request = 1024;
      ASSERT_EQ(c.one(e).status(), NtStatus::success);
    }
  }
};

// Feeds `frames` from `threads` threads; returns the statuses of the first message of each reply.
std::vector<NtStatus> feed(engine::Connection& conn, const std::vector<Vec>& frames, int threads) {
  std::vector<NtStatus> statuses(frames.size(), NtStatus::internal_error);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < frames.size(); i = next++) {
        auto out = conn.on_message(frames[i]);
        if (out.disposition != engine::Disposition::keep || out.frames.empty()) {
          statuses[i] = NtStatus::unsuccessful;  // marks "connection dropped"
          continue;
        }
        const auto& f = out.frames[0];
        statuses[i] = static_cast<NtStatus>(le32(f, 8));
      }
    });
  }
  for (auto& th : pool) th.join();
  return statuses;
}

void expect_only(const std::vector<NtStatus>& got, std::initializer_list<NtStatus> allowed) {
  for (auto s : got) {
    bool ok = false;
    for (auto a : allowed) ok = ok || s == a;
    EXPECT_TRUE(ok) << to_string(s);
  }
}

TEST(EngineRaceTest, CloseRacesReadsAndWrites) {
  for (int round = 0; round < 20; ++round) {
    RaceSetup r;
    ASSERT_NO_FATAL_FAILURE(r.open());
    std::vector<Vec> frames;
    Vec data(4096, 0x33);
    for (int i = 0; i < 200; ++i) {
      if (i == 100) frames.push_back(r.c.build({Command::close, EngineClient::close_body(r.fid)}));
      if (i % 2) {
        Vec body = EngineClient::read_body(r.fid, static_cast<std::uint64_t>(i) * 64, 4096);
        frames.push_back(r.c.build({Command::read, body}));
      } else {
        frames.push_back(r.c.build({Command::write, EngineClient::write_body(r.fid, 4096u * static_cast<std::uint64_t>(i % 16), data)}));
      }
    }
    auto statuses = feed(r.c.connection(), frames, 4);
    expect_only(statuses, {NtStatus::success, NtStatus::file_closed});
    EXPECT_EQ(r.c.echo().status(), NtStatus::success);  // the connection still serves
  }
}

TEST(EngineRaceTest, TreeDisconnectAndLogoffRaceIo) {
  for (int round = 0; round < 20; ++round) {
    RaceSetup r;
    ASSERT_NO_FATAL_FAILURE(r.open());
    std::vector<Vec> frames;
    for (int i = 0; i < 150; ++i) {
      if (i == 50) frames.push_back(r.c.build({Command::tree_disconnect, EngineClient::empty4_body()}));
      if (i == 100) frames.push_back(r.c.build({Command::logoff, EngineClient::empty4_body()}));
      frames.push_back(r.c.build({Command::read, EngineClient::read_body(r.fid, 0, 1024)}));
    }
    auto statuses = feed(r.c.connection(), frames, 4);
    expect_only(statuses, {NtStatus::success, NtStatus::file_closed, NtStatus::network_name_deleted,
                           NtStatus::user_session_deleted});
  }
}

TEST(EngineRaceTest, ConnectionShutdownRacesIo) {
  for (int round = 0; round < 20; ++round) {
    RaceSetup r;
    ASSERT_NO_FATAL_FAILURE(r.open());
    std::vector<Vec> frames;
    for (int i = 0; i < 100; ++i) frames.push_back(r.c.build({Command::read, EngineClient::read_body(r.fid, 0, 512)}));
    std::thread killer([&] { r.c.connection().shutdown(); });
    auto statuses = feed(r.c.connection(), frames, 3);
    killer.join();
    expect_only(statuses, {NtStatus::success, NtStatus::file_closed, NtStatus::user_session_deleted});
  }
}

}  // namespace
}  // namespace smbsrv::test
