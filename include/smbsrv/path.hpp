// File: smbsrv/path.hpp
// SmbPath: a validated, share-relative path. Constructing one is the only place where a client's
// path is checked, so a Vfs backend can trust every SmbPath it is handed.
//
//   auto p = SmbPath::parse("dir\\file.txt");   // components {"dir", "file.txt"}
//   if (!p) return p.status();                    // STATUS_OBJECT_NAME_INVALID, ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smbsrv/result.hpp"

namespace smbsrv {

class SmbPath {
 public:
  /// The share root.
  SmbPath() = default;

  /// Parses a UTF-8 path with '\' separators (a leading '\' is allowed and ignored; '/' is
  /// accepted as well; a doubled separator counts as one, as Samba and Windows clients expect).
  /// Rejects: "." or ".." components (STATUS_OBJECT_NAME_INVALID), NUL and control characters and any of < > : " | ? *
  /// (STATUS_OBJECT_NAME_INVALID; ':' means a named stream, which is not supported), a component
  /// longer than 255 bytes (STATUS_OBJECT_NAME_INVALID), a path longer than 4096 bytes.
  static Result<SmbPath> parse(std::string_view utf8);

  /// Builds a path from already-validated components (each checked like parse()).
  static Result<SmbPath> from_components(std::vector<std::string> components);

  bool is_root() const noexcept { return components_.empty(); }
  const std::vector<std::string>& components() const noexcept { return components_; }
  /// Last component; empty for the root.
  std::string_view name() const noexcept;
  /// The containing directory (root for a top-level name and for the root).
  SmbPath parent() const;
  /// This path plus one component (must be a valid component; checked).
  Result<SmbPath> child(std::string_view component) const;
  /// "a/b/c" ("" for the root): for backends and logs.
  std::string to_string() const;
  /// "a\\b\\c" ("" for the root): the form the wire uses.
  std::string to_wire() const;

  friend bool operator==(const SmbPath&, const SmbPath&) = default;

 private:
  std::vector<std::string> components_;
};

/// True when a single name component is acceptable (the rules of SmbPath::parse).
bool is_valid_component(std::string_view component) noexcept;

/// Win32's reserved names (Share::windows_names): a DOS device name (CON, PRN, AUX, NUL, COM1-COM9,
/// LPT1-LPT9, in any case, alone or before an extension: "con.txt"), or a name that ends in a
/// dot or a space. Windows refuses these over SMB with STATUS_OBJECT_NAME_INVALID.
bool is_win32_reserved_name(std::string_view component) noexcept;
/// The first component of `path` that is_win32_reserved_name() → object_name_invalid; else ok.
Result<void> check_win32_names(const SmbPath& path) noexcept;

}  // namespace smbsrv
