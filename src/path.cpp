// SmbPath: the single place where client-supplied paths are validated.
#include "smbsrv/path.hpp"

#include <cstdint>

#include "util/utf16.hpp"

namespace smbsrv {
namespace {

constexpr std::size_t kMaxComponent = 255;
constexpr std::size_t kMaxPath = 4096;

bool is_separator(char c) noexcept { return c == '\\' || c == '/'; }

bool valid_utf8(std::string_view s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::vector<std::uint8_t> scratch;
      return utf8_to_utf16le(s, scratch);
    }
  return true;
}

std::size_t joined_size(const std::vector<std::string>& components) {
  std::size_t n = 0;
  for (const auto& c : components) n += c.size() + 1;
  return n == 0 ? 0 : n - 1;
}

}  // namespace

bool is_valid_component(std::string_view component) noexcept {
  if (component.empty() || component.size() > kMaxComponent) return false;
  if (component == "." || component == "..") return false;
  for (const char ch : component) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20) return false;
    switch (c) {
      case '\\': case '/': case '<': case '>': case ':': case '"': case '|': case '?': case '*':
        return false;
      default: break;
    }
  }
  try {
    return valid_utf8(component);
  } catch (...) {  // allocation failure
    return false;
  }
}

Result<SmbPath> SmbPath::parse(std::string_view utf8) {
  if (utf8.size() > kMaxPath) return NtStatus::object_name_invalid;
  if (!utf8.empty() && is_separator(utf8.front())) utf8.remove_prefix(1);
  if (utf8.empty()) return SmbPath{};
  if (is_separator(utf8.back())) {
    utf8.remove_suffix(1);
    if (utf8.empty()) return NtStatus::object_name_invalid;  // "\\\\"
  }
  SmbPath p;
  bool resolved_up = false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = start;
    while (end < utf8.size() && !is_separator(utf8[end])) ++end;
    const auto comp = utf8.substr(start, end - start);
    // dir\\file: the empty component between doubled separators is dropped. ".." takes the
    // component before it away, as Windows' server resolves it before the file system sees the
    // name; one that would climb above the share's root is OBJECT_PATH_SYNTAX_BAD (smbtorture
    // smb2.mkdir). A "." stays invalid.
    if (comp == "..") {
      if (p.components_.empty()) return NtStatus::object_path_syntax_bad;
      p.components_.pop_back();
      resolved_up = true;
    } else if (!comp.empty()) {
      if (!is_valid_component(comp)) return NtStatus::object_name_invalid;
      p.components_.emplace_back(comp);
    }
    if (end == utf8.size()) break;
    start = end + 1;
  }
  if (p.components_.empty() && !resolved_up) return NtStatus::object_name_invalid;  // separators only
  return p;  // "dir\.." is the root
}

bool is_win32_reserved_name(std::string_view c) noexcept {
  if (c.empty()) return false;
  if (c.back() == '.' || c.back() == ' ') return true;
  // The device name is what comes before the first dot ("con.txt", "nul.tar.gz").
  const auto stem = c.substr(0, c.find('.'));
  auto upper = [](char ch) { return ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch; };
  auto is = [&](std::string_view word) {
    if (stem.size() != word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
      if (upper(stem[i]) != word[i]) return false;
    return true;
  };
  if (is("CON") || is("PRN") || is("AUX") || is("NUL")) return true;
  if (stem.size() == 4 && stem[3] >= '1' && stem[3] <= '9') {  // COM1-COM9, LPT1-LPT9
    const char a = upper(stem[0]), b = upper(stem[1]), d = upper(stem[2]);
    if ((a == 'C' && b == 'O' && d == 'M') || (a == 'L' && b == 'P' && d == 'T')) return true;
  }
  return false;
}

Result<void> check_win32_names(const SmbPath& path) noexcept {
  for (const auto& c : path.components())
    if (is_win32_reserved_name(c)) return NtStatus::object_name_invalid;
  return {};
}

Result<SmbPath> SmbPath::from_components(std::vector<std::string> components) {
  for (const auto& c : components)
    if (!is_valid_component(c)) return NtStatus::object_name_invalid;
  if (joined_size(components) > kMaxPath) return NtStatus::object_name_invalid;
  SmbPath p;
  p.components_ = std::move(components);
  return p;
}

std::string_view SmbPath::name() const noexcept {
  return components_.empty() ? std::string_view{} : std::string_view{components_.back()};
}

SmbPath SmbPath::parent() const {
  SmbPath p;
  if (!components_.empty())
    p.components_.assign(components_.begin(), components_.end() - 1);
  return p;
}

Result<SmbPath> SmbPath::child(std::string_view component) const {
  if (!is_valid_component(component)) return NtStatus::object_name_invalid;
  if (joined_size(components_) + component.size() + 1 > kMaxPath) return NtStatus::object_name_invalid;
  SmbPath p = *this;
  p.components_.emplace_back(component);
  return p;
}

namespace {
std::string join(const std::vector<std::string>& components, char sep) {
  std::string out;
  out.reserve(joined_size(components));
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (i) out.push_back(sep);
    out += components[i];
  }
  return out;
}
}  // namespace

std::string SmbPath::to_string() const { return join(components_, '/'); }
std::string SmbPath::to_wire() const { return join(components_, '\\'); }

}  // namespace smbsrv
