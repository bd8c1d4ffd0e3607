// File: smbsrv/ntstatus.hpp
// NTSTATUS, the error currency of the whole library: handlers, the VFS and the wire all speak it.
//
//   if (auto r = vfs.open(path, params); !r) log(to_string(r.status()));
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace smbsrv {

enum class NtStatus : std::uint32_t {
#define SMBSRV_NTSTATUS(name, value, text) name = value,
#include "smbsrv/ntstatus.def"
#undef SMBSRV_NTSTATUS
};

/// The MS-ERREF spelling ("STATUS_ACCESS_DENIED"), or "STATUS_0x........" when unknown.
std::string_view to_string(NtStatus status) noexcept;

/// Maps an OS error (errno category) to the NTSTATUS a Windows server would return.
NtStatus from_errc(std::error_code ec) noexcept;
NtStatus from_errno(int err) noexcept;

constexpr bool is_error(NtStatus s) noexcept { return (static_cast<std::uint32_t>(s) >> 30) == 3; }

}  // namespace smbsrv
