// The FSCTL buffers of file operations (MS-FSCC 2.3) the server reads and writes: SET_SPARSE,
// SET_ZERO_DATA, QUERY_ALLOCATED_RANGES, FILE_LEVEL_TRIM, SET_COMPRESSION, QUERY_FILE_REGIONS,
// and the empty SRV_SNAPSHOT_ARRAY (MS-SMB2 2.2.32.2). Every input is an IOCTL's input buffer.
#include <limits>

#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {
namespace {

constexpr std::uint64_t kMaxLongLong = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

}  // namespace

bool decode_set_sparse(Bytes input) { return input.empty() || input[0] != 0; }

// 2.3.66: FileOffset 0, BeyondFinalZero 8.
Result<ZeroDataInfo> decode_zero_data_info(Bytes input) {
  ByteReader r(input);
  ZeroDataInfo z;
  z.offset = r.u64();
  z.beyond_final_zero = r.u64();
  if (!r.ok() || z.offset > kMaxLongLong || z.beyond_final_zero > kMaxLongLong || z.offset > z.beyond_final_zero)
    return NtStatus::invalid_parameter;
  return z;
}

// 2.3.52: FileOffset 0, Length 8.
Result<ByteRange> decode_allocated_range_query(Bytes input) {
  ByteReader r(input);
  ByteRange q;
  q.offset = r.u64();
  q.length = r.u64();
  if (!r.ok() || q.offset > kMaxLongLong || q.length > kMaxLongLong - q.offset) return NtStatus::invalid_parameter;
  return q;
}

void encode_allocated_range(ByteWriter& w, const ByteRange& r) {
  w.u64(r.offset);
  w.u64(r.length);
}

// 2.3.73: Key 0, NumRanges 4, Ranges 8 (16 bytes each: Offset, Length).
Result<FileLevelTrim> decode_file_level_trim(Bytes input) {
  ByteReader r(input);
  FileLevelTrim t;
  t.key = r.u32();
  t.num_ranges = r.u32();
  if (!r.ok() || r.remaining() / 16 < t.num_ranges) return NtStatus::invalid_parameter;
  return t;
}

void encode_file_level_trim_output(ByteWriter& w, std::uint32_t ranges_processed) { w.u32(ranges_processed); }

Result<std::uint16_t> decode_set_compression(Bytes input) {
  ByteReader r(input);
  const std::uint16_t state = r.u16();
  if (!r.ok()) return NtStatus::invalid_parameter;
  return state;
}

// 2.3.55: FileOffset 0, Length 8, DesiredUsage 16, Reserved 20.
Result<FileRegionInput> decode_file_region_input(Bytes input) {
  FileRegionInput in;
  if (input.empty()) {
    in.length = kMaxLongLong;
    return in;
  }
  ByteReader r(input);
  in.offset = r.u64();
  in.length = r.u64();
  in.desired_usage = r.u32();
  r.skip(4);
  if (!r.ok() || in.offset > kMaxLongLong || in.length > kMaxLongLong ||
      (in.desired_usage != kFileRegionUsageValidCachedData && in.desired_usage != kFileRegionUsageValidNoncachedData))
    return NtStatus::invalid_parameter;
  return in;
}

// 2.3.56: Flags 0, TotalRegionEntryCount 4, RegionEntryCount 8, Reserved 12, Region 16;
// 2.3.56.1: FileOffset 0, Length 8, Usage 16, Reserved 20.
void encode_file_region_output(ByteWriter& w, std::uint32_t total, std::span<const FileRegion> regions) {
  w.u32(0);
  w.u32(total);
  w.u32(detail::u32_of(regions.size()));
  w.u32(0);
  for (const auto& g : regions) {
    w.u64(g.offset);
    w.u64(g.length);
    w.u32(g.usage);
    w.u32(0);
  }
}

// MS-SMB2 2.2.32.2: NumberOfSnapShots 0, NumberOfSnapShotsReturned 4, SnapShotArraySize 8,
// SnapShots 12.
void encode_empty_snapshot_array(ByteWriter& w) {
  w.u32(0);
  w.u32(0);
  w.u32(2);
  w.u16(0);
}

}  // namespace smbsrv::codec
