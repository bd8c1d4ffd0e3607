#include "engine/output.hpp"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "engine/request.hpp"

namespace smbsrv::engine {

void Work::run() const { job->run(); }

FileTail& FileTail::operator=(FileTail&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    offset_ = o.offset_;
    length_ = o.length_;
    held_ = std::exchange(o.held_, nullptr);
  }
  return *this;
}

void FileTail::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  if (held_) held_->fetch_sub(1, std::memory_order_relaxed);
  fd_ = -1;
  held_ = nullptr;
}

void inline_file_tail(Output& out) {
  if (!out.tail || out.frames.empty()) return;
  auto& f = out.frames.back();
  const std::size_t at = f.size();
  f.resize(at + out.tail.length(), 0);
  std::size_t done = 0;
  while (done < out.tail.length()) {
    const ssize_t n = ::pread(out.tail.fd(), f.data() + at + done, out.tail.length() - done,
                              static_cast<off_t>(out.tail.offset() + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the rest stays zero, as the transport would send it
    done += static_cast<std::size_t>(n);
  }
  out.tail.reset();
}

}  // namespace smbsrv::engine
