#include "sim/fault_vfs.hpp"

#include <utility>

namespace smbsrv::sim {

std::string_view to_string(VfsCall c) {
  switch (c) {
    case VfsCall::open: return "open";
    case VfsCall::remove: return "remove";
    case VfsCall::rename: return "rename";
    case VfsCall::fs_info: return "fs_info";
    case VfsCall::read: return "read";
    case VfsCall::write: return "write";
    case VfsCall::stat: return "stat";
    case VfsCall::truncate: return "truncate";
    case VfsCall::set_times: return "set_times";
    case VfsCall::set_attributes: return "set_attributes";
    case VfsCall::flush: return "flush";
    case VfsCall::list: return "list";
    case VfsCall::send_source: return "send_source";
    case VfsCall::count_: break;
  }
  return "?";
}

NtStatus FaultVfs::Plan::enter(VfsCall kind) {
  std::lock_guard lk(mu);
  const std::uint64_t n = ++total;
  const std::uint64_t nk = ++per_kind[static_cast<std::size_t>(kind)];
  if (hold_total.count(n)) {
    held = true;
    ++held_count;
  }
  NtStatus s = NtStatus::success;
  if (auto it = fail_total.find(n); it != fail_total.end()) s = it->second;
  if (auto it = fail_kind.find({kind, nk}); it != fail_kind.end()) s = it->second;
  if (s != NtStatus::success) {
    ++failed;
    ++failed_kind[static_cast<std::size_t>(kind)];
    last = {kind, n, s};
  }
  return s;
}

namespace {

class FaultFile final : public VfsFile {
 public:
  FaultFile(std::unique_ptr<VfsFile> inner, std::shared_ptr<FaultVfs::Plan> plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}

  Result<std::size_t> read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    if (auto s = plan_->enter(VfsCall::read); s != NtStatus::success) return s;
    return inner_->read(offset, out);
  }
  Result<std::size_t> write(std::uint64_t offset, std::span<const std::uint8_t> in) override {
    if (auto s = plan_->enter(VfsCall::write); s != NtStatus::success) return s;
    return inner_->write(offset, in);
  }
  Result<FileInfo> stat() override {
    if (auto s = plan_->enter(VfsCall::stat); s != NtStatus::success) return s;
    return inner_->stat();
  }
  Result<void> truncate(std::uint64_t size) override {
    if (auto s = plan_->enter(VfsCall::truncate); s != NtStatus::success) return s;
    return inner_->truncate(size);
  }
  Result<void> set_times(const FileTimes& times) override {
    if (auto s = plan_->enter(VfsCall::set_times); s != NtStatus::success) return s;
    return inner_->set_times(times);
  }
  Result<void> set_attributes(std::uint32_t attributes) override {
    if (auto s = plan_->enter(VfsCall::set_attributes); s != NtStatus::success) return s;
    return inner_->set_attributes(attributes);
  }
  Result<void> flush() override {
    if (auto s = plan_->enter(VfsCall::flush); s != NtStatus::success) return s;
    return inner_->flush();
  }
  Result<std::vector<DirEntry>> list() override {
    if (auto s = plan_->enter(VfsCall::list); s != NtStatus::success) return s;
    return inner_->list();
  }
  std::optional<SendSource> send_source() override {
    (void)plan_->enter(VfsCall::send_source);  // counted; cannot fail
    return inner_->send_source();
  }

 private:
  std::unique_ptr<VfsFile> inner_;
  std::shared_ptr<FaultVfs::Plan> plan_;
};

}  // namespace

FaultVfs::FaultVfs(std::shared_ptr<Vfs> inner) : inner_(std::move(inner)), plan_(std::make_shared<Plan>()) {}

void FaultVfs::fail_call(std::uint64_t k, NtStatus status) {
  std::lock_guard lk(plan_->mu);
  plan_->fail_total[k] = status;
}

void FaultVfs::fail_call(VfsCall kind, std::uint64_t k, NtStatus status) {
  std::lock_guard lk(plan_->mu);
  plan_->fail_kind[{kind, k}] = status;
}

void FaultVfs::hold_call(std::uint64_t k) {
  std::lock_guard lk(plan_->mu);
  plan_->hold_total.insert(k);
}

bool FaultVfs::take_held() {
  std::lock_guard lk(plan_->mu);
  return std::exchange(plan_->held, false);
}

std::uint64_t FaultVfs::calls() const {
  std::lock_guard lk(plan_->mu);
  return plan_->total;
}

std::uint64_t FaultVfs::calls(VfsCall kind) const {
  std::lock_guard lk(plan_->mu);
  return plan_->per_kind[static_cast<std::size_t>(kind)];
}

std::uint64_t FaultVfs::failures() const {
  std::lock_guard lk(plan_->mu);
  return plan_->failed;
}

std::uint64_t FaultVfs::failures(VfsCall kind) const {
  std::lock_guard lk(plan_->mu);
  return plan_->failed_kind[static_cast<std::size_t>(kind)];
}

FaultVfs::Injected FaultVfs::last_failure() const {
  std::lock_guard lk(plan_->mu);
  return plan_->last;
}

std::uint64_t FaultVfs::holds() const {
  std::lock_guard lk(plan_->mu);
  return plan_->held_count;
}

Result<Vfs::Opened> FaultVfs::open(const SmbPath& path, const OpenParams& params) {
  if (auto s = plan_->enter(VfsCall::open); s != NtStatus::success) return s;
  auto r = inner_->open(path, params);
  if (!r) return r.status();
  r->file = std::make_unique<FaultFile>(std::move(r->file), plan_);
  return r;
}

Result<void> FaultVfs::remove(const SmbPath& path) {
  if (auto s = plan_->enter(VfsCall::remove); s != NtStatus::success) return s;
  return inner_->remove(path);
}

Result<void> FaultVfs::rename(const SmbPath& from, const SmbPath& to, bool replace) {
  if (auto s = plan_->enter(VfsCall::rename); s != NtStatus::success) return s;
  return inner_->rename(from, to, replace);
}

Result<FsInfo> FaultVfs::fs_info() {
  if (auto s = plan_->enter(VfsCall::fs_info); s != NtStatus::success) return s;
  return inner_->fs_info();
}

}  // namespace smbsrv::sim
