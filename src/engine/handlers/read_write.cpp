// READ, WRITE, FLUSH (MS-SMB2 3.3.5.11 – 3.3.5.13); LOCK is in lock.cpp. READ and WRITE jobs come from a pool:
// the data path allocates nothing per request.
#include <algorithm>

#include "codec/access_mask.hpp"
#include "engine/dispatch.hpp"
#include "engine/handlers/pipe.hpp"
#include "engine/job_pool.hpp"
#include "engine/security.hpp"

namespace smbsrv::engine::handlers {
namespace {

using namespace smbsrv::access;

// 3.3.5.2.5: a multi-credit request must carry CreditCharge ≥ ceil(payload / 64 KiB).
bool charge_covers(std::uint16_t charge, std::uint64_t payload) {
  const std::uint64_t need = payload == 0 ? 1 : (payload - 1) / 65536 + 1;
  return std::uint64_t{charge == 0 ? 1u : charge} >= need;
}

constexpr std::size_t kReadDataAt = codec::kHeaderSize + 16;  // header, READ response fixed part
/// READs and WRITEs from this size on are bulk work (Work::bulk); smaller ones cost what a
/// metadata call costs.
constexpr std::size_t kBulkBytes = 64 * 1024;

class ReadJob final : public Job {
 public:
  static ReadJob* make() { return pool().take(); }

  std::shared_ptr<Open> open;
  ServerState* server = nullptr;
  std::uint64_t offset = 0;
  std::uint32_t length = 0, minimum = 0;
  bool zero_copy = false;  // counted in server->zero_copy_fds already

  void run() override {
    OpenHandle& h = open->handle;
    std::lock_guard lk(h.mu);
    if (!h.file) {
      status_ = NtStatus::file_closed;
      return;
    }
    // MS-FSA 2.1.5.2: a range another open has locked exclusively cannot be read.
    if (open->nt)
      if (auto c = server->nt.check_io(open->nt, offset, length, false); !c) {
        status_ = c.status();
        return;
      }
    if (zero_copy && open->apple == AppleStream::none) {
      // The data goes from the page cache to the socket by sendfile (Output::tail), when the
      // backend offers a descriptor.
      if ((src_ = h.file->send_source())) {
        got_ = offset >= src_->size ? 0 : static_cast<std::uint32_t>(std::min<std::uint64_t>(length, src_->size - offset));
        h.position = offset + got_;
        return;
      }
    }
    // Read straight into a pooled buffer of the response's final size: the header placeholder,
    // the READ response's fixed part, then the data (no zero-fill, no allocation once pooled).
    buf_ = server->buffers.take(kReadDataAt + length);
    const std::span<std::uint8_t> into(buf_.data() + kReadDataAt, length);
    auto n = open->apple == AppleStream::afp_info ? read_afp_info(*h.file, offset, into) : h.file->read(offset, into);
    if (!n) {
      status_ = n.status();
      return;
    }
    got_ = *n;
    h.position = offset + got_;  // FilePositionInformation follows the last READ/WRITE
  }

  bool bulk() const override { return length >= kBulkBytes; }

  void finish(Ctx&, Request&, Response& rsp) override {
    auto& held = server->zero_copy_fds;
    FileTail tail;
    if (src_) {
      tail = FileTail(src_->fd, offset, static_cast<std::uint32_t>(got_), &held);  // gives the count back
      src_->fd = -1;
    } else if (zero_copy) {
      held.fetch_sub(1, std::memory_order_relaxed);
    }
    zero_copy = false;
    if (status_ != NtStatus::success) return rsp.fail(status_);
    // END_OF_FILE: nothing at or past the end, or less than MinimumCount (3.3.5.12).
    if ((got_ == 0 && length > 0) || got_ < minimum) return rsp.fail(NtStatus::end_of_file);
    if (src_) {
      Response::BodyBuilder b(server->buffers.take(codec::kHeaderSize));
      codec::encode_read_response_header(b.w, static_cast<std::uint32_t>(got_));
      rsp.set_body(b.buf);
      rsp.tail = std::move(tail);
      return;
    }
    buf_.resize(kReadDataAt + got_);
    codec::put_read_response_header(std::span<std::uint8_t, 16>(buf_.data() + codec::kHeaderSize, 16),
                                    static_cast<std::uint32_t>(got_));
    rsp.set_body(buf_);
  }

