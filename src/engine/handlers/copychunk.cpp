// Server-side copy (MS-SMB2 3.3.5.15.5, 3.3.5.15.6). A client asks for the resume key of a source
// open, then sends the target open a list of chunks (source offset, target offset, length) to copy
// inside the server: the data never crosses the wire. The copy itself is VfsFile::copy_from, which
// LocalVfs does with copy_file_range(2).
#include "engine/handlers/copychunk.hpp"

#include <functional>
#include <mutex>

#include "codec/access_mask.hpp"
#include "codec/copychunk.hpp"

namespace smbsrv::engine::handlers {
namespace {

using namespace smbsrv::access;

/// What an IOCTL response repeats of its request: CtlCode, and the FileId of the open (the real
/// one when the request inherited it in a compound).
struct Echo {
  std::uint32_t ctl_code = 0;
  codec::FileId file_id;
};

/// The IOCTL response around `output`, with `status` (3.3.5.15.6.1 and .2 send the whole response,
/// SRV_COPYCHUNK_RESPONSE included, with an error status too).
void answer(Response& rsp, const Echo& io, std::span<const std::uint8_t> output, NtStatus status = NtStatus::success) {
  codec::IoctlResponse out;
  out.ctl_code = io.ctl_code;
  out.file_id = io.file_id;
  out.output.assign(output.begin(), output.end());
  Response::BodyBuilder b;
  codec::encode_ioctl_response(b.w, 0, out);
  rsp.set_body(b.buf);
  rsp.status = status;
}

void answer_copy(Response& rsp, const Echo& io, const codec::SrvCopychunkResponse& r,
                 NtStatus status) {
  std::vector<std::uint8_t> buf;
  ByteWriter w(buf);
  codec::encode_srv_copychunk_response(w, r);
  answer(rsp, io, buf, status);
}

/// 3.3.5.15.6.2: over a limit, STATUS_INVALID_PARAMETER with the limits in place of the counts —
/// when the response can hold them; otherwise a plain STATUS_INVALID_PARAMETER.
void answer_limits(Ctx& ctx, Response& rsp, const codec::IoctlRequest& in, const Echo& io) {
  if (in.max_output_response < codec::kCopychunkResponseSize) return rsp.fail(NtStatus::invalid_parameter);
  const auto& cfg = ctx.server.config;
  answer_copy(rsp, io, {cfg.copychunk_max_chunks, cfg.copychunk_max_chunk_size, cfg.copychunk_max_data_size},
              NtStatus::invalid_parameter);
}

/// The copy, off the executor. Each chunk is copied with both handles' mutexes held (a VfsFile
/// sees no concurrent calls, and the source may belong to another connection, whose jobs use its
/// handle meanwhile). Two different handles are locked in address order — the only place that
/// holds two OpenHandle::mu, so with one fixed order there is no deadlock (docs/DESIGN.md); the
/// same open as source and target is locked once. The NT core is called after both are released.
class CopyJob final : public Job {
 public:
  CopyJob(Echo echo, std::shared_ptr<Open> target, std::shared_ptr<Open> source,
          std::vector<codec::SrvCopychunk> chunks, nt::NtCore& nt)
      : echo_(echo), target_(std::move(target)), source_(std::move(source)), chunks_(std::move(chunks)), nt_(nt) {}

  void run() override {
    for (const auto& c : chunks_) {
      std::uint64_t copied = 0;
      status_ = copy_one(c, copied);
      result_.total_bytes_written += static_cast<std::uint32_t>(copied);
      if (status_ != NtStatus::success) {
        // 3.3.5.15.6.1: ChunkBytesWritten is what a partial chunk wrote.
        result_.chunk_bytes_written = static_cast<std::uint32_t>(copied);
        break;
      }
      ++result_.chunks_written;
    }
    // Other opens' cached data of the target are stale now, as after a WRITE.
    if (result_.total_bytes_written != 0) {
      nt_.data_changed(target_->nt);
      nt_.report_of(target_->nt, codec::kActionModified, codec::kNotifySize | codec::kNotifyLastWrite);
    }
  }

  bool bulk() const override { return true; }  // up to copychunk_max_data_size bytes of I/O

  void finish(Ctx&, Request&, Response& rsp) override { answer_copy(rsp, echo_, result_, status_); }

