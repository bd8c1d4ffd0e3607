// Opening by 8.3 short name (engine/short_names.hpp).
#include "engine/short_names.hpp"

#include <vector>

#include "codec/fscc.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine {
namespace {

bool same_name(const Vfs& vfs, std::string_view a, std::string_view b) {
  return vfs.case_sensitive() ? a == b : iequal_names(a, b);
}

}  // namespace

Result<SmbPath> resolve_short_names(Vfs& vfs, const SmbPath& path, nt::NameTunnel& tunnel) {
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
      auto tunnelled = tunnel.recall(vfs, *dir, c);
      out.push_back(tunnelled ? *tunnelled : c);
    } else {
      out.push_back(c);
    }
  }
  return SmbPath::from_components(std::move(out));
}

}  // namespace smbsrv::engine