  void release() override {
    if (zero_copy) server->zero_copy_fds.fetch_sub(1, std::memory_order_relaxed);
    if (src_ && src_->fd >= 0) FileTail(src_->fd, 0, 0);  // closes a descriptor never handed on
    if (buf_.capacity() != 0) server->buffers.give(std::move(buf_));
    open.reset();
    src_.reset();
    buf_ = {};
    status_ = NtStatus::success;
    got_ = 0;
    zero_copy = false;
    pool().give(this);
  }

 private:
  static JobPool<ReadJob>& pool() {
    static auto* p = new JobPool<ReadJob>;  // never destroyed: jobs may be released at exit
    return *p;
  }
  NtStatus status_ = NtStatus::success;
  std::size_t got_ = 0;
  std::optional<SendSource> src_;
  std::vector<std::uint8_t> buf_;
};

class WriteJob final : public Job {
 public:
  static WriteJob* make() { return pool().take(); }

  std::shared_ptr<Open> open;
  ServerState* server = nullptr;
  nt::NtCore* nt = nullptr;
  std::uint64_t offset = 0;
  Bytes data;  // a view into the request, which lives until the chain is done

  void run() override {
    {
      OpenHandle& h = open->handle;
      std::lock_guard lk(h.mu);
      if (!h.file) {
        status_ = NtStatus::file_closed;
        return;
      }
      if (offset == ~0ULL) {  // 3.3.5.13: 0xFFFFFFFFFFFFFFFF appends at end of file
        auto info = h.file->stat();
        if (!info) {
          status_ = info.status();
          return;
        }
        offset = info->size;
      }
      if (!data.empty() && offset > (1ULL << 62)) {
        status_ = NtStatus::invalid_parameter;
        return;
      }
      // MS-FSA 2.1.5.3: no write into a range locked by another open, or shared-locked by anyone.
      if (open->nt)
        if (auto c = nt->check_io(open->nt, offset, data.size(), true); !c) {
          status_ = c.status();
          return;
        }
      auto n = open->apple == AppleStream::afp_info ? write_afp_info(*h.file, offset, data) : h.file->write(offset, data);
      if (!n) {
        status_ = n.status();
        return;
      }
      written_ = *n;
      h.position = offset + written_;
    }
    nt->data_changed(open->nt);  // other clients' caches of this file go
    // Watchers see a MODIFIED at each write (Windows reports LastWrite lazily; a client that
    // counts changes sees consecutive ones of a file coalesced by the core).
    if (open->nt) nt->report_of(open->nt, codec::kActionModified, codec::kNotifySize | codec::kNotifyLastWrite);
  }

  bool bulk() const override { return data.size() >= kBulkBytes; }

  void finish(Ctx&, Request&, Response& rsp) override {
    if (status_ != NtStatus::success) return rsp.fail(status_);
    codec::WriteResponse out;
    out.count = static_cast<std::uint32_t>(written_);
    Response::BodyBuilder b(server->buffers.take(codec::kHeaderSize));
    codec::encode_write_response(b.w, out);
    rsp.set_body(b.buf);
  }

  void release() override {
    open.reset();
    data = {};
    status_ = NtStatus::success;
    written_ = 0;
    pool().give(this);
  }

