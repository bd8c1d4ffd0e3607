// File: smbsrv/memory_vfs.hpp
// A Vfs held entirely in memory: for tests, demos and embedders that serve generated content.
//
//   auto vfs = smbsrv::make_memory_vfs();
#pragma once

#include <memory>

#include "smbsrv/vfs.hpp"

namespace smbsrv {

struct MemoryVfsOptions {
  bool read_only = false;
  bool case_sensitive = false;
  std::uint64_t capacity_bytes = 1ULL << 30;  // reported as the volume size; writes beyond → disk_full
};

std::shared_ptr<Vfs> make_memory_vfs(MemoryVfsOptions options = {});

}  // namespace smbsrv
