// Opening by 8.3 short name and the name tunnel (engine/short_names.hpp).
#include "engine/short_names.hpp"

#include <chrono>
#include <deque>
#include <mutex>
#include <vector>

#include "codec/fscc.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine {
namespace {

// NTFS file name tunneling: for 15 seconds (its default MaximumTunnelEntryAgeInSeconds) after a
// name leaves a directory, a file created there under that name's short name gets the long name
// back. Applications that save by writing a temporary file, deleting the original and renaming
// the temporary to its 8.3 name rely on it, and so does smbtorture smb2.mangle (it deletes a
// file, recreates it by its short name and then deletes it by its long name). Kept in memory
// only, bounded, for the whole process: entries are keyed by the backend (one per share).
constexpr auto kTunnelAge = std::chrono::seconds(15);
constexpr std::size_t kTunnelEntries = 1024;

struct TunnelEntry {
  const Vfs* vfs;
  std::string dir;         // SmbPath::to_string() of the directory
  std::string short_name;  // upper case
  std::string long_name;
  std::chrono::steady_clock::time_point when;
};

struct Tunnel {
  std::mutex mu;  // a leaf lock
  std::deque<TunnelEntry> entries;  // oldest first
};

Tunnel& tunnel() {
  static Tunnel t;
  return t;
}

bool same_name(const Vfs& vfs, std::string_view a, std::string_view b) {
  return vfs.case_sensitive() ? a == b : iequal_names(a, b);
}

}  // namespace

void tunnel_removed_name(const Vfs& vfs, const SmbPath& removed) {
  if (removed.is_root()) return;
  const std::string name(removed.name());
  auto sn = fscc::short_name_of(name);
  if (!sn || iequal_names(*sn, name)) return;  // an 8.3 name is its own short name: nothing to tunnel
  auto& t = tunnel();
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lk(t.mu);
  while (!t.entries.empty() && (t.entries.size() >= kTunnelEntries || now - t.entries.front().when > kTunnelAge))
    t.entries.pop_front();
  t.entries.push_back({&vfs, removed.parent().to_string(), std::move(*sn), name, now});
}

std::optional<std::string> tunnel_recall(const Vfs& vfs, const SmbPath& dir, std::string_view short_name) {
  auto& t = tunnel();
  const auto now = std::chrono::steady_clock::now();
  const std::string d = dir.to_string();
  std::lock_guard lk(t.mu);
  for (auto it = t.entries.rbegin(); it != t.entries.rend(); ++it) {  // the latest first
    if (now - it->when > kTunnelAge) break;
    if (it->vfs == &vfs && same_name(vfs, it->dir, d) && iequal_names(it->short_name, short_name))
      return it->long_name;
  }
  return std::nullopt;
}

Result<SmbPath> resolve_short_names(Vfs& vfs, const SmbPath& path) {
  const auto& in = path.components();
  bool candidate = false;
  for (const auto& c : in) candidate = candidate || c.find('~') != std::string::npos;
  if (!candidate) return path;
  std::vector<std::string> out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::string& c = in[i];
    if (c.find('~') == std::string::npos) {
      out.push_back(c);
      continue;
    }
    auto dir = SmbPath::from_components(out);
    if (!dir) return dir.status();
    OpenParams p;
    p.disposition = CreateDisposition::open;
    p.directory = true;
    auto opened = vfs.open(*dir, p);
    auto entries = opened ? opened->file->list() : Result<std::vector<DirEntry>>(opened.status());
    if (!entries) {  // the open that follows reports what is missing
      out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(i), in.end());
      break;
    }
    bool exact = false;
    const DirEntry* by_short = nullptr;
    for (const auto& e : *entries) {
      if (same_name(vfs, e.name, c)) {
        exact = true;
        break;
      }
      if (!by_short)
        if (auto sn = fscc::short_name_of(e.name); sn && iequal_names(*sn, c)) by_short = &e;
    }
    if (exact) {
      out.push_back(c);
    } else if (by_short) {
      out.push_back(by_short->name);
    } else if (i + 1 == in.size()) {
      auto tunnelled = tunnel_recall(vfs, *dir, c);
      out.push_back(tunnelled ? *tunnelled : c);
    } else {
      out.push_back(c);
    }
  }
  return SmbPath::from_components(std::move(out));
}

}  // namespace smbsrv::engine
