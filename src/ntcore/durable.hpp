// Durable-handle records (MS-SMB2 3.3.1.10 Open.IsDurable, 3.3.5.9.7/3.3.5.9.12 reconnect,
// 3.3.7.1 durable open scavenger timer): the place where an open that outlives its connection
// will be kept, keyed by its persistent FileId, until the client reconnects it or its timeout
// expires. Durable handles are not granted yet, so the table stays empty; it lives inside NtCore
// (under its lock) because a durable open keeps its share mode, locks and lease while no
// connection holds it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

namespace smbsrv::nt {

struct DurableRecord {
  std::uint64_t persistent_id = 0;
  std::uint64_t expires_at = 0;  // FILETIME; the scavenger closes the open after it
};

struct DurableTable {
  std::map<std::uint64_t, DurableRecord> by_persistent_id;
};

}  // namespace smbsrv::nt
