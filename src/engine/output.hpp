// What one call into a Connection returns: frames to send, what to do with the connection, a
// file tail for a zero-copy READ, and blocking work for the caller to run.
#pragma once

#include <atomic>
#include <cstdint>
#include <iterator>
#include <vector>

namespace smbsrv::engine {

enum class Disposition {
  keep,               // carry on
  close_after_flush,  // send the frames, then close
  close_now,          // drop the connection without sending anything more
};

/// A vector that keeps its first element inline, so that the usual single frame or single job
/// costs no allocation for the list itself.
template <class T>
class SmallList {
 public:
  SmallList() = default;

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  void clear() {
    first_ = T{};
    rest_.clear();
    count_ = 0;
  }
  void push_back(T v) {
    if (count_ == 0) first_ = std::move(v);
    else rest_.push_back(std::move(v));
    ++count_;
  }
  T& operator[](std::size_t i) { return i == 0 ? first_ : rest_[i - 1]; }
  const T& operator[](std::size_t i) const { return i == 0 ? first_ : rest_[i - 1]; }
  T& front() { return first_; }
  const T& front() const { return first_; }
  T& back() { return (*this)[count_ - 1]; }

  template <class List, class U>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = U*;
    using reference = U&;
    Iter() = default;
    Iter(List* l, std::size_t i) : l_(l), i_(i) {}
    U& operator*() const { return (*l_)[i_]; }
    U* operator->() const { return &(*l_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    Iter operator++(int) {
      Iter t = *this;
      ++i_;
      return t;
    }
    bool operator==(const Iter& o) const { return i_ == o.i_; }

   private:
    List* l_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = Iter<SmallList, T>;
  using const_iterator = Iter<const SmallList, const T>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, count_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, count_}; }

 private:
  T first_{};
  std::vector<T> rest_;
  std::size_t count_ = 0;
};

using FrameList = SmallList<std::vector<std::uint8_t>>;

/// READ data to be sent straight from a file after the frame it belongs to (sendfile(2): from
/// the page cache to the socket, with no copy through user space). Owns its descriptor.
class FileTail {
 public:
  FileTail() = default;
  /// Takes fd over; `held` (may be null) counts it and is decremented when it is closed.
  FileTail(int fd, std::uint64_t offset, std::uint32_t length, std::atomic<std::size_t>* held = nullptr)
      : fd_(fd), offset_(offset), length_(length), held_(held) {}
  FileTail(FileTail&& o) noexcept { *this = std::move(o); }
  FileTail& operator=(FileTail&& o) noexcept;
  FileTail(const FileTail&) = delete;
  FileTail& operator=(const FileTail&) = delete;
  ~FileTail() { reset(); }
  void reset() noexcept;
  explicit operator bool() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::uint64_t offset() const { return offset_; }
  std::uint32_t length() const { return length_; }

 private:
  int fd_ = -1;
  std::uint64_t offset_ = 0;
  std::uint32_t length_ = 0;
  std::atomic<std::size_t>* held_ = nullptr;
};

class Job;

/// Blocking work the engine hands out (VFS calls): run() it on any thread — concurrently with
/// other work and with the connection's own calls — then pass it back to the same Connection's
/// on_complete() on the connection's executor. Every Work handed out must come back, also after
/// shutdown(): the engine owns the job and frees it there.
struct Work {
  Job* job = nullptr;
  std::uint32_t chain = 0;  // which frame it belongs to
  /// Moves file data (READ, WRITE): worth running beside the connection's other work. Other jobs
  /// are short metadata calls; an owner may run those on the executor itself when the connection
  /// has nothing else to do (saving two thread hops per request), and the engine works either way.
  bool bulk = false;
  void run() const;
};
using WorkList = SmallList<Work>;

struct Output {
  FrameList frames;  // each one transport frame's payload, in order
  Disposition disposition = Disposition::keep;
  /// When set, `tail.length()` bytes of a file follow frames.back() on the wire, inside the same
  /// transport frame (a zero-copy READ response; nothing follows that frame in this Output).
  /// Should the file have shrunk meanwhile, the missing bytes are sent as zeros: the frame
  /// length is fixed. Consumers that do not send files call inline_file_tail().
  FileTail tail;
  WorkList work;  // to run off the executor, each then handed back through on_complete()
};

/// Reads out.tail into out.frames.back() (zero-filled past EOF) and clears it: what the transport
/// would have sent, for consumers that do not use sendfile (tests, fuzzers, benchmarks).
void inline_file_tail(Output& out);

}  // namespace smbsrv::engine
