// UTF-16LE (the wire) <-> UTF-8 (everything inside). Odd byte counts and invalid UTF-8 are
// rejected; a lone surrogate is kept, in the three-byte form utf8::decode() describes, so that
// every UTF-16 name has one UTF-8 spelling and comes back as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// upcase_utf8() moved to util/upcase.hpp; included for the callers that still look for it here.
#include "util/upcase.hpp"

namespace smbsrv {

std::optional<std::string> utf16le_to_utf8(std::span<const std::uint8_t> in);
/// Appends the UTF-16LE encoding of `in`; false (and nothing appended) on invalid UTF-8.
bool utf8_to_utf16le(std::string_view in, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> to_utf16le(std::string_view in);  // invalid input → U+FFFD

}  // namespace smbsrv
