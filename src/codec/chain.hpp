// The one checked iterator over chained wire structures (negotiate contexts, MS-SMB2 2.2.3.1;
// create contexts, 2.2.13.2). Every chain in the codec is walked through walk_chain so the same
// rules hold everywhere: each element starts at an aligned offset, the next element lies strictly
// after the current one and inside the area, and the number of elements is capped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "util/byte_reader.hpp"

namespace smbsrv::codec::detail {

struct ChainRules {
  std::size_t align = 8;       // every element offset (relative to the area start) is a multiple
  std::size_t max_count = 64;  // more elements than this → failure
};

/// Walks the chain inside `area` starting at `first` (relative to the area start). For each
/// element, `step(index, element)` is called with `element` = area[start..end of area]; it returns
/// the distance from this element's start to the next element, 0 when this element is the last,
/// or nullopt when the element itself is malformed. Returns false on any violation.
template <class Step>
bool walk_chain(Bytes area, std::size_t first, const ChainRules& rules, Step&& step) {
  if (rules.align == 0 || first % rules.align != 0 || first >= area.size()) return false;
  std::size_t pos = first;
  for (std::size_t index = 0;; ++index) {
    if (index >= rules.max_count) return false;
    const std::optional<std::uint64_t> next = step(index, area.subspan(pos));
    if (!next) return false;
    if (*next == 0) return true;
    const std::size_t left = area.size() - pos;
    // Strictly forward, aligned, and the next element must start inside the area.
    if (*next % rules.align != 0 || *next >= left) return false;
    pos += static_cast<std::size_t>(*next);
  }
}

}  // namespace smbsrv::codec::detail
