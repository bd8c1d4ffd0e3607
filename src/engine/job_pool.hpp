// A free list for the jobs of the READ/WRITE path, so that a steady stream of requests allocates
// no job (the allocation test counts). Thread-safe: jobs are released on the connection's
// executor, which may be any worker.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

namespace smbsrv::engine {

template <class J>
class JobPool {
 public:
  static constexpr std::size_t kMaxPooled = 256;
  ~JobPool() {
    for (J* j : free_) delete j;
  }
  J* take() {
    {
      std::lock_guard lk(mu_);  // a leaf lock
      if (!free_.empty()) {
        J* j = free_.back();
        free_.pop_back();
        return j;
      }
    }
    return new J();
  }
  void give(J* j) {
    {
      std::lock_guard lk(mu_);
      if (free_.size() < kMaxPooled) {
        free_.push_back(j);
        return;
      }
    }
    delete j;
  }

 private:
  std::mutex mu_;
  std::vector<J*> free_;
};

}  // namespace smbsrv::engine
