// Logging inside the library: spdlog's default logger (an application can replace it with
// spdlog::set_default_logger). Kept out of public headers.
#pragma once

#include <spdlog/spdlog.h>

#define SMBSRV_LOG_TRACE(...) spdlog::trace(__VA_ARGS__)
#define SMBSRV_LOG_DEBUG(...) spdlog::debug(__VA_ARGS__)
#define SMBSRV_LOG_INFO(...) spdlog::info(__VA_ARGS__)
#define SMBSRV_LOG_WARN(...) spdlog::warn(__VA_ARGS__)
