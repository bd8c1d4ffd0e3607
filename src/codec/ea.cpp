// Extended attribute lists (MS-FSCC 2.4.15, 2.4.15.1). Walked through the one checked chain
// iterator; every length is checked against what is left of the entry by subtraction.
#include "codec/ea.hpp"

#include <optional>

#include "codec/chain.hpp"
#include "util/byte_writer.hpp"

namespace smbsrv::codec {
namespace {

// MS-FSCC 2.4.15: entries of both lists are aligned on 4-byte boundaries.
constexpr std::size_t kEaAlign = 4;

detail::ChainRules ea_rules(Bytes b) {
  // Entries are at least 8 bytes apart (aligned), so the area bounds their number.
  return {.align = kEaAlign, .max_count = b.size() / kEaAlign + 1};
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool valid_ea_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F) return false;
    switch (c) {
      case '"': case '*': case '+': case ',': case '/': case ':': case ';': case '<': case '=':
      case '>': case '?': case '[': case '\\': case ']': case '|':
        return false;
      default: break;
    }
  }
  return true;
}

bool ea_name_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

Result<std::vector<ExtendedAttribute>> decode_full_ea_list(Bytes b) {
  std::vector<ExtendedAttribute> out;
  NtStatus bad = NtStatus::success;  // the first entry-level error (names), reported after the walk
  const bool ok = detail::walk_chain(b, 0, ea_rules(b), [&](std::size_t, Bytes e) -> std::optional<std::uint64_t> {
    ByteReader r(e);
    const std::uint32_t next = r.u32();
    const std::uint8_t flags = r.u8();
    const std::uint8_t name_len = r.u8();
    const std::uint16_t value_len = r.u16();
    if (!r.ok()) return std::nullopt;
    // EaName, its NUL, EaValue: by subtraction from what is left.
    if (r.remaining() < std::size_t{name_len} + 1) return std::nullopt;
    Bytes name = r.bytes(name_len);
    if (r.u8() != 0) return std::nullopt;
    if (r.remaining() < value_len) return std::nullopt;
    Bytes value = r.bytes(value_len);
    if (next != 0 && next < r.pos()) return std::nullopt;  // the next entry may not overlap this one
    std::string n(name.begin(), name.end());
    if (bad == NtStatus::success && (!valid_ea_name(n) || (flags & ~kFileNeedEa) != 0)) bad = NtStatus::invalid_ea_name;
    out.push_back({std::move(n), std::vector<std::uint8_t>(value.begin(), value.end())});
    return next;
  });
  if (!ok) return NtStatus::ea_list_inconsistent;
  if (bad != NtStatus::success) return bad;
  return out;
}

Result<std::vector<std::string>> decode_get_ea_list(Bytes b) {
  std::vector<std::string> out;
  bool bad_name = false;
  const bool ok = detail::walk_chain(b, 0, ea_rules(b), [&](std::size_t, Bytes e) -> std::optional<std::uint64_t> {
    ByteReader r(e);
    const std::uint32_t next = r.u32();
    const std::uint8_t name_len = r.u8();
    if (!r.ok() || r.remaining() < std::size_t{name_len} + 1) return std::nullopt;
    Bytes name = r.bytes(name_len);
    if (r.u8() != 0) return std::nullopt;
    if (next != 0 && next < r.pos()) return std::nullopt;
    std::string n(name.begin(), name.end());
    if (!valid_ea_name(n)) bad_name = true;
    out.push_back(std::move(n));
    return next;
  });
  if (!ok) return NtStatus::ea_list_inconsistent;
  if (bad_name) return NtStatus::invalid_ea_name;
  return out;
}

std::size_t full_ea_entry_size(const ExtendedAttribute& ea) {
  return kFullEaFixedSize + ea.name.size() + 1 + ea.value.size();
}

std::size_t add_full_ea_entry(std::size_t total, std::size_t name_length, std::size_t value_length) {
  return (total + kEaAlign - 1) / kEaAlign * kEaAlign + kFullEaFixedSize + name_length + 1 + value_length;
}

std::uint32_t full_ea_list_size(std::span<const ExtendedAttribute> eas) {
  std::size_t total = 0;
  for (const auto& ea : eas) total = add_full_ea_entry(total, ea.name.size(), ea.value.size());
  return static_cast<std::uint32_t>(std::min<std::size_t>(total, UINT32_MAX));
}

void append_full_ea(std::vector<std::uint8_t>& out, std::size_t& prev, const ExtendedAttribute& ea) {
  ByteWriter w(out);
  if (!out.empty()) {
    w.align(kEaAlign);
    w.put_u32(prev, static_cast<std::uint32_t>(out.size() - prev));
  }
  prev = out.size();
  w.u32(0);
  w.u8(0);
  w.u8(static_cast<std::uint8_t>(ea.name.size()));
  w.u16(static_cast<std::uint16_t>(ea.value.size()));
  w.bytes({reinterpret_cast<const std::uint8_t*>(ea.name.data()), ea.name.size()});
  w.u8(0);
  w.bytes(ea.value);
}

std::vector<std::uint8_t> encode_full_ea_list(std::span<const ExtendedAttribute> eas) {
  std::vector<std::uint8_t> out;
  std::size_t prev = 0;
  for (const auto& ea : eas) append_full_ea(out, prev, ea);
  return out;
}

std::vector<std::uint8_t> encode_get_ea_list(std::span<const std::string> names) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  std::size_t prev = 0;
  for (const auto& n : names) {
    if (!out.empty()) {
      w.align(kEaAlign);
      w.put_u32(prev, static_cast<std::uint32_t>(out.size() - prev));
    }
    prev = out.size();
    w.u32(0);
    w.u8(static_cast<std::uint8_t>(n.size()));
    w.bytes({reinterpret_cast<const std::uint8_t*>(n.data()), n.size()});
    w.u8(0);
  }
  return out;
}

}  // namespace smbsrv::codec
