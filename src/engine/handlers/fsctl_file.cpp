// The FSCTLs on files and directories that clients send (MS-SMB2 3.3.5.15 passes them to the
// object store; MS-FSA 2.1.5.10 says what it answers): sparse files, zeroing, allocated ranges,
// reparse points, previous versions, TRIM, compression and file regions. ioctl() calls
// file_fsctl() for every control code it does not serve itself.
#include "codec/access_mask.hpp"
#include "engine/dispatch.hpp"
#include "engine/handlers/fsctl_file.hpp"

namespace smbsrv::engine::handlers {
namespace {

using namespace smbsrv::access;

/// The answer's output buffer, built by the job's finish; `overflow`: STATUS_BUFFER_OVERFLOW
/// with what fitted (MS-SMB2 3.3.4.4: the data goes with the warning).
void send(Response& rsp, const codec::IoctlRequest& io, std::vector<std::uint8_t> output, bool overflow = false) {
  codec::IoctlResponse out;
  out.ctl_code = io.ctl_code;
  out.file_id = io.file_id;
  out.output = std::move(output);
  Response::BodyBuilder b;
  codec::encode_ioctl_response(b.w, 0, out);
  rsp.set_body(b.buf);
  if (overflow) rsp.status = NtStatus::buffer_overflow;
}

/// What a job returns to the connection: a status, or an output buffer.
struct Outcome {
  NtStatus status = NtStatus::success;
  std::vector<std::uint8_t> output;
  bool overflow = false;
};

/// Runs `work(VfsFile&, Outcome&)` off the executor on the open's file, then answers.
template <class Work>
void run_on_file(Response& rsp, const std::shared_ptr<Open>& open, const codec::IoctlRequest& io, Work work) {
  struct State {
    std::shared_ptr<Open> open;
    codec::IoctlRequest io;
    Work work;
    Outcome out;
  };
  rsp.defer(make_job(
      State{open, io, std::move(work), {}},
      [](State& s) {
        std::lock_guard lk(s.open->handle.mu);
        if (!s.open->handle.file) {
          s.out.status = NtStatus::file_closed;
          return;
        }
        s.work(*s.open->handle.file, s.out);
      },
      [](Ctx&, Request&, Response& r, State& s) {
        if (is_error(s.out.status)) return r.fail(s.out.status);
        send(r, s.io, std::move(s.out.output), s.out.overflow);
      }));
}

/// MS-FSA 2.1.5.10.22: the allocated ranges of [q.offset, q.offset + q.length) clipped to
/// EndOfFile; a file that is not sparse is allocated throughout. As many ranges as fit in
/// `max_output`: none fit although there are some → STATUS_BUFFER_TOO_SMALL, some → overflow.
void query_allocated_ranges(VfsFile& f, const ByteRange& q, std::uint32_t max_output, Outcome& out) {
  auto info = f.stat();
  if (!info) {
    out.status = info.status();
    return;
  }
  std::vector<ByteRange> ranges;
  if (q.offset < info->size && q.length > 0) {
    const std::uint64_t len = std::min(q.length, info->size - q.offset);
    if (info->attributes & kAttrSparseFile) {
      auto r = f.allocated_ranges(q.offset, len);
      if (!r) {
        out.status = r.status();
        return;
      }
      for (auto g : *r) {  // the backend's ranges, kept inside the query
        const std::uint64_t start = std::max(g.offset, q.offset);
        const std::uint64_t end = std::min(g.offset + g.length, q.offset + len);
        if (start < end) ranges.push_back({start, end - start});
      }
    } else {
      ranges.push_back({q.offset, len});
    }
  }
  const std::size_t fit = max_output / codec::kAllocatedRangeSize;
  if (!ranges.empty() && fit == 0) {
    out.status = NtStatus::buffer_too_small;
    return;
  }
  out.overflow = ranges.size() > fit;
  if (out.overflow) ranges.resize(fit);
  ByteWriter w(out.output);
  for (const auto& g : ranges) codec::encode_allocated_range(w, g);
}

}  // namespace

bool file_fsctl(Ctx& ctx, Request& req, Response& rsp, const codec::IoctlRequest& io) {
  using namespace codec;
  switch (io.ctl_code) {
    case kFsctlSetSparse:
    case kFsctlSetZeroData:
    case kFsctlQueryAllocatedRanges:
    case kFsctlGetReparsePoint:
    case kFsctlSrvEnumerateSnapshots:
    case kFsctlFileLevelTrim:
    case kFsctlGetCompression:
    case kFsctlSetCompression:
    case kFsctlQueryFileRegions:
      break;
    default:
      return false;
  }
  if (req.tree->is_ipc) {
    rsp.fail(NtStatus::not_supported);
    return true;
  }
  auto found = ctx.find_open(req, io.file_id);
  if (!found) {
    rsp.fail(found.status());
    return true;
  }
  const std::shared_ptr<Open>& open = *found;
  const std::uint32_t granted = open->granted_access;
  switch (io.ctl_code) {
    case kFsctlSetSparse: {
      // MS-FSA 2.1.5.10.35: a directory → INVALID_PARAMETER; the open needs FILE_WRITE_DATA,
      // FILE_WRITE_ATTRIBUTES or FILE_APPEND_DATA (smbtorture ioctl.sparse_perms, Windows).
      if (open->is_directory) return rsp.fail(NtStatus::invalid_parameter), true;
      if (!(granted & (kFileWriteData | kFileWriteAttributes | kFileAppendData)))
        return rsp.fail(NtStatus::access_denied), true;
      const bool sparse = decode_set_sparse(io.input);
      run_on_file(rsp, open, io, [sparse](VfsFile& f, Outcome& out) {
        if (auto r = f.set_sparse(sparse); !r) out.status = r.status();
      });
      return true;
    }
    case kFsctlSetZeroData: {
      // MS-FSA 2.1.5.10.37: FILE_WRITE_DATA; the range is clipped to EndOfFile and never grows
      // the file. Zeroing is a write: another open's lock on the range conflicts (MS-FSA 2.1.4.10).
      auto z = decode_zero_data_info(io.input);
      if (!z) return rsp.fail(z.status()), true;
      if (open->is_directory) return rsp.fail(NtStatus::invalid_parameter), true;
      if (!(granted & kFileWriteData)) return rsp.fail(NtStatus::access_denied), true;
      if (open->nt && z->beyond_final_zero > z->offset)
        if (auto r = ctx.server.nt.check_io(open->nt, z->offset, z->beyond_final_zero - z->offset, true); !r)
          return rsp.fail(r.status()), true;
      run_on_file(rsp, open, io, [z = *z](VfsFile& f, Outcome& out) {
        auto info = f.stat();
        if (!info) {
          out.status = info.status();
          return;
        }
        const std::uint64_t end = std::min(z.beyond_final_zero, info->size);
        if (z.offset >= end) return;
        if (auto r = f.zero_range(z.offset, end - z.offset); !r) out.status = r.status();
      });
      return true;
    }
    case kFsctlQueryAllocatedRanges: {
      // MS-FSA 2.1.5.10.22: FILE_READ_DATA (smbtorture ioctl.sparse_perms).
      auto q = decode_allocated_range_query(io.input);
      if (!q) return rsp.fail(q.status()), true;
      if (open->is_directory) return rsp.fail(NtStatus::invalid_parameter), true;
      if (!(granted & kFileReadData)) return rsp.fail(NtStatus::access_denied), true;
      run_on_file(rsp, open, io, [q = *q, max = io.max_output_response](VfsFile& f, Outcome& out) {
        query_allocated_ranges(f, q, max, out);
      });
      return true;
    }
    case kFsctlGetReparsePoint:
      // MS-FSA 2.1.5.10.20: nothing here is a reparse point.
      return rsp.fail(NtStatus::not_a_reparse_point), true;
    case kFsctlSrvEnumerateSnapshots: {
      // MS-SMB2 3.3.5.15.1: no previous versions; MaxOutputResponse under 16 → INVALID_PARAMETER.
      if (io.max_output_response < 16) return rsp.fail(NtStatus::invalid_parameter), true;
      std::vector<std::uint8_t> out;
      ByteWriter w(out);
      encode_empty_snapshot_array(w);
      send(rsp, io, std::move(out));
      return true;
    }
    case kFsctlFileLevelTrim: {
      // MS-FSA 2.1.5.10.9: FILE_WRITE_DATA; the ranges' contents become undefined, so doing
      // nothing is a valid TRIM. The output (4 bytes) must fit.
      auto t = decode_file_level_trim(io.input);
      if (!t) return rsp.fail(t.status()), true;
      if (open->is_directory) return rsp.fail(NtStatus::invalid_parameter), true;
      if (!(granted & kFileWriteData)) return rsp.fail(NtStatus::access_denied), true;
      if (io.max_output_response < 4) return rsp.fail(NtStatus::buffer_too_small), true;
      std::vector<std::uint8_t> out;
      ByteWriter w(out);
      encode_file_level_trim_output(w, t->num_ranges);
      send(rsp, io, std::move(out));
      return true;
    }
    case kFsctlGetCompression: {
      // MS-FSA 2.1.5.10.7: CompressionState (2 bytes); nothing is compressed here.
      if (io.max_output_response < 2) return rsp.fail(NtStatus::invalid_parameter), true;
      std::vector<std::uint8_t> out;
      ByteWriter w(out);
      w.u16(kCompressionFormatNone);
      send(rsp, io, std::move(out));
      return true;
    }
    case kFsctlSetCompression: {
      // MS-FSA 2.1.5.10.34: FILE_WRITE_DATA or FILE_WRITE_ATTRIBUTES; an unknown format →
      // INVALID_PARAMETER. Without compression (FILE_FILE_COMPRESSION not advertised) only
      // COMPRESSION_FORMAT_NONE succeeds; the others are STATUS_NOT_SUPPORTED as on WS2016 ReFS
      // (smbtorture ioctl.compress_notsup_set).
      auto state = decode_set_compression(io.input);
      if (!state) return rsp.fail(state.status()), true;
      if (!(granted & (kFileWriteData | kFileWriteAttributes))) return rsp.fail(NtStatus::access_denied), true;
      if (*state > kCompressionFormatLznt1) return rsp.fail(NtStatus::invalid_parameter), true;
      if (*state != kCompressionFormatNone) return rsp.fail(NtStatus::not_supported), true;
      send(rsp, io, {});
      return true;
    }
    case kFsctlQueryFileRegions: {
      // MS-FSA 2.1.5.10.24: the valid data of the range; here valid data runs to EndOfFile, so
      // one region [offset, min(offset + length, EndOfFile)) or none.
      auto in = decode_file_region_input(io.input);
      if (!in) return rsp.fail(in.status()), true;
      if (open->is_directory) return rsp.fail(NtStatus::invalid_parameter), true;
      if (io.max_output_response < kFileRegionOutputHeaderSize) return rsp.fail(NtStatus::buffer_too_small), true;
      run_on_file(rsp, open, io, [in = *in, max = io.max_output_response](VfsFile& f, Outcome& out) {
        auto info = f.stat();
        if (!info) {
          out.status = info.status();
          return;
        }
        std::vector<FileRegion> regions;
        if (in.offset < info->size && in.length > 0)
          regions.push_back({in.offset, std::min(in.length, info->size - in.offset), in.desired_usage});
        const auto total = static_cast<std::uint32_t>(regions.size());
        if (max < kFileRegionOutputHeaderSize + regions.size() * kFileRegionInfoSize) {
          regions.clear();
          out.overflow = total != 0;
        }
        ByteWriter w(out.output);
        encode_file_region_output(w, total, regions);
      });
      return true;
    }
    default:
      return false;
  }
}

}  // namespace smbsrv::engine::handlers
