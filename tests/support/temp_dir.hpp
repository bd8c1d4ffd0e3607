// A fresh directory under the system's temporary directory, removed with everything in it when
// the object goes: the root of a LocalVfs in tests.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace smbsrv::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "smbsrv") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = tmpl;
    str_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// The same, as a string.
  const std::string& str() const { return str_; }

 private:
  std::filesystem::path path_;
  std::string str_;
};

}  // namespace smbsrv::test
