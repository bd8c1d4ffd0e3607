// The resume keys of server-side copy (MS-SMB2 3.3.5.15.5, 3.3.5.15.6): the 24-byte key that
// FSCTL_SRV_REQUEST_RESUME_KEY hands out for an open, and the way back from a key to its open for
// FSCTL_SRV_COPYCHUNK.
//
// Scope: one table per server. 3.3.5.15.6 locates the source "by locating the open where
// Open.ResumeKey matches the SourceKey", among all opens of the server (3.3.5.15.5: the key is
// unique for all opens on the server), and Windows accepts a key from another tree, session or
// connection (a copy between shares, multichannel). A key is 24 random bytes, so only a client
// the owning session gave it to can present it; and the copy checks the source open's own granted
// access, so it reads nothing that open could not read.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>

#include "codec/copychunk.hpp"

namespace smbsrv::engine {

struct Open;

class ResumeKeys {
 public:
  using Random = std::function<void(std::span<std::uint8_t>)>;
  /// The key of `open`: the same one each time it is asked for, made from `random` the first time.
  codec::ResumeKey key_of(const std::shared_ptr<Open>& open, const Random& random);
  /// The open a key names while that open is registered; null otherwise.
  std::shared_ptr<Open> find(const codec::ResumeKey& key) const;
  /// `open` is closing: its key names nothing any more.
  void forget(const Open* open);
  std::size_t size() const;

 private:
  void sweep_locked();  // drops the entries of opens that are gone without forget()

  mutable std::mutex mu_;  // a leaf: nothing else is taken while it is held
  std::map<codec::ResumeKey, std::weak_ptr<Open>> by_key_;
  std::map<const Open*, codec::ResumeKey> by_open_;
  std::size_t sweep_at_ = 64;
};

}  // namespace smbsrv::engine
