// UTF-16LE (the wire) <-> UTF-8 (everything inside). Strict: lone surrogates and odd byte counts
// are rejected, as are invalid UTF-8 sequences.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smbsrv {

std::optional<std::string> utf16le_to_utf8(std::span<const std::uint8_t> in);
/// Appends the UTF-16LE encoding of `in`; false (and nothing appended) on invalid UTF-8.
bool utf8_to_utf16le(std::string_view in, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> to_utf16le(std::string_view in);  // invalid input → U+FFFD
/// Upper-cases ASCII and the Latin-1/Latin Extended ranges the way NTFS's upcase table does for
/// the common cases; used for case-insensitive name matching.
std::string upcase_utf8(std::string_view in);

}  // namespace smbsrv
