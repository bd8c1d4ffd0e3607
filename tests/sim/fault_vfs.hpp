// FaultVfs: a Vfs wrapper for the deterministic simulation (tests/sim) that makes chosen calls
// fail and marks chosen calls as "held".
//
// Counting. Every call on the FaultVfs and on every VfsFile it opened counts, in the order the
// calls are made, 1-based: call 1 is the first call of any kind. Each kind (VfsCall) also has its
// own 1-based counter. The queries read_only() and case_sensitive(), and file destruction, do not
// count (they cannot fail).
//
// Failing. fail_call(k, status) makes call k (overall count) return `status` instead of reaching
// the wrapped Vfs: the inner call is not made, so a failed open() creates nothing and a failed
// write() writes nothing. fail_call(kind, k, status) does the same for the k-th call of one kind.
// send_source() cannot fail (it returns an optional): a failure planned for it is not used.
//
// Holding. hold_call(k) marks call k (overall count) as held: the call itself proceeds normally,
// and take_held() then reports it (once). A scheduler that runs one job at a time asks
// take_held() after each job and, when it is true, delivers that job's completion late. The Vfs
// does not block: holding is the scheduler's business.
//
// Thread-safe (one mutex, a leaf, never held across an inner call).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

#include "smbsrv/vfs.hpp"

namespace smbsrv::sim {

enum class VfsCall : std::uint8_t {
  open, remove, rename, fs_info,                                                  // Vfs
  read, write, stat, truncate, set_times, set_attributes, flush, list, send_source,  // VfsFile
  count_
};
std::string_view to_string(VfsCall c);

class FaultVfs final : public Vfs {
 public:
  explicit FaultVfs(std::shared_ptr<Vfs> inner);

  /// Call k (1-based, all kinds together) fails with `status` (not success).
  void fail_call(std::uint64_t k, NtStatus status);
  /// The k-th call (1-based) of `kind` fails with `status`.
  void fail_call(VfsCall kind, std::uint64_t k, NtStatus status);
  /// Call k (1-based, all kinds together) is held: take_held() reports it once it has been made.
  void hold_call(std::uint64_t k);
  /// Whether a held call was made since the last take_held(); clears the mark.
  bool take_held();

  /// Calls made so far (all kinds), and of one kind.
  std::uint64_t calls() const;
  std::uint64_t calls(VfsCall kind) const;
  /// Calls that were failed / held so far.
  std::uint64_t failures() const;
  std::uint64_t failures(VfsCall kind) const;
  std::uint64_t holds() const;
  /// The most recent failure made: its kind, overall call number and status (for traces).
  struct Injected {
    VfsCall kind = VfsCall::count_;
    std::uint64_t call = 0;
    NtStatus status = NtStatus::success;
  };
  Injected last_failure() const;

  // Vfs
  Result<Opened> open(const SmbPath& path, const OpenParams& params) override;
  Result<void> remove(const SmbPath& path) override;
  Result<void> rename(const SmbPath& from, const SmbPath& to, bool replace) override;
  Result<FsInfo> fs_info() override;
  bool read_only() const override { return inner_->read_only(); }
  bool case_sensitive() const override { return inner_->case_sensitive(); }

  /// Shared with the files: counts and plans. Public only for FaultFile (fault_vfs.cpp).
  struct Plan {
    mutable std::mutex mu;
    std::uint64_t total = 0;
    std::uint64_t per_kind[static_cast<std::size_t>(VfsCall::count_)] = {};
    std::map<std::uint64_t, NtStatus> fail_total;
    std::map<std::pair<VfsCall, std::uint64_t>, NtStatus> fail_kind;
    std::set<std::uint64_t> hold_total;
    bool held = false;
    std::uint64_t failed = 0, held_count = 0;
    std::uint64_t failed_kind[static_cast<std::size_t>(VfsCall::count_)] = {};
    Injected last;
    /// Counts one call of `kind`; returns the status it must fail with, or success.
    NtStatus enter(VfsCall kind);
  };

 private:
  std::shared_ptr<Vfs> inner_;
  std::shared_ptr<Plan> plan_;
};

}  // namespace smbsrv::sim
