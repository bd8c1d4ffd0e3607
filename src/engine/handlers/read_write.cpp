// READ, WRITE, FLUSH, LOCK (MS-SMB2 3.3.5.11 – 3.3.5.14).
#include <algorithm>

#include "engine/request.hpp"

namespace smbsrv::engine {
namespace {

// 3.3.5.2.5: a multi-credit request must carry CreditCharge ≥ ceil(payload / 64 KiB).
bool charge_covers(std::uint16_t charge, std::uint64_t payload) {
  const std::uint64_t need = payload == 0 ? 1 : (payload - 1) / 65536 + 1;
  return std::uint64_t{charge == 0 ? 1u : charge} >= need;
}

bool overlaps(std::uint64_t a_off, std::uint64_t a_len, std::uint64_t b_off, std::uint64_t b_len) {
  if (a_len == 0 || b_len == 0) return false;
  const std::uint64_t a_last = a_off + (a_len - 1 < ~a_off ? a_len - 1 : ~a_off);
  const std::uint64_t b_last = b_off + (b_len - 1 < ~b_off ? b_len - 1 : ~b_off);
  return a_off <= b_last && b_off <= a_last;
}

}  // namespace

void Connection::on_read(Request& req, Response& rsp) {
  auto decoded = codec::decode_read_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& r = *decoded;
  if (r.length > server_->config.max_read) return rsp.fail(NtStatus::invalid_parameter);
  if (dialect_ != 0x0202 && !charge_covers(req.hdr.credit_charge, r.length))
    return rsp.fail(NtStatus::invalid_parameter);
  auto open = find_open(req, r.file_id);
  if (!open) return rsp.fail(open.status());
  auto& o = **open;
  if (o.is_directory) return rsp.fail(NtStatus::invalid_device_request);
  if (!(o.granted_access & (kFileReadData | kFileExecute))) return rsp.fail(NtStatus::access_denied);

  // END_OF_FILE: nothing at or past the end, or less than MinimumCount (3.3.5.12).
  const auto too_short = [&](std::size_t got) { return (got == 0 && r.length > 0) || got < r.minimum_count; };
  // Zero-copy (the data goes from the page cache to the socket by sendfile, see Output::tail):
  // a large READ that is the only message of its frame, neither sealed nor signed (both need the
  // data in memory), from a backend that offers a descriptor.
  const auto threshold = server_->config.zero_copy_read_threshold;
  const bool zero_copy =
      threshold != 0 && r.length >= threshold && req.sole && !req.was_encrypted && !signs_response(req, rsp);
  auto& held = server_->zero_copy_fds;  // bounded: past the cap, READs are copied
  if (zero_copy && held.fetch_add(1, std::memory_order_relaxed) < ServerState::kMaxZeroCopyFds) {
    std::optional<SendSource> src;
    std::uint32_t got = 0;
    bool closed = false;
    {
      std::lock_guard olk(o.mu);
      if (!o.file) {
        closed = true;
      } else if ((src = o.file->send_source())) {
        got = r.offset >= src->size ? 0 : static_cast<std::uint32_t>(std::min<std::uint64_t>(r.length, src->size - r.offset));
        o.position = r.offset + got;
      }
    }
    if (!src) held.fetch_sub(1, std::memory_order_relaxed);
    if (closed) return rsp.fail(NtStatus::file_closed);
    if (src) {
      FileTail tail(src->fd, r.offset, got, &held);  // closes the descriptor and gives the count back
      if (too_short(got)) return rsp.fail(NtStatus::end_of_file);
      Response::BodyBuilder b(server_->buffers.take(codec::kHeaderSize));
      codec::encode_read_response_header(b.w, got);
      rsp.set_body(b.buf);
      rsp.tail = std::move(tail);
      return;
    }
  } else if (zero_copy) {
    held.fetch_sub(1, std::memory_order_relaxed);
  }

  // The response is built in a pooled buffer of its final size: the 64-byte header placeholder,
  // the 16-byte READ response header, then the data, read straight into place by the VFS (no
  // zero-fill and no allocation once the pool holds a buffer this large).
  const std::size_t data_at = codec::kHeaderSize + 16;
  Response::BodyBuilder b(server_->buffers.take(data_at + r.length));
  std::size_t got = 0;
  {
    std::lock_guard olk(o.mu);
    if (!o.file) {
      server_->buffers.give(std::move(b.buf));
      return rsp.fail(NtStatus::file_closed);
    }
    auto n = o.file->read(r.offset, std::span<std::uint8_t>(b.buf.data() + data_at, r.length));
    if (!n) {
      server_->buffers.give(std::move(b.buf));
      return rsp.fail(n.status());
    }
    got = *n;
    o.position = r.offset + got;  // FilePositionInformation follows the last READ/WRITE
  }
  if (too_short(got)) {
    server_->buffers.give(std::move(b.buf));
    return rsp.fail(NtStatus::end_of_file);
  }
  b.buf.resize(data_at + got);
  codec::put_read_response_header(std::span<std::uint8_t, 16>(b.buf.data() + codec::kHeaderSize, 16),
                                  static_cast<std::uint32_t>(got));
  rsp.set_body(b.buf);
}

void Connection::on_write(Request& req, Response& rsp) {
  auto decoded = codec::decode_write_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& w = *decoded;
  if (w.data.size() > server_->config.max_write) return rsp.fail(NtStatus::invalid_parameter);
  if (dialect_ != 0x0202 && !charge_covers(req.hdr.credit_charge, w.data.size()))
    return rsp.fail(NtStatus::invalid_parameter);
  auto open = find_open(req, w.file_id);
  if (!open) return rsp.fail(open.status());
  auto& o = **open;
  if (o.is_directory) return rsp.fail(NtStatus::invalid_device_request);
  if (!(o.granted_access & (kFileWriteData | kFileAppendData))) return rsp.fail(NtStatus::access_denied);
  std::size_t written = 0;
  {
    std::lock_guard olk(o.mu);
    if (!o.file) return rsp.fail(NtStatus::file_closed);
    std::uint64_t offset = w.offset;
    if (offset == ~0ULL) {  // 3.3.5.13: 0xFFFFFFFFFFFFFFFF appends at end of file
      auto info = o.file->stat();
      if (!info) return rsp.fail(info.status());
      offset = info->size;
    }
    if (w.data.size() > 0 && offset > (1ULL << 62)) return rsp.fail(NtStatus::invalid_parameter);
    auto n = o.file->write(offset, w.data);
    if (!n) return rsp.fail(n.status());
    written = *n;
    o.position = offset + written;
  }
  break_caches_for_write(o);
  codec::WriteResponse out;
  out.count = static_cast<std::uint32_t>(written);
  Response::BodyBuilder b(server_->buffers.take(codec::kHeaderSize));
  codec::encode_write_response(b.w, out);
  rsp.set_body(b.buf);
}

void Connection::on_flush(Request& req, Response& rsp) {
  auto decoded = codec::decode_flush_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  auto open = find_open(req, decoded->file_id);
  if (!open) return rsp.fail(open.status());
  auto& o = **open;
  // 3.3.5.11: flushing needs write access (Windows answers ACCESS_DENIED otherwise).
  if (!(o.granted_access & (kFileWriteData | kFileAppendData))) return rsp.fail(NtStatus::access_denied);
  {
    std::lock_guard olk(o.mu);
    if (!o.file) return rsp.fail(NtStatus::file_closed);
    if (!o.is_directory) {
      if (auto f = o.file->flush(); !f) return rsp.fail(f.status());
    }
  }
  Response::BodyBuilder b;
  codec::encode_flush_response(b.w);
  rsp.set_body(b.buf);
}

void Connection::on_lock(Request& req, Response& rsp) {
  auto decoded = codec::decode_lock_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  auto open = find_open(req, decoded->file_id);
  if (!open) return rsp.fail(open.status());
  auto& o = **open;
  auto fo = o.file_object;
  if (!fo) return rsp.fail(NtStatus::file_closed);
  // Byte-range locks (MS-FSA 2.1.5.7): all-or-nothing per request. Blocking waits are not
  // supported yet, so a conflicting lock fails at once (LOCK_NOT_GRANTED) — what a
  // FAIL_IMMEDIATELY request gets.
  std::lock_guard lk(server_->files.mutex());
  const auto& locks = decoded->locks;
  const bool unlocking = (locks[0].flags & codec::kLockUnlock) != 0;
  for (const auto& l : locks) {
    const bool u = (l.flags & codec::kLockUnlock) != 0;
    if (u != unlocking) return rsp.fail(NtStatus::invalid_parameter);
    if (u && (l.flags & ~codec::kLockUnlock)) return rsp.fail(NtStatus::invalid_parameter);
    if (!u) {
      const std::uint32_t kind = l.flags & (codec::kLockShared | codec::kLockExclusive);
      if (kind != codec::kLockShared && kind != codec::kLockExclusive) return rsp.fail(NtStatus::invalid_parameter);
      if (l.length != 0 && l.offset + (l.length - 1) < l.offset) return rsp.fail(NtStatus::invalid_lock_range);
    }
  }
  if (unlocking) {
    for (const auto& l : locks) {
      auto it = std::find_if(fo->locks.begin(), fo->locks.end(), [&](const FileObject::ByteRangeLock& x) {
        return x.open == &o && x.offset == l.offset && x.length == l.length;
      });
      if (it == fo->locks.end()) return rsp.fail(NtStatus::range_not_locked);
      fo->locks.erase(it);
    }
  } else {
    std::vector<FileObject::ByteRangeLock> added;
    for (const auto& l : locks) {
      const bool excl = (l.flags & codec::kLockExclusive) != 0;
      auto conflict = [&](const FileObject::ByteRangeLock& x) {
        if (!overlaps(x.offset, x.length, l.offset, l.length)) return false;
        if (!excl && !x.exclusive) return false;  // shared locks coexist
        return true;
      };
      if (std::any_of(fo->locks.begin(), fo->locks.end(), conflict) ||
          std::any_of(added.begin(), added.end(), conflict)) {
        return rsp.fail(NtStatus::lock_not_granted);
      }
      added.push_back({&o, l.offset, l.length, excl});
    }
    fo->locks.insert(fo->locks.end(), added.begin(), added.end());
  }
  Response::BodyBuilder b;
  codec::encode_lock_response(b.w);
  rsp.set_body(b.buf);
}

}  // namespace smbsrv::engine
