// Logging inside the library. The server logs through the spdlog logger registered under
// ServerConfig::logger_name (created on first use, so an application can register its own
// sinks under that name first); until a Server exists, spdlog's default logger. Kept out of
// public headers.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace smbsrv::detail {

std::shared_ptr<spdlog::logger> logger();
/// Uses (or creates) the logger of that name from now on.
void use_logger(const std::string& name);

}  // namespace smbsrv::detail

#define SMBSRV_LOG_TRACE(...) ::smbsrv::detail::logger()->trace(__VA_ARGS__)
#define SMBSRV_LOG_DEBUG(...) ::smbsrv::detail::logger()->debug(__VA_ARGS__)
#define SMBSRV_LOG_INFO(...) ::smbsrv::detail::logger()->info(__VA_ARGS__)
#define SMBSRV_LOG_WARN(...) ::smbsrv::detail::logger()->warn(__VA_ARGS__)
#define SMBSRV_LOG_ERROR(...) ::smbsrv::detail::logger()->error(__VA_ARGS__)
