// Server-side copy through the engine (MS-SMB2 3.3.5.15.5, 3.3.5.15.6): resume keys, copies,
// the server's limits, ChunkCount 0, unknown keys, access checks, a source past its end, source
// and target in one file, keys used from another connection, and caches broken as by a WRITE.
#include <gtest/gtest.h>

#include "codec/copychunk.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Command;
using codec::kFsctlSrvCopychunk;
using codec::kFsctlSrvCopychunkWrite;
using codec::kFsctlSrvRequestResumeKey;
using Key = std::array<std::uint8_t, 24>;

constexpr std::uint32_t kRead = access::kFileReadData | access::kFileReadAttributes | access::kSynchronize;
constexpr std::uint32_t kWrite = access::kFileWriteData | access::kFileReadAttributes | access::kSynchronize;

struct Chunk {
  std::uint64_t src = 0, dst = 0;
  std::uint32_t len = 0;
};

Vec copy_input(const Key& key, const std::vector<Chunk>& chunks, std::optional<std::uint32_t> count = {}) {
  Body b;
  b.bytes(key).u32(count.value_or(static_cast<std::uint32_t>(chunks.size()))).u32(0);
  for (const auto& c : chunks) b.u64(c.src).u64(c.dst).u32(c.len).u32(0);
  return b.b;
}

/// The IOCTL response's output buffer (OutputOffset at body 32, OutputCount at 36).
Vec output_of(const Rsp& r) { return r.body().size() < 48 ? Vec{} : r.buffer(r.u32(32), r.u32(36)); }

struct CopyResult {
  std::uint32_t chunks = 0, chunk_bytes = 0, total = 0;
  bool present = false;
};
CopyResult copy_result(const Rsp& r) {
  CopyResult c;
  if (r.body().size() < 48) return c;  // an error body (9 bytes) has no OutputOffset to read
  const Vec out = output_of(r);
  if (out.size() != 12) return c;
  c.present = true;
  c.chunks = le32(out, 0);
  c.chunk_bytes = le32(out, 4);
  c.total = le32(out, 8);
  return c;
}

Vec pattern(std::size_t n, std::uint8_t seed = 0) {
  Vec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 + seed + (i >> 8));
  return v;
}

struct CopyChunk : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};

  void SetUp() override { ASSERT_NO_FATAL_FAILURE(c.connect({0x0311})); }

  codec::FileId make_file(EngineClient& cl, std::string_view name, const Vec& data,
                          std::uint32_t access = access::kFullAccess) {
    auto f = cl.create(name, access::kFullAccess, kShareAll, 5 /*overwrite_if*/);
    EXPECT_EQ(f.status, NtStatus::success);
    if (!data.empty()) {
      EXPECT_EQ(cl.write(f.fid, 0, data).status(), NtStatus::success);
    }
    if (access == access::kFullAccess) return f.fid;
    EXPECT_EQ(cl.close(f.fid).status(), NtStatus::success);
    auto g = cl.create(name, access, kShareAll, 1 /*open*/);
    EXPECT_EQ(g.status, NtStatus::success);
    return g.fid;
  }
  Key key_of(EngineClient& cl, const codec::FileId& f) {
    auto r = cl.ioctl(kFsctlSrvRequestResumeKey, f, {}, 32);
    EXPECT_EQ(r.status(), NtStatus::success);
    const Vec out = output_of(r);
    Key k{};
    EXPECT_EQ(out.size(), 32u);
    if (out.size() == 32) std::copy(out.begin(), out.begin() + 24, k.begin());
    return k;
  }
  Vec contents(EngineClient& cl, const codec::FileId& f, std::uint32_t len) {
    auto r = cl.read(f, 0, len);
    if (r.status() != NtStatus::success) return {};
    return r.buffer(r.body()[2], r.u32(4));
  }
  Rsp copy(const codec::FileId& dst, const Key& key, const std::vector<Chunk>& chunks,
           std::uint32_t ctl = kFsctlSrvCopychunk, std::uint32_t max_out = 12) {
    return c.ioctl(ctl, dst, copy_input(key, chunks), max_out);
  }
};

