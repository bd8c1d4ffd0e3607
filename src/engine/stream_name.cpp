#include "engine/stream_name.hpp"

#include <algorithm>

#include "util/upcase.hpp"

namespace smbsrv::engine {
namespace {

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto up = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; };
           return up(x) == up(y);
         });
}

}  // namespace

bool valid_stream_name(std::string_view name) {
  if (name.empty()) return false;
  std::size_t chars = 0;
  for (const char c : name) {
    // MS-FSCC 2.1.5.3: any character but '\', '/', ':' and NUL. (Control characters are
    // allowed in stream names, unlike file names.)
    if (c == '\\' || c == '/' || c == ':' || c == '\0') return false;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;  // count UTF-8 lead bytes
  }
  return chars <= kMaxStreamNameChars;
}

Result<StreamName> split_stream_name(std::string_view name) {
  StreamName out;
  const auto colon = name.find(':');
  if (colon == std::string_view::npos) {
    out.file = name;
    return out;
  }
  out.file = name.substr(0, colon);
  std::string_view rest = name.substr(colon + 1);
  std::string_view stream = rest, type;
  bool typed = false;
  if (const auto second = rest.find(':'); second != std::string_view::npos) {
    stream = rest.substr(0, second);
    type = rest.substr(second + 1);
    typed = true;
  }
  if (typed) {
    if (equals_nocase(type, "$DATA")) {
      if (stream.empty()) {
        out.kind = StreamName::Kind::default_data;
        return out;
      }
    } else if (equals_nocase(type, "$INDEX_ALLOCATION")) {
      if (!stream.empty()) return NtStatus::object_name_invalid;
      out.kind = StreamName::Kind::index;
      return out;
    } else {
      return NtStatus::object_name_invalid;  // an unknown type, or a third ':'
    }
  }
  if (!valid_stream_name(stream)) return NtStatus::object_name_invalid;
  out.stream = std::string(stream);
  out.kind = StreamName::Kind::named;
  return out;
}

std::string stream_key(const Vfs& vfs, std::string_view stream) {
  if (stream.empty() || vfs.case_sensitive()) return std::string(stream);
  return upcase_utf8(stream);
}

}  // namespace smbsrv::engine
