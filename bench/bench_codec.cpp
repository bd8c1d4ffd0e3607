// Header decode and compound walking (BM_HeaderDecode, BM_CompoundWalk), READ/WRITE response
// encoding as the engine does it (BM_EncodeReadResponse/<bytes>, BM_EncodeWriteResponse) and the
// decode of a typical CREATE+READ+CLOSE compound (BM_CompoundDecode).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "codec/messages.hpp"
#include "engine_client.hpp"

namespace {

std::vector<std::uint8_t> message(smbsrv::codec::Command cmd, std::uint32_t next) {
  std::vector<std::uint8_t> buf;
  smbsrv::ByteWriter w(buf);
  smbsrv::codec::Header h;
  h.command = cmd;
  h.next_command = next;
  smbsrv::codec::encode_header(w, h);
  smbsrv::codec::encode_echo_response(w);
  w.align(8);
  return buf;
}

void BM_HeaderDecode(benchmark::State& state) {
  const auto msg = message(smbsrv::codec::Command::echo, 0);
  for (auto _ : state) benchmark::DoNotOptimize(smbsrv::codec::decode_header(msg));
}
BENCHMARK(BM_HeaderDecode);

void BM_CompoundWalk(benchmark::State& state) {
  std::vector<std::uint8_t> frame;
  for (int i = 0; i < 3; ++i) {
    auto m = message(smbsrv::codec::Command::echo, i < 2 ? 72 : 0);
    m.resize(72);
    frame.insert(frame.end(), m.begin(), m.end());
  }
  for (auto _ : state) benchmark::DoNotOptimize(smbsrv::codec::split_compound(frame));
}
BENCHMARK(BM_CompoundWalk);

// A READ response the way Connection::on_read builds it: header + 16-byte fixed part into a
// fresh buffer, then the data appended (the VFS read is replaced by a memcpy).
void BM_EncodeReadResponse(benchmark::State& state) {
  const auto len = static_cast<std::size_t>(state.range(0));
  const std::vector<std::uint8_t> data(len, 0x5A);
  smbsrv::codec::Header h;
  h.command = smbsrv::codec::Command::read;
  h.flags = smbsrv::codec::kFlagServerToRedir;
  for (auto _ : state) {
    std::vector<std::uint8_t> buf;
    buf.reserve(smbsrv::codec::kHeaderSize + 16 + len);
    smbsrv::ByteWriter w(buf);
    smbsrv::codec::encode_header(w, h);
    smbsrv::codec::encode_read_response_header(w, static_cast<std::uint32_t>(len));
    const std::size_t at = buf.size();
    buf.resize(at + len);
    std::memcpy(buf.data() + at, data.data(), len);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EncodeReadResponse)->Arg(4096)->Arg(65536)->Arg(1 << 20);

void BM_EncodeWriteResponse(benchmark::State& state) {
  smbsrv::codec::Header h;
  h.command = smbsrv::codec::Command::write;
  h.flags = smbsrv::codec::kFlagServerToRedir;
  smbsrv::codec::WriteResponse r;
  r.count = 1 << 20;
  for (auto _ : state) {
    std::vector<std::uint8_t> buf;
    smbsrv::ByteWriter w(buf);
    smbsrv::codec::encode_header(w, h);
    smbsrv::codec::encode_write_response(w, r);
    benchmark::DoNotOptimize(buf.data());
  }
}
BENCHMARK(BM_EncodeWriteResponse);

// CREATE(name) + READ(related, 64 KiB) + CLOSE(related): split the chain, decode every header
// and every body.
void BM_CompoundDecode(benchmark::State& state) {
  using smbsrv::test::EngineClient;
  using smbsrv::test::Req;
  using smbsrv::codec::Command;
  const smbsrv::codec::FileId related{~0ULL, ~0ULL};
  std::vector<Req> reqs;
  reqs.push_back({Command::create, EngineClient::create_body("dir\\some file name.txt", 0x00120089, 7, 1, 0x40)});
  reqs.push_back({Command::read, EngineClient::read_body(related, 0, 65536)});
  reqs.back().flags = smbsrv::codec::kFlagRelatedOperations;
  reqs.push_back({Command::close, EngineClient::close_body(related)});
  reqs.back().flags = smbsrv::codec::kFlagRelatedOperations;
  EngineClient cl(smbsrv::test::make_test_state());
  const auto frame = cl.frame(reqs);
  for (auto _ : state) {
    auto parts = smbsrv::codec::split_compound(frame);
    if (!parts || parts->size() != 3) {
      state.SkipWithError("bad compound");
      break;
    }
    for (const auto& m : *parts) {
      auto h = smbsrv::codec::decode_header(m);
      benchmark::DoNotOptimize(h);
      switch (h->command) {
        case Command::create: benchmark::DoNotOptimize(smbsrv::codec::decode_create_request(m)); break;
        case Command::read: benchmark::DoNotOptimize(smbsrv::codec::decode_read_request(m)); break;
        case Command::close: benchmark::DoNotOptimize(smbsrv::codec::decode_close_request(m)); break;
        default: break;
      }
    }
  }
}
BENCHMARK(BM_CompoundDecode);

}  // namespace