 private:
  static JobPool<WriteJob>& pool() {
    static auto* p = new JobPool<WriteJob>;
    return *p;
  }
  NtStatus status_ = NtStatus::success;
  std::size_t written_ = 0;
};

}  // namespace

void read(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_read_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& r = *decoded;
  const auto& cfg = ctx.server.config;
  if (r.length > cfg.max_read) return rsp.fail(NtStatus::invalid_parameter);
  if (ctx.conn.dialect != Dialect::smb2_0_2 && !charge_covers(req.hdr.credit_charge, r.length))
    return rsp.fail(NtStatus::invalid_parameter);
  auto open = ctx.find_open(req, r.file_id);
  if (!open) return rsp.fail(open.status());
  if ((*open)->pipe) return pipe_read(ctx, req, rsp, *open, r);
  if ((*open)->is_directory) return rsp.fail(NtStatus::invalid_device_request);
  if (!((*open)->granted_access & kDataRead)) return rsp.fail(NtStatus::access_denied);

  JobPtr job(ReadJob::make());
  auto& j = static_cast<ReadJob&>(*job);
  j.open = *open;
  j.server = &ctx.server;
  j.offset = r.offset;
  j.length = r.length;
  j.minimum = r.minimum_count;
  // Zero-copy: a large READ that is the only message of its frame, neither sealed nor signed (both
  // need the data in memory). The descriptors such READs hold are capped server-wide.
  const auto threshold = cfg.zero_copy_read_threshold;
  if (threshold != 0 && r.length >= threshold && req.sole && !req.was_encrypted && !signs_response(req, rsp)) {
    if (ctx.server.zero_copy_fds.fetch_add(1, std::memory_order_relaxed) < ServerState::kMaxZeroCopyFds)
      j.zero_copy = true;
    else
      ctx.server.zero_copy_fds.fetch_sub(1, std::memory_order_relaxed);
  }
  rsp.defer(std::move(job));
}

void write(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_write_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& w = *decoded;
  if (w.data.size() > ctx.server.config.max_write) return rsp.fail(NtStatus::invalid_parameter);
  if (ctx.conn.dialect != Dialect::smb2_0_2 && !charge_covers(req.hdr.credit_charge, w.data.size()))
    return rsp.fail(NtStatus::invalid_parameter);
  auto open = ctx.find_open(req, w.file_id);
  if (!open) return rsp.fail(open.status());
  if ((*open)->pipe) return pipe_write(ctx, req, rsp, *open, w.data);
  if ((*open)->is_directory) return rsp.fail(NtStatus::invalid_device_request);
  if (!((*open)->granted_access & kDataWrite)) return rsp.fail(NtStatus::access_denied);
  JobPtr job(WriteJob::make());
  auto& j = static_cast<WriteJob&>(*job);
  j.open = *open;
  j.server = &ctx.server;
  j.nt = &ctx.nt;
  j.offset = w.offset;
  j.data = w.data;
  rsp.defer(std::move(job));
}

void flush(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_flush_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  auto open = ctx.find_open(req, decoded->file_id);
  if (!open) return rsp.fail(open.status());
  // 3.3.5.11: flushing needs write access (Windows answers ACCESS_DENIED otherwise).
  if (!((*open)->granted_access & kDataWrite)) return rsp.fail(NtStatus::access_denied);
  if ((*open)->pipe) {  // a pipe's messages are delivered as they are written
    Response::BodyBuilder b;
    codec::encode_flush_response(b.w);
    return rsp.set_body(b.buf);
  }
  struct Flushing {
    std::shared_ptr<Open> open;
    NtStatus status = NtStatus::success;
  };
  rsp.defer(make_job(
      Flushing{*open},
      [](Flushing& s) {
        std::lock_guard lk(s.open->handle.mu);
        if (!s.open->handle.file) s.status = NtStatus::file_closed;
        else if (!s.open->is_directory)
          if (auto f = s.open->handle.file->flush(); !f) s.status = f.status();
      },
      [](Ctx&, Request&, Response& r, Flushing& s) {
        if (s.status != NtStatus::success) return r.fail(s.status);
        Response::BodyBuilder b;
        codec::encode_flush_response(b.w);
        r.set_body(b.buf);
      }));
}

}  // namespace smbsrv::engine::handlers
