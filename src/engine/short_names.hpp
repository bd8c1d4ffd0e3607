// Opening a file by its 8.3 short name (Share::short_names; MS-FSCC 2.1.5.2.1), and NTFS's file
// name tunneling of the long name a short name stood for. Short names are a function of the long
// name (fscc::short_name_of), so there is no index to look one up in: a component is resolved by
// listing its directory, and only when it could be one (it has a '~') and no entry has that name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "smbsrv/path.hpp"
#include "smbsrv/result.hpp"
#include "smbsrv/vfs.hpp"

namespace smbsrv::engine {

/// `path` with every component that names no entry of its directory but is the short name of
/// one replaced by that entry's long name. A last component that names nothing at all is
/// replaced by the long name the tunnel recalls for it, if any (a file recreated by its short name
/// soon after the long-named one went gets the long name back, as on NTFS). Components without a
/// '~' are not looked at (a generated short name always has one): no listing for them.
Result<SmbPath> resolve_short_names(Vfs& vfs, const SmbPath& path);

/// Remembers for a while (the tunnel) that `removed`, a name that is not its own short name, left
/// its directory on `vfs`.
void tunnel_removed_name(const Vfs& vfs, const SmbPath& removed);

/// The long name the tunnel remembers for `short_name` in `dir` on `vfs`, if any.
std::optional<std::string> tunnel_recall(const Vfs& vfs, const SmbPath& dir, std::string_view short_name);

}  // namespace smbsrv::engine
