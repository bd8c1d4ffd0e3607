// Extended attributes: see ea.hpp.
#include "engine/handlers/ea.hpp"

#include <algorithm>

#include "codec/access_mask.hpp"
#include "codec/ea.hpp"

namespace smbsrv::engine::handlers {
namespace {

/// The backend's EAs in the order enumeration indexes them (by name, as the backend spelled it).
Result<std::vector<ExtendedAttribute>> sorted_eas(VfsFile& file) {
  auto eas = file.list_eas();
  if (!eas) return eas.status();
  std::sort(eas->begin(), eas->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return eas;
}

/// Fills a FILE_FULL_EA_INFORMATION list with entries[first..] while they fit in `room` (at most
/// one with `single`); returns how many went in.
std::size_t fill(std::vector<std::uint8_t>& out, std::span<const ExtendedAttribute> entries, std::size_t room,
                 bool single) {
  std::size_t prev = 0, n = 0;
  for (const auto& ea : entries) {
    const std::size_t start = (out.size() + 3) / 4 * 4;
    if (start > room || codec::full_ea_entry_size(ea) > room - start) break;
    codec::append_full_ea(out, prev, ea);
    ++n;
    if (single) break;
  }
  return n;
}

}  // namespace

std::uint32_t ea_size_of(VfsFile& file) {
  auto eas = file.list_eas();
  return eas ? codec::full_ea_list_size(*eas) : 0;
}

EaQueryAnswer query_full_ea(Open& o, const codec::QueryInfoRequest& q) {
  OpenHandle& h = o.handle;
  if (!h.file) return {NtStatus::file_closed, {}};
  // MS-FSA 2.1.5.12.12: FILE_READ_EA is needed.
  if (!(o.granted_access & access::kFileReadEa)) return {NtStatus::access_denied, {}};
  auto fs = o.tree->share->vfs->fs_info();
  if (!fs) return {fs.status(), {}};
  if (!fs->extended_attributes) return {NtStatus::eas_not_supported, {}};
  auto eas = sorted_eas(*h.file);
  if (!eas) return {eas.status(), {}};
  const bool single = (q.flags & kSlReturnSingleEntry) != 0;
  EaQueryAnswer a;
  if (!q.input.empty()) {
    // A FILE_GET_EA_INFORMATION list (MS-SMB2 3.3.5.20.1, MS-FSCC 2.4.15.1) names the EAs wanted,
    // in the order wanted; one the file does not have comes back with an empty value, as NTFS
    // answers. The enumeration index is neither used nor moved.
    auto names = codec::decode_get_ea_list(q.input);
    if (!names) return {names.status(), {}};
    std::vector<ExtendedAttribute> wanted;
    for (const auto& n : *names) {
      auto it = std::find_if(eas->begin(), eas->end(), [&](const auto& e) { return codec::ea_name_equal(e.name, n); });
      wanted.push_back(it != eas->end() ? *it : ExtendedAttribute{n, {}});
    }
    const std::size_t got = fill(a.bytes, wanted, q.output_buffer_length, single);
    if (got == 0) return {NtStatus::buffer_too_small, {}};
    if (got < wanted.size() && !single) a.status = NtStatus::buffer_overflow;
    return a;
  }
  // Enumeration from Open.NextEaEntry (MS-FSA 2.1.5.12.12), or from the 1-based index the client
  // gives with SL_INDEX_SPECIFIED, or from the start with SL_RESTART_SCAN.
  if (eas->empty()) return {NtStatus::no_eas_on_file, {}};
  std::size_t start = h.ea_next;
  if (q.flags & kSlIndexSpecified) {
    const std::uint32_t index = q.additional_information;
    if (index == 0 || index > eas->size()) return {NtStatus::nonexistent_ea_entry, {}};
    start = index - 1;
  } else if (q.flags & kSlRestartScan) {
    start = 0;
  }
  if (start >= eas->size()) return {NtStatus::no_more_eas, {}};
  const auto rest = std::span<const ExtendedAttribute>(*eas).subspan(start);
  const std::size_t got = fill(a.bytes, rest, q.output_buffer_length, single);
  // 2.1.5.12.12: BUFFER_TOO_SMALL when not even the next entry fits (nothing returned, the
  // index stays); BUFFER_OVERFLOW when entries were returned but the next did not fit.
  if (got == 0) return {NtStatus::buffer_too_small, {}};
  h.ea_next = start + got;
  if (got < rest.size() && !single) a.status = NtStatus::buffer_overflow;
  return a;
}

NtStatus apply_eas(VfsFile& file, std::span<const ExtendedAttribute> changes, bool replace_all) {
  auto current = file.list_eas();
  if (!current) return current.status();
  // What the backend gets: removals of names a change replaces under another case (or removes),
  // then the sets, in the request's order; `result` follows what the file will hold.
  std::vector<ExtendedAttribute> batch;
  std::vector<ExtendedAttribute> result = std::move(*current);
  if (replace_all) {
    for (const auto& e : result) batch.push_back({e.name, {}});
    result.clear();
  }
  for (const auto& c : changes) {
    for (auto it = result.begin(); it != result.end();) {
      if (!codec::ea_name_equal(it->name, c.name)) {
        ++it;
        continue;
      }
      if (c.value.empty() || it->name != c.name) batch.push_back({it->name, {}});
      it = result.erase(it);
    }
    if (!c.value.empty()) {
      batch.push_back(c);
      result.push_back(c);
    }
  }
  if (codec::full_ea_list_size(result) > kMaxEaListLength) return NtStatus::ea_too_large;
  if (batch.empty()) return NtStatus::success;
  if (auto r = file.set_eas(batch); !r) return r.status();
  return NtStatus::success;
}

}  // namespace smbsrv::engine::handlers
