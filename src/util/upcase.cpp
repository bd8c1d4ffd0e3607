#include "util/upcase.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "util/utf8.hpp"

namespace smbsrv {
namespace {

/// first, first + stride, ... last map to cp + delta.
struct UpcaseRun {
  std::uint16_t first;
  std::uint16_t last;
  std::uint8_t stride;  // 1, or 2 for the alternating upper/lower blocks
  std::int32_t delta;
};

#include "util/upcase_table.inc"

consteval bool runs_are_sorted_and_disjoint() {
  for (std::size_t k = 0; k < std::size(kUpcaseRuns); ++k) {
    const auto& r = kUpcaseRuns[k];
    if (r.first > r.last || (r.stride != 1 && r.stride != 2) || (r.last - r.first) % r.stride != 0)
      return false;
    if (k > 0 && kUpcaseRuns[k - 1].last >= r.first) return false;
  }
  return true;
}
consteval std::size_t mapped_in_runs() {
  std::size_t n = 0;
  for (const auto& r : kUpcaseRuns) n += static_cast<std::size_t>((r.last - r.first) / r.stride + 1);
  return n;
}
static_assert(runs_are_sorted_and_disjoint(), "upcase_table.inc: runs must be sorted and disjoint");
static_assert(mapped_in_runs() == kUpcaseMappedCount, "upcase_table.inc: runs and count disagree");

constexpr char ascii_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

/// The bytes of upcase_utf8(s), one at a time.
class UpcasedBytes {
 public:
  explicit UpcasedBytes(std::string_view s) noexcept : s_(s) {}

  /// The next byte into `out`; false at the end.
  bool next(char& out) noexcept {
    if (pos_ < len_) {
      out = buf_[pos_++];
      return true;
    }
    if (i_ >= s_.size()) return false;
    if (static_cast<unsigned char>(s_[i_]) < 0x80) {
      out = ascii_upper(s_[i_++]);
      return true;
    }
    char32_t cp = 0;
    if (!utf8::decode(s_, i_, cp)) {  // an invalid byte stands for itself
      out = s_[i_++];
      return true;
    }
    len_ = utf8::encode(upcase(cp), buf_);
    pos_ = 1;
    out = buf_[0];
    return true;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  char buf_[4] = {};
  std::size_t pos_ = 0, len_ = 0;
};

}  // namespace

char32_t upcase(char32_t c) noexcept {
  if (c < 0x80) return (c >= U'a' && c <= U'z') ? c - 32 : c;
  if (c > 0xFFFF) return c;  // outside the BMP: never changed
  // The last run that starts at or before c.
  const auto* it = std::upper_bound(std::begin(kUpcaseRuns), std::end(kUpcaseRuns), c,
                                    [](char32_t v, const UpcaseRun& r) { return v < r.first; });
  if (it == std::begin(kUpcaseRuns)) return c;
  --it;
  if (c > it->last || (c - it->first) % it->stride != 0) return c;
  return static_cast<char32_t>(static_cast<std::int32_t>(c) + it->delta);
}

std::string upcase_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    if (static_cast<unsigned char>(in[i]) < 0x80) {
      out.push_back(ascii_upper(in[i++]));
      continue;
    }
    char32_t cp = 0;
    if (!utf8::decode(in, i, cp)) {  // keep invalid bytes as they are
      out.push_back(in[i++]);
      continue;
    }
    utf8::append(upcase(cp), out);
  }
  return out;
}

bool iequal_names(std::string_view a, std::string_view b) noexcept {
  if (a == b) return true;
  UpcasedBytes x(a), y(b);
  for (char ca = 0, cb = 0;;) {
    const bool more_a = x.next(ca), more_b = y.next(cb);
    if (more_a != more_b) return false;
    if (!more_a) return true;
    if (ca != cb) return false;
  }
}

namespace detail {
const char* upcase_table_unicode_version() noexcept { return kUpcaseUnicodeVersion; }
std::size_t upcase_table_mapped_count() noexcept { return kUpcaseMappedCount; }
}  // namespace detail

}  // namespace smbsrv
