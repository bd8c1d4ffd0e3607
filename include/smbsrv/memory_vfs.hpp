// File: smbsrv/memory_vfs.hpp
// A Vfs held entirely in memory: for tests, demos and embedders that serve generated content.
//
//   auto vfs = smbsrv::make_memory_vfs();
#pragma once

#include <functional>
#include <memory>

#include "smbsrv/vfs.hpp"

namespace smbsrv {

struct MemoryVfsOptions {
  bool read_only = false;
  bool case_sensitive = false;
  std::uint64_t capacity_bytes = 1ULL << 30;  // reported as the volume size; writes beyond → disk_full
  /// The time stamped on files (FILETIME); empty: the system clock. Tests and fuzzers pass a fixed
  /// one so that what the share answers is reproducible.
  std::function<FileTime()> clock;
};

std::shared_ptr<Vfs> make_memory_vfs(MemoryVfsOptions options = {});

}  // namespace smbsrv
