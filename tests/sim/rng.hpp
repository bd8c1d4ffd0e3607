// Where the simulation's choices come from: a seeded xoshiro256** (the ctest runs and replays)
// or the bytes of a libFuzzer input. Both are fully specified here, so a seed picks the same
// schedule on every platform and library version (no std::uniform_int_distribution, whose
// output is implementation-defined).
#pragma once

#include <cstddef>
#include <cstdint>

namespace smbsrv::sim {

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// A mixing function (splitmix64's finaliser) for data patterns.
inline std::uint64_t mix64(std::uint64_t x) { return splitmix64(x); }

class Source {
 public:
  virtual ~Source() = default;
  /// A value in [0, n) (0 when n is 0).
  virtual std::uint64_t below(std::uint64_t n) = 0;
  /// A fuzz input that has run out: the simulation stops taking steps.
  virtual bool exhausted() const { return false; }

  bool chance(unsigned percent) { return below(100) < percent; }
  /// A value in [lo, hi].
  std::uint64_t range(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }
};

/// xoshiro256** seeded through splitmix64 (Blackman & Vigna).
class SeededSource final : public Source {
 public:
  explicit SeededSource(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& w : s_) w = splitmix64(x);
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  std::uint64_t below(std::uint64_t n) override { return n == 0 ? 0 : next() % n; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

/// The bytes of a fuzz input: each choice takes as many bytes as it needs (one for n ≤ 256);
/// once they run out every choice is 0 and exhausted() is true.
class ByteSource final : public Source {
 public:
  ByteSource(const std::uint8_t* data, std::size_t size) : p_(data), left_(size) {}
  std::uint64_t below(std::uint64_t n) override {
    if (n <= 1) return 0;
    std::uint64_t v = 0;
    for (std::uint64_t span = n - 1; span != 0; span >>= 8) {
      if (left_ == 0) {
        out_ = true;
        return 0;
      }
      v = (v << 8) | *p_++;
      --left_;
    }
    return v % n;
  }
  bool exhausted() const override { return out_; }

 private:
  const std::uint8_t* p_;
  std::size_t left_;
  bool out_ = false;
};

}  // namespace smbsrv::sim
