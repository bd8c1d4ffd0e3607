// Opening a file by its 8.3 short name (Share::short_names; MS-FSCC 2.1.5.2.1), and NTFS's file
// name tunneling of the long name a short name stood for. Short names are a function of the long
// name (fscc::short_name_of), so there is no index to look one up in: a component is resolved by
// listing its directory, and only when it could be one (it has a '~') and no entry has that name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ntcore/name_tunnel.hpp"
#include "smbsrv/path.hpp"
#include "smbsrv/result.hpp"
#include "smbsrv/vfs.hpp"

namespace smbsrv::engine {

/// `path` with every component that names no entry of its directory but is the short name of
/// one replaced by that entry's long name. A last component that names nothing at all is
/// replaced by the long name `tunnel` recalls for it, if any (a file recreated by its short name
/// soon after the long-named one went gets the long name back, as on NTFS). Components without a
/// '~' are not looked at (a generated short name always has one): no listing for them.
Result<SmbPath> resolve_short_names(Vfs& vfs, const SmbPath& path, nt::NameTunnel& tunnel);

}  // namespace smbsrv::engine
