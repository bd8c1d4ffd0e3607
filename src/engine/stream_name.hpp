// A CREATE or rename name split into the file and the stream it names (MS-FSCC 2.1.5
// "filename:streamname:streamtype", MS-FSA 2.1.5.1 steps for StreamName / StreamTypeName).
#pragma once

#include <string>
#include <string_view>

#include "smbsrv/result.hpp"
#include "smbsrv/vfs.hpp"

namespace smbsrv::engine {

struct StreamName {
  enum class Kind {
    none,          // no ':' at all: the file itself
    default_data,  // "file::$DATA": the file's unnamed data stream (not a directory)
    index,         // "dir::$INDEX_ALLOCATION": the directory itself (not a file)
    named,         // "file:name" or "file:name:$DATA"
  };
  std::string_view file;  // the part before the first ':' (a path; empty: the share root)
  std::string stream;     // Kind::named: the stream's name, as given
  Kind kind = Kind::none;
};

/// The longest stream name, in characters (the limit of an NTFS name, MS-FSCC 2.1.5.3).
inline constexpr std::size_t kMaxStreamNameChars = 255;

/// Splits `name` (UTF-8). object_name_invalid for: a ':' with neither a stream name nor a type
/// ("file:"), a type other than $DATA or $INDEX_ALLOCATION (case-insensitive), $INDEX_ALLOCATION
/// with a stream name, more than two ':', a stream name with '\\', '/' or NUL, or longer than
/// kMaxStreamNameChars characters.
Result<StreamName> split_stream_name(std::string_view name);

/// Whether `name` is a valid stream name on its own (as in a rename to ":name").
bool valid_stream_name(std::string_view name);

/// The NT core's key of a named stream (nt::FileKey::stream): the name in the share's case rule.
std::string stream_key(const Vfs& vfs, std::string_view stream);

}  // namespace smbsrv::engine
