#include "log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <atomic>
#include <mutex>

namespace smbsrv::detail {
namespace {

std::mutex g_mu;
std::shared_ptr<spdlog::logger> g_logger;

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  std::lock_guard lk(g_mu);
  if (!g_logger) g_logger = spdlog::default_logger();
  return g_logger;
}

void use_logger(const std::string& name) {
  auto l = spdlog::get(name);
  if (!l) {
    // A new logger copies the default logger's sinks and level, so the application's
    // spdlog::set_level() and set_default_logger() keep working.
    auto def = spdlog::default_logger();
    l = std::make_shared<spdlog::logger>(name, def->sinks().begin(), def->sinks().end());
    l->set_level(def->level());
    spdlog::register_logger(l);
  }
  std::lock_guard lk(g_mu);
  g_logger = std::move(l);
}

}  // namespace smbsrv::detail