TEST_F(CopyChunk, ResumeKeyIsStablePerOpenAndDistinctBetweenOpens) {
  auto a = make_file(c, "a.bin", pattern(10));
  auto a2 = c.create("a.bin").fid;
  const Key k1 = key_of(c, a), k2 = key_of(c, a), k3 = key_of(c, a2);
  EXPECT_EQ(k1, k2);
  EXPECT_NE(k1, k3);
  // ContextLength is 0; OutputCount 32 (3.3.5.15.5).
  auto r = c.ioctl(kFsctlSrvRequestResumeKey, a, {}, 32);
  ASSERT_EQ(r.u32(36), 32u);
  EXPECT_EQ(le32(output_of(r), 24), 0u);
  // An output buffer too small for it.
  EXPECT_EQ(c.ioctl(kFsctlSrvRequestResumeKey, a, {}, 31).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(c.ioctl(kFsctlSrvRequestResumeKey, {7, 7}, {}, 32).status(), NtStatus::file_closed);
  // Closing the open takes its key out of the table.
  EXPECT_EQ(st->resume_keys.size(), 2u);
  ASSERT_EQ(c.close(a).status(), NtStatus::success);
  EXPECT_EQ(st->resume_keys.size(), 1u);
}

TEST_F(CopyChunk, CopiesChunks) {
  const Vec data = pattern(8192);
  auto src = make_file(c, "src.bin", data);
  auto dst = make_file(c, "dst.bin", {});
  const Key k = key_of(c, src);
  auto r = copy(dst, k, {{0, 0, 4096}, {4096, 4096, 4096}});
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(r.u32(4), kFsctlSrvCopychunk);
  auto res = copy_result(r);
  ASSERT_TRUE(res.present);
  EXPECT_EQ(res.chunks, 2u);
  EXPECT_EQ(res.chunk_bytes, 0u);
  EXPECT_EQ(res.total, 8192u);
  EXPECT_EQ(contents(c, dst, 8192), data);
  // Past the target's end: the gap reads as zeros; chunks may repeat source ranges.
  r = copy(dst, k, {{0, 10000, 100}, {0, 10100, 100}}, kFsctlSrvCopychunkWrite);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(copy_result(r).total, 200u);
  Vec want = data;
  want.resize(10000, 0);
  want.insert(want.end(), data.begin(), data.begin() + 100);
  want.insert(want.end(), data.begin(), data.begin() + 100);
  EXPECT_EQ(contents(c, dst, 20000), want);
}

TEST_F(CopyChunk, SourceIsTargetOverlapping) {
  const Vec data = pattern(4096);
  auto f = make_file(c, "f.bin", data);
  const Key k = key_of(c, f);
  // The target range starts inside the source range: as if all of it were read first.
  auto r = copy(f, k, {{0, 2040, 2048}});
  ASSERT_EQ(r.status(), NtStatus::success);
  Vec want(data.begin(), data.begin() + 2040);
  want.insert(want.end(), data.begin(), data.begin() + 2048);
  want.insert(want.end(), data.begin() + 4088, data.end());
  EXPECT_EQ(contents(c, f, 8192), want);
}

TEST_F(CopyChunk, ChunkCountZeroSucceeds) {
  auto src = make_file(c, "src.bin", pattern(100));
  auto dst = make_file(c, "dst.bin", {});
  auto r = copy(dst, key_of(c, src), {});
  ASSERT_EQ(r.status(), NtStatus::success);
  auto res = copy_result(r);
  ASSERT_TRUE(res.present);
  EXPECT_EQ(res.chunks, 0u);
  EXPECT_EQ(res.total, 0u);
}

TEST_F(CopyChunk, OverTheLimitsAnswersWithTheLimits) {
  auto src = make_file(c, "src.bin", pattern(100));
  auto dst = make_file(c, "dst.bin", {});
  const Key k = key_of(c, src);
  auto expect_limits = [&](const Rsp& r, const char* what) {
    EXPECT_EQ(r.status(), NtStatus::invalid_parameter) << what;
    auto res = copy_result(r);
    ASSERT_TRUE(res.present) << what;
    EXPECT_EQ(res.chunks, 256u) << what;
    EXPECT_EQ(res.chunk_bytes, 1u << 20) << what;
    EXPECT_EQ(res.total, 16u << 20) << what;
  };
  expect_limits(copy(dst, k, {{0, 0, (1u << 20) + 1}}), "chunk too long");
  expect_limits(copy(dst, k, {{0, 0, 0xFFFFFFFF}}), "UINT_MAX chunk");
  expect_limits(copy(dst, k, {{0, 0, 0}}), "zero-length chunk");
  expect_limits(copy(dst, k, std::vector<Chunk>(257, Chunk{0, 0, 1})), "too many chunks");
  expect_limits(copy(dst, k, std::vector<Chunk>(17, Chunk{0, 0, 1u << 20})), "too much data");
  // ChunkCount says more chunks than the input holds; an input shorter than the fixed part.
  expect_limits(c.ioctl(kFsctlSrvCopychunk, dst, copy_input(k, {{0, 0, 1}}, 2), 12), "count beyond input");
  expect_limits(c.ioctl(kFsctlSrvCopychunk, dst, Vec(31, 0), 12), "short input");
  // With no room for SRV_COPYCHUNK_RESPONSE: a plain STATUS_INVALID_PARAMETER.
  auto r = copy(dst, k, {{0, 0, 100}}, kFsctlSrvCopychunk, 11);
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
  EXPECT_FALSE(copy_result(r).present);
  // Nothing was written.
  auto q = c.query_info(dst, codec::kInfoFile, 5 /*FileStandardInformation: EndOfFile at 8*/);
  ASSERT_EQ(q.status(), NtStatus::success);
  const Vec info = q.buffer(q.u16(2), q.u32(4));
  ASSERT_GE(info.size(), 16u);
  EXPECT_EQ(le64(info, 8), 0u);
}

TEST_F(CopyChunk, LimitsComeFromServerConfig) {
  ServerConfig cfg;
  cfg.copychunk_max_chunks = 2;
  cfg.copychunk_max_chunk_size = 100;
  cfg.copychunk_max_data_size = 150;
  st = make_test_state(cfg);
  EngineClient d{st};
  ASSERT_NO_FATAL_FAILURE(d.connect({0x0311}));
  auto src = make_file(d, "src.bin", pattern(300));
  auto dst = make_file(d, "dst.bin", {});
  const Key k = key_of(d, src);
  auto r = d.ioctl(kFsctlSrvCopychunk, dst, copy_input(k, {{0, 0, 100}, {100, 100, 51}}), 12);
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
  auto res = copy_result(r);
  EXPECT_EQ(res.chunks, 2u);
  EXPECT_EQ(res.chunk_bytes, 100u);
  EXPECT_EQ(res.total, 150u);
  EXPECT_EQ(d.ioctl(kFsctlSrvCopychunk, dst, copy_input(k, {{0, 0, 100}, {100, 100, 50}}), 12).status(),
            NtStatus::success);
}

TEST_F(CopyChunk, UnknownOrClosedSourceIsNotFound) {
  auto src = make_file(c, "src.bin", pattern(100));
  auto dst = make_file(c, "dst.bin", {});
  Key bogus{};
  std::memcpy(bogus.data(), "deadbeefdeadbeefdeadbeef", 24);
  EXPECT_EQ(copy(dst, bogus, {{0, 0, 100}}).status(), NtStatus::object_name_not_found);
  const Key k = key_of(c, src);
  ASSERT_EQ(c.close(src).status(), NtStatus::success);
  EXPECT_EQ(copy(dst, k, {{0, 0, 100}}).status(), NtStatus::object_name_not_found);
  // An unknown target handle.
  EXPECT_EQ(copy({5, 5}, k, {{0, 0, 100}}).status(), NtStatus::file_closed);
}

TEST_F(CopyChunk, AccessChecks) {
  make_file(c, "src.bin", pattern(100));
  make_file(c, "dst.bin", {});
  auto src_ro = c.create("src.bin", kRead, kShareAll, 1).fid;
  auto src_wo = c.create("src.bin", kWrite, kShareAll, 1).fid;
  auto src_x = c.create("src.bin", access::kFileExecute | access::kFileReadAttributes, kShareAll, 1).fid;
  auto dst_all = c.create("dst.bin", access::kFullAccess, kShareAll, 1).fid;
  auto dst_ro = c.create("dst.bin", kRead, kShareAll, 1).fid;
  auto dst_wo = c.create("dst.bin", kWrite | access::kFileExecute, kShareAll, 1).fid;
  // No read access on the source.
  EXPECT_EQ(copy(dst_all, key_of(c, src_wo), {{0, 0, 100}}).status(), NtStatus::access_denied);
  // FILE_EXECUTE reads, as for a READ.
  EXPECT_EQ(copy(dst_all, key_of(c, src_x), {{0, 0, 100}}).status(), NtStatus::success);
  const Key k = key_of(c, src_ro);
  // No write access on the target.
  EXPECT_EQ(copy(dst_ro, k, {{0, 0, 100}}).status(), NtStatus::access_denied);
  EXPECT_EQ(copy(dst_ro, k, {{0, 0, 100}}, kFsctlSrvCopychunkWrite).status(), NtStatus::access_denied);
  // COPYCHUNK needs read access on the target too (FILE_EXECUTE is not enough); COPYCHUNK_WRITE
  // does not.
  EXPECT_EQ(copy(dst_wo, k, {{0, 0, 100}}).status(), NtStatus::access_denied);
  auto r = copy(dst_wo, k, {{0, 0, 100}}, kFsctlSrvCopychunkWrite);
  EXPECT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(copy_result(r).total, 100u);
}

TEST_F(CopyChunk, SourcePastItsEndFailsWithWhatWasDone) {
  const Vec data = pattern(8192);
  auto src = make_file(c, "src.bin", data);
  auto dst = make_file(c, "dst.bin", {});
  const Key k = key_of(c, src);
  auto r = copy(dst, k, {{1024, 0, 8192}});
  EXPECT_EQ(r.status(), NtStatus::invalid_view_size);
  auto res = copy_result(r);
  ASSERT_TRUE(res.present);
  EXPECT_EQ(res.chunks, 0u);
  EXPECT_EQ(res.total, 0u);
  // The first chunk is copied, the second fails.
  r = copy(dst, k, {{0, 0, 4096}, {4096, 4096, 8192}});
  EXPECT_EQ(r.status(), NtStatus::invalid_view_size);
  res = copy_result(r);
  EXPECT_EQ(res.chunks, 1u);
  EXPECT_EQ(res.chunk_bytes, 0u);
  EXPECT_EQ(res.total, 4096u);
  EXPECT_EQ(contents(c, dst, 10000), Vec(data.begin(), data.begin() + 4096));
  // Exactly up to the end is fine.
  r = copy(dst, k, {{1024, 0, 7168}});
  EXPECT_EQ(r.status(), NtStatus::success);
}

TEST_F(CopyChunk, KeyFromAnotherConnectionAndShare) {
  // 3.3.5.15.6 locates the source among all opens of the server: a key handed out on one
  // connection names its open on another (engine/resume_keys.hpp).
  Share other;
  other.name = "other";
  other.vfs = make_memory_vfs();
  st->add_share(std::move(other));
  EngineClient d{st};
  d.client_guid[0] = 0x42;
  ASSERT_NO_FATAL_FAILURE(d.connect({0x0302}, "other"));
  const Vec data = pattern(5000);
  auto src = make_file(c, "src.bin", data);
  auto dst = make_file(d, "dst.bin", {});
  auto r = d.ioctl(kFsctlSrvCopychunk, dst, copy_input(key_of(c, src), {{0, 0, 5000}}), 12);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(copy_result(r).total, 5000u);
  EXPECT_EQ(contents(d, dst, 5000), data);
  // The source's connection goes: its keys go with it.
  const Key k = key_of(c, src);
  c.shutdown();
  EXPECT_EQ(d.ioctl(kFsctlSrvCopychunk, dst, copy_input(k, {{0, 0, 10}}), 12).status(),
            NtStatus::object_name_not_found);
}

TEST_F(CopyChunk, BreaksOtherOpensCachingLikeAWrite) {
  EngineClient d{st};
  d.client_guid[0] = 0x42;
  ASSERT_NO_FATAL_FAILURE(d.connect({0x0311}));
  auto src = make_file(c, "src.bin", pattern(100));
  auto dst = make_file(c, "dst.bin", {});
  // Another client holds a level II oplock on the target.
  Body b;
  const Vec name = to_utf16le("dst.bin");
  b.u16(57).u8(0).u8(codec::kOplockLevelII).u32(2).u64(0).u64(0).u32(kRead).u32(0).u32(kShareAll).u32(1).u32(0);
  b.u16(0x78).u16(static_cast<std::uint16_t>(name.size())).u32(0).u32(0).bytes(name);
  auto o = d.one({Command::create, b.b});
  ASSERT_EQ(o.status(), NtStatus::success);
  ASSERT_EQ(o.body()[2], codec::kOplockLevelII);
  EXPECT_TRUE(d.take_pushed().empty());
  ASSERT_EQ(copy(dst, key_of(c, src), {{0, 0, 100}}).status(), NtStatus::success);
  auto notes = d.take_pushed();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].hdr.command, Command::oplock_break);
  EXPECT_EQ(notes[0].body()[2], codec::kOplockNone);
}

}  // namespace
}  // namespace smbsrv::test