 private:
  NtStatus copy_one(const codec::SrvCopychunk& c, std::uint64_t& copied) {
    OpenHandle& t = target_->handle;
    OpenHandle& s = source_->handle;
    std::unique_lock<std::mutex> first, second;
    if (&t == &s) {
      first = std::unique_lock(t.mu);
    } else {
      const bool t_first = std::less<const OpenHandle*>{}(&t, &s);
      first = std::unique_lock((t_first ? t : s).mu);
      second = std::unique_lock((t_first ? s : t).mu);
    }
    if (!t.file) return NtStatus::file_closed;
    if (!s.file) return NtStatus::object_name_not_found;  // the source closed meanwhile
    // A source range that ends past the source's end of file: STATUS_INVALID_VIEW_SIZE, as Windows
    // answers (a read of a mapped view past the end), before anything of the chunk is written.
    auto info = s.file->stat();
    if (!info) return info.status();
    if (c.source_offset > info->size || c.length > info->size - c.source_offset) return NtStatus::invalid_view_size;
    if (c.target_offset > (1ULL << 62)) return NtStatus::invalid_parameter;  // as WRITE
    // Windows copies through ReadFile/WriteFile, so byte-range locks apply as to a READ of the
    // source and a WRITE of the target (MS-FSA 2.1.4.10; smbtorture copy_chunk_src/dest_lock).
    if (source_->nt)
      if (auto r = nt_.check_io(source_->nt, c.source_offset, c.length, false); !r) return r.status();
    if (target_->nt)
      if (auto r = nt_.check_io(target_->nt, c.target_offset, c.length, true); !r) return r.status();
    auto n = t.file->copy_from(*s.file, c.source_offset, c.target_offset, c.length);
    if (!n) return n.status();
    copied = *n;
    // Shorter than the source said a moment ago: it shrank through another open of the file.
    if (*n < c.length) return NtStatus::invalid_view_size;
    return NtStatus::success;
  }

  Echo echo_;
  std::shared_ptr<Open> target_, source_;
  std::vector<codec::SrvCopychunk> chunks_;
  nt::NtCore& nt_;
  NtStatus status_ = NtStatus::success;
  codec::SrvCopychunkResponse result_;
};

}  // namespace

void request_resume_key(Ctx& ctx, Request& req, Response& rsp, const codec::IoctlRequest& io) {
  auto open = ctx.find_open(req, io.file_id);
  if (!open) return rsp.fail(open.status());
  // 3.3.5.15.5: an output buffer too small for SRV_REQUEST_RESUME_KEY → STATUS_INVALID_PARAMETER.
  if (io.max_output_response < codec::kResumeKeyResponseSize) return rsp.fail(NtStatus::invalid_parameter);
  const codec::ResumeKey key = ctx.server.resume_keys.key_of(*open, ctx.server.random);
  std::vector<std::uint8_t> buf;
  ByteWriter w(buf);
  codec::encode_resume_key_response(w, key);
  answer(rsp, {io.ctl_code, (*open)->file_id}, buf);
}

void copychunk(Ctx& ctx, Request& req, Response& rsp, const codec::IoctlRequest& io) {
  // 3.3.5.15: the target is the open the IOCTL names.
  auto target = ctx.find_open(req, io.file_id);
  if (!target) return rsp.fail(target.status());
  // 3.3.5.15.6: an input shorter than SRV_COPYCHUNK_COPY, or whose chunks do not fit, is answered
  // like a request over the limits.
  auto copy = codec::decode_srv_copychunk_copy(io.input);
  const Echo echo{io.ctl_code, (*target)->file_id};
  if (!copy) return answer_limits(ctx, rsp, io, echo);
  // The source: the open whose resume key this is, whichever session holds it
  // (engine/resume_keys.hpp) → STATUS_OBJECT_NAME_NOT_FOUND.
  auto source = ctx.server.resume_keys.find(copy->source_key);
  if (!source) return rsp.fail(NtStatus::object_name_not_found);
  if (io.max_output_response < codec::kCopychunkResponseSize) return rsp.fail(NtStatus::invalid_parameter);
  // The server's limits (ServerConfig::copychunk_*); a zero-length chunk is invalid too.
  const auto& cfg = ctx.server.config;
  if (copy->chunks.size() > cfg.copychunk_max_chunks) return answer_limits(ctx, rsp, io, echo);
  std::uint64_t total = 0;
  for (const auto& c : copy->chunks) {
    if (c.length == 0 || c.length > cfg.copychunk_max_chunk_size) return answer_limits(ctx, rsp, io, echo);
    total += c.length;
  }
  if (total > cfg.copychunk_max_data_size) return answer_limits(ctx, rsp, io, echo);
  // Access (3.3.5.15.6): the source must allow reading its data — FILE_READ_DATA or FILE_EXECUTE,
  // as for a READ (MS-FSA 2.1.5.2; Windows copies with either) — and the target writing. Plain
  // COPYCHUNK also needs FILE_READ_DATA itself on the target (COPYCHUNK_WRITE exists for targets
  // opened for writing only); FILE_EXECUTE does not do there (smbtorture copy_chunk_bad_access).
  const Open& t = **target;
  if (!(source->granted_access & kDataRead) || !(t.granted_access & kFileWriteData) ||
      (io.ctl_code == codec::kFsctlSrvCopychunk && !(t.granted_access & kFileReadData)))
    return rsp.fail(NtStatus::access_denied);
  if (t.is_directory || source->is_directory) return rsp.fail(NtStatus::invalid_device_request);
  // ChunkCount 0 succeeds with nothing copied: macOS sends it to learn whether the server copies.
  if (copy->chunks.empty()) return answer_copy(rsp, echo, {}, NtStatus::success);
  rsp.defer(JobPtr(new CopyJob(echo, *target, std::move(source), std::move(copy->chunks), ctx.nt)));
}

}  // namespace smbsrv::engine::handlers
