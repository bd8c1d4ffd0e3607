// What srvsvc, wkssvc and lsarpc share: the Win32 status codes of the NET_API_STATUS methods, the
// server identity they report, and the CallResult shorthands. Internal to src/rpc.
#pragma once

#include <cstdint>
#include <string_view>

#include "rpc/ndr.hpp"
#include "rpc/rpc.hpp"

namespace smbsrv::rpc::svc {

// Win32 error codes (MS-ERREF 2.2) returned as NET_API_STATUS by srvsvc and wkssvc.
inline constexpr std::uint32_t kErrorSuccess = 0;
inline constexpr std::uint32_t kErrorInvalidParameter = 87;
inline constexpr std::uint32_t kErrorInvalidLevel = 124;
inline constexpr std::uint32_t kErrorMoreData = 234;
inline constexpr std::uint32_t kNerrNetNameNotFound = 2310;

// PLATFORM_ID_NT (MS-SRVS 2.2.2.6, MS-WKST 2.2.5.1) and the OS version Windows Server 2016 and
// later report in SERVER_INFO_101 / WKSTA_INFO_100 (10.0).
inline constexpr std::uint32_t kPlatformIdNt = 500;
inline constexpr std::uint32_t kVersionMajor = 10;
inline constexpr std::uint32_t kVersionMinor = 0;

/// MAX_PREFERRED_LENGTH (MS-SRVS 2.2.2.2): return everything.
inline constexpr std::uint32_t kMaxPreferredLength = 0xFFFFFFFF;

inline CallResult fault(std::uint32_t status) { return CallResult{status, {}}; }

/// The response stub; a writer that went wrong (an embedded pointer outside a param: a bug here)
/// becomes a fault rather than a malformed answer.
inline CallResult reply(NdrWriter& w) {
  if (!w.ok()) return fault(kNcaFaultNdr);
  return CallResult{0, w.take()};
}

}  // namespace smbsrv::rpc::svc
