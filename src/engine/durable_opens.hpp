// Durable opens whose connection is gone (MS-SMB2 3.3.1.10 Open.IsDurable, 3.3.7.1): kept here,
// with their backend file, until the client reconnects them from a new connection (3.3.5.9.7,
// 3.3.5.9.12), their timeout expires (3.3.2.2, the durable open scavenger), or a conflicting
// open from someone else ends them in the NT core (ntcore/nt_durable.cpp). Also the index of
// CreateGuids for replayed CREATEs (3.3.5.9.10). One table per server.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace smbsrv::nt {
class NtCore;
}

namespace smbsrv::engine {

struct Open;

class DurableOpens {
 public:
  using Guid = std::array<std::uint8_t, 16>;
  /// Keeps `open` (its connection is gone, the NT core made it an orphan) until `expires_at`
  /// (FILETIME). False when `limit` orphans are kept already: the caller closes it.
  bool keep(std::shared_ptr<Open> open, std::uint64_t expires_at, std::size_t limit);
  /// Takes the orphan with this persistent FileId out of the table (null if there is none), so
  /// that the scavenger cannot close it while a reconnect is checked. `expires_at` receives its
  /// deadline, for put_back().
  std::shared_ptr<Open> take(std::uint64_t persistent_id, std::uint64_t* expires_at = nullptr);
  /// A reconnect that failed its checks: the orphan stays as it was.
  void put_back(std::shared_ptr<Open> open, std::uint64_t expires_at);
  /// The orphans whose time is up at `now`, or which the NT core has ended: taken out of the
  /// table for the caller to close.
  std::vector<std::shared_ptr<Open>> take_finished(std::uint64_t now, const nt::NtCore& nt);
  /// Every orphan (the server stops).
  std::vector<std::shared_ptr<Open>> take_all();
  std::size_t size() const;

  /// CreateGuid index (3.3.5.9.10 Open.CreateGuid, with Open.ClientGuid): the open a DH2Q
  /// created, while it exists.
  void remember(const Guid& client_guid, const Guid& create_guid, const std::shared_ptr<Open>& open);
  std::shared_ptr<Open> by_create_guid(const Guid& client_guid, const Guid& create_guid);

 private:
  struct Kept {
    std::shared_ptr<Open> open;
    std::uint64_t expires_at = 0;
  };
  mutable std::mutex mu_;  // a leaf: nothing else is taken while it is held
  std::map<std::uint64_t, Kept> orphans_;  // by persistent FileId
  std::map<std::pair<Guid, Guid>, std::weak_ptr<Open>> create_guids_;
  std::size_t sweep_at_ = 64;
};

}  // namespace smbsrv::engine
