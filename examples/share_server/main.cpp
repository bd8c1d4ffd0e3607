// smbsrv-share: serves directories over SMB2/3.
//
// Usage: smbsrv-share [--config FILE] [--listen ADDR:PORT]
//                     [--share NAME=PATH[:ro][:encrypt][:anynames][:hidden][:memory][:nostreams][:acls][:abe][:timemachine][:sidestreams][:shortnames][:comment=TEXT]]...
//                     [--user NAME:PASSWORD]... [--min-dialect V] [--max-dialect V]
//                     [--signing required|enabled] [--encrypt] [--guest] [--log-level LEVEL]
//                     [--max-connections N] [--preauth-timeout SECONDS] [--idle-timeout SECONDS]
//                     [--workers N] [--io-threads N] [--server-name NAME] [--workgroup NAME]
//                     [--machine-sid S-1-5-21-A-B-C] [--state-dir DIR] [--announce]
// Example: smbsrv-share --listen 127.0.0.1:4445 --share docs=/srv/docs --user alice:secret
//
// With no arguments it serves ./smbshare as "share" on port 445 with a user "smb" whose password
// it prints. A config file holds the same options, one per line, without the leading "--"
// ("share = docs=/srv/docs"; '#' starts a comment).
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <smbsrv/smbsrv.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string listen = "0.0.0.0:445";
  bool listen_given = false;
  std::vector<std::string> shares;
  std::vector<std::string> users;
  std::string min_dialect = "2.0.2", max_dialect = "3.1.1";
  std::string signing = "required";
  std::string log_level = "info";
  bool guest = false;
  bool encrypt = false;
  std::string server_name, workgroup, machine_sid, state_dir;
  bool announce = false;
  std::optional<bool> multichannel;
  std::optional<unsigned long> max_connections, preauth_timeout, idle_timeout, workers, io_threads;
};

std::optional<unsigned long> parse_count(const std::string& v) {
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 9) return std::nullopt;
  return std::stoul(v);
}

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: smbsrv-share [--config FILE] [--listen ADDR:PORT]\n"
               "                    [--share NAME=PATH[:ro][:encrypt][:anynames][:hidden][:memory][:nostreams][:acls][:abe][:timemachine][:sidestreams][:shortnames][:comment=TEXT]]...\n"
               "                    [--user NAME:PASSWORD]... [--min-dialect 2.0.2|2.1|3.0|3.0.2|3.1.1]\n"
               "                    [--max-dialect V] [--signing required|enabled] [--encrypt] [--guest]\n"
               "                    [--log-level trace|debug|info|warn|error]\n"
               "                    [--max-connections N] [--preauth-timeout SECONDS] [--idle-timeout SECONDS]\n"
               "                    [--workers N] [--io-threads N] [--server-name NAME] [--workgroup NAME]\n"
               "                    [--machine-sid S-1-5-21-A-B-C] [--state-dir DIR] [--announce] [--multichannel[=yes|no]]\n"
               "share flag :shortnames gives long names 8.3 short names (listed, and openable by them);\n"
               "without it a share has none, as current Windows volumes\n"
               "example: smbsrv-share --listen 127.0.0.1:4445 --share docs=/srv/docs --user alice:secret\n");
  std::exit(code);
}

bool apply(Options& o, const std::string& key, const std::string& value) {
  if (key == "listen") { o.listen = value; o.listen_given = true; }
  else if (key == "share") o.shares.push_back(value);
  else if (key == "user") o.users.push_back(value);
  else if (key == "min-dialect") o.min_dialect = value;
  else if (key == "max-dialect") o.max_dialect = value;
  else if (key == "signing") o.signing = value;
  else if (key == "log-level") o.log_level = value;
  else if (key == "server-name") o.server_name = value;
  else if (key == "workgroup") o.workgroup = value;
  else if (key == "machine-sid") o.machine_sid = value;
  else if (key == "state-dir") o.state_dir = value;
  else if (key == "announce") o.announce = value.empty() || value == "true" || value == "yes" || value == "1";
  else if (key == "guest") o.guest = value.empty() || value == "true" || value == "yes" || value == "1";
  else if (key == "multichannel") o.multichannel = value.empty() || value == "true" || value == "yes" || value == "1";
  else if (key == "encrypt") o.encrypt = value.empty() || value == "true" || value == "yes" || value == "1";
  else if (key == "max-connections") return (o.max_connections = parse_count(value)).has_value();
  else if (key == "workers") return (o.workers = parse_count(value)).has_value() && *o.workers > 0;
  else if (key == "io-threads") return (o.io_threads = parse_count(value)).has_value() && *o.io_threads > 0;
  else if (key == "preauth-timeout") return (o.preauth_timeout = parse_count(value)).has_value();
  else if (key == "idle-timeout") return (o.idle_timeout = parse_count(value)).has_value();
  else return false;
  return true;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

void load_config(Options& o, const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "smbsrv-share: cannot read config file %s\n", file.c_str());
    std::exit(2);
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    line = trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    const std::string key = trim(line.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : trim(line.substr(eq + 1));
    if (!apply(o, key, value)) {
      std::fprintf(stderr, "smbsrv-share: %s:%d: unknown option '%s'\n", file.c_str(), n, key.c_str());
      std::exit(2);
    }
  }
}

std::string random_password() {
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::random_device rd;
  std::string p;
  for (int i = 0; i < 12; ++i) p.push_back(alphabet[rd() % (sizeof(alphabet) - 1)]);
  return p;
}

/// The machine SID, kept in STATE_DIR/machine-sid so that account SIDs (what Windows' Security tab
/// and smbcacls show) stay the same across restarts. Made on first start; empty when the state
/// directory cannot be written (the server then picks one per run).
std::string persistent_machine_sid(std::string dir) {
  if (dir.empty()) {
    const char* xdg = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && *xdg) dir = std::string(xdg) + "/smbsrv";
    else if (home && *home) dir = std::string(home) + "/.local/state/smbsrv";
    else return "";
  }
  const std::string file = dir + "/machine-sid";
  if (std::ifstream in(file); in) {
    std::string sid;
    std::getline(in, sid);
    if (!sid.empty()) return trim(sid);
  }
  std::random_device rd;
  std::string sid = "S-1-5-21";
  for (int i = 0; i < 3; ++i) sid += "-" + std::to_string(static_cast<std::uint32_t>(rd()));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream out(file);
  if (!(out << sid << "\n")) {
    std::fprintf(stderr, "smbsrv-share: cannot write %s: account SIDs will change on restart\n", file.c_str());
    return "";
  }
  return sid;
}

/// --announce: discovery is not SMB. macOS finds servers by mDNS (_smb._tcp), Windows' Network
/// folder by WS-Discovery; these are the Debian packages' ways to advertise this server.
void print_announce(const smbsrv::ServerConfig& cfg) {
  std::printf(
      "# macOS Finder sidebar (mDNS): install avahi-daemon and save this as\n"
      "# /etc/avahi/services/smbsrv.service (avahi picks it up at once):\n"
      "<?xml version=\"1.0\" standalone='no'?>\n"
      "<!DOCTYPE service-group SYSTEM \"avahi-service.dtd\">\n"
      "<service-group>\n"
      "  <name replace-wildcards=\"yes\">%%h</name>\n"
      "  <service>\n"
      "    <type>_smb._tcp</type>\n"
      "    <port>%u</port>\n"
      "  </service>\n"
      "</service-group>\n"
      "\n"
      "# Windows Explorer's Network folder (WS-Discovery): install wsdd and run\n"
      "#   wsdd --hostname %s --workgroup %s\n"
      "# (or set WSDD_PARAMS in /etc/default/wsdd for its service). Windows then connects to port\n"
      "# 445 only, so the server must listen there.\n",
      static_cast<unsigned>(cfg.port), cfg.server_name.c_str(), cfg.domain_name.c_str());
}

volatile std::sig_atomic_t g_signal = 0;

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "-h" || a == "--help") usage(0);
    if (a.rfind("--", 0) != 0) usage(2);
    a = a.substr(2);
    std::string value;
    if (auto eq = a.find('='); eq != std::string::npos && a.rfind("share", 0) != 0 && a.rfind("user", 0) != 0) {
      value = a.substr(eq + 1);
      a.resize(eq);
    } else if (a == "guest" || a == "encrypt" || a == "announce" || a == "multichannel") {
      value = "true";
    } else {
      if (i + 1 >= args.size()) usage(2);
      value = args[++i];
    }
    if (a == "config") { load_config(o, value); continue; }
    if (!apply(o, a, value)) usage(2);
  }

  spdlog::set_level(spdlog::level::from_str(o.log_level));
  smbsrv::ServerConfig cfg;
  const auto colon = o.listen.rfind(':');
  if (colon == std::string::npos) usage(2);
  cfg.listen_address = o.listen.substr(0, colon);
  if (cfg.listen_address.size() > 2 && cfg.listen_address.front() == '[')
    cfg.listen_address = cfg.listen_address.substr(1, cfg.listen_address.size() - 2);
  cfg.port = static_cast<std::uint16_t>(std::stoi(o.listen.substr(colon + 1)));
  auto mind = smbsrv::parse_dialect(o.min_dialect), maxd = smbsrv::parse_dialect(o.max_dialect);
  if (!mind || !maxd || *mind > *maxd) {
    std::fprintf(stderr, "smbsrv-share: bad dialect range %s..%s\n", o.min_dialect.c_str(), o.max_dialect.c_str());
    return 2;
  }
  cfg.min_dialect = *mind;
  cfg.max_dialect = *maxd;
  if (o.signing != "required" && o.signing != "enabled") usage(2);
  cfg.require_signing = o.signing == "required";
  cfg.allow_guest = o.guest;
  cfg.encrypt_all = o.encrypt;
  if (o.multichannel) cfg.multichannel = *o.multichannel;
  if (o.max_connections) cfg.max_connections = *o.max_connections;
  if (o.workers) cfg.worker_threads = *o.workers;
  if (o.io_threads) cfg.io_threads = *o.io_threads;
  if (o.preauth_timeout) cfg.unauthenticated_timeout_seconds = static_cast<std::uint32_t>(*o.preauth_timeout);
  if (o.idle_timeout) cfg.idle_timeout_seconds = static_cast<std::uint32_t>(*o.idle_timeout);
  if (!o.server_name.empty()) cfg.server_name = o.server_name;
  if (!o.workgroup.empty()) cfg.domain_name = o.workgroup;
  if (o.announce) {
    print_announce(cfg);
    return 0;
  }
  cfg.machine_sid = o.machine_sid.empty() ? persistent_machine_sid(o.state_dir) : o.machine_sid;

  auto creds = std::make_shared<smbsrv::InMemoryCredentialStore>();
  std::vector<std::string> banner_users;
  if (o.users.empty()) {
    const std::string pw = random_password();
    creds->add_user("smb", pw);
    banner_users.push_back("smb:" + pw);
  }
  for (const auto& u : o.users) {
    const auto c = u.find(':');
    if (c == std::string::npos || c == 0) {
      std::fprintf(stderr, "smbsrv-share: --user takes NAME:PASSWORD\n");
      return 2;
    }
    creds->add_user(u.substr(0, c), u.substr(c + 1));
    banner_users.push_back(u.substr(0, c));
  }

  std::optional<smbsrv::Server> server_holder;
  try {
    server_holder.emplace(cfg, creds);
  } catch (const std::invalid_argument& e) {  // a malformed --machine-sid
    std::fprintf(stderr, "smbsrv-share: %s\n", e.what());
    return 2;
  }
  smbsrv::Server& server = *server_holder;
  if (o.shares.empty()) o.shares.push_back("share=./smbshare");
  std::vector<std::string> banner_shares;
  for (const auto& s : o.shares) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "smbsrv-share: --share takes NAME=PATH[:ro]\n");
      return 2;
    }
    std::string name = s.substr(0, eq), path = s.substr(eq + 1);
    // ":comment=TEXT" comes last and takes the rest (a comment may hold ':').
    std::string comment;
    if (auto c = path.find(":comment="); c != std::string::npos) {
      comment = path.substr(c + 9);
      path.resize(c);
    }
    // Trailing flags: ":ro", ":rw", ":encrypt", ":anynames" (any order, e.g. "/srv/x:ro:encrypt").
    // ":anynames" allows the names Windows refuses (CON, "a.", ...; Share::windows_names).
    // ":hidden" leaves the share out of share listings (Share::browseable).
    // ":memory" keeps the share in memory (MemoryVfs, gone when the server stops); PATH is unused.
    // ":nostreams" offers no named streams (Share::named_streams).
    // ":acls" stores, inherits and enforces security descriptors (Share::AclMode::nt; xattr
    // user.smbsrv.sd). ":abe" (with ":acls") hides from listings what the user may not read
    // (Share::access_based_enumeration). ":timemachine" offers the share to macOS as a Time
    // Machine destination (Share::time_machine). ":sidestreams" keeps named streams as files in
    // the hidden directory .smbsrv-streams (any size) instead of xattrs (LocalVfsOptions::streams).
    // ":shortnames" gives long names 8.3 short names, listed and openable (Share::short_names).
    bool tm = false, side_streams = false, short_names = false;
    bool ro = false, enc = false, any_names = false, hidden = false, memory = false, no_streams = false, acls = false,
         abe = false;
    for (bool more = true; more;) {
      more = false;
      for (const char* flag : {":ro", ":rw", ":encrypt", ":anynames", ":hidden", ":memory", ":nostreams", ":acls", ":abe", ":timemachine", ":sidestreams", ":shortnames"}) {
        const std::string f = flag;
        if (path.size() > f.size() && path.compare(path.size() - f.size(), f.size(), f) == 0) {
          path.resize(path.size() - f.size());
          if (f == ":ro") ro = true;
          if (f == ":encrypt") enc = true;
          if (f == ":anynames") any_names = true;
          if (f == ":hidden") hidden = true;
          if (f == ":memory") memory = true;
          if (f == ":nostreams") no_streams = true;
          if (f == ":acls") acls = true;
          if (f == ":abe") abe = true;
          if (f == ":timemachine") tm = true;
          if (f == ":sidestreams") side_streams = true;
          if (f == ":shortnames") short_names = true;
          more = true;
        }
      }
    }
    std::error_code ec;
    if (!memory) std::filesystem::create_directories(path, ec);
    try {
      smbsrv::Share share;
      share.name = name;
      share.vfs = memory ? smbsrv::make_memory_vfs({.read_only = ro}) : smbsrv::make_local_vfs(path, {.read_only = ro,
                                                      .streams = side_streams ? smbsrv::LocalVfsOptions::StreamStore::side_directory
                                                                              : smbsrv::LocalVfsOptions::StreamStore::xattr});
      share.default_access = ro ? smbsrv::Access::read_only : smbsrv::Access::read_write;
      share.encrypt_data = enc;
      share.windows_names = !any_names;
      share.named_streams = !no_streams;
      share.comment = comment;
      share.browseable = !hidden;
      share.acl_mode = acls ? smbsrv::Share::AclMode::nt : smbsrv::Share::AclMode::none;
      share.access_based_enumeration = abe;
      share.time_machine = tm;
      share.short_names = short_names;
      server.add_share(std::move(share));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "smbsrv-share: share %s: %s\n", name.c_str(), e.what());
      return 2;
    }
    banner_shares.push_back(name + " -> " + (memory ? std::string("(memory)") : std::filesystem::absolute(path).string()) +
                            (ro ? " (read-only)" : "") +
                            (enc ? " (encrypted)" : "") + (hidden ? " (hidden)" : "") + (acls ? " (ACLs enforced)" : "") + (abe ? " (access-based enumeration)" : "") + (tm ? " (Time Machine)" : "") +
                            (comment.empty() ? "" : " \"" + comment + "\""));
  }

  std::error_code ec;
  server.start(ec);
  if (ec) {
    std::fprintf(stderr, "smbsrv-share: cannot listen on %s: %s\n", o.listen.c_str(), ec.message().c_str());
    if (cfg.port < 1024 && (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted))
      std::fprintf(stderr,
                   "  Port %u needs root or CAP_NET_BIND_SERVICE. Choose another port, e.g.\n"
                   "  --listen 127.0.0.1:4445, and connect with 'smbclient -p 4445 ...' or\n"
                   "  'mount -t cifs ... -o port=4445'.\n",
                   cfg.port);
    if (ec == std::errc::address_in_use)
      std::fprintf(stderr, "  Something already listens there (Samba's smbd?). Choose another port with --listen.\n");
    return 1;
  }
  const unsigned port = server.local_port();
  std::printf("smbsrv-share listening on %s:%u (dialects %s..%s, signing %s%s)\n", cfg.listen_address.c_str(),
              port, o.min_dialect.c_str(), o.max_dialect.c_str(), o.signing.c_str(),
              o.encrypt ? ", encryption required" : "");
  for (const auto& s : banner_shares) std::printf("  share %s\n", s.c_str());
  for (const auto& u : banner_users) std::printf("  user  %s\n", u.c_str());
  const std::string host = cfg.listen_address == "0.0.0.0" || cfg.listen_address == "::" ? "127.0.0.1" : cfg.listen_address;
  const std::string share0 = banner_shares.front().substr(0, banner_shares.front().find(' '));
  const std::string user0 = banner_users.front().substr(0, banner_users.front().find(':'));
  std::printf("list:    smbclient -L //%s -p %u -U %s\n", host.c_str(), port, user0.c_str());
  std::printf("connect: smbclient //%s/%s -p %u -U %s\n", host.c_str(), share0.c_str(), port, user0.c_str());
  std::printf("mount:   mount -t cifs //%s/%s /mnt -o port=%u,username=%s\n", host.c_str(), share0.c_str(), port,
              user0.c_str());
  std::fflush(stdout);

  std::signal(SIGINT, [](int s) { g_signal = s; });
  std::signal(SIGTERM, [](int s) { g_signal = s; });
  while (g_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::printf("smbsrv-share: signal %d, shutting down\n", static_cast<int>(g_signal));
  server.stop();
  server.wait();
  return 0;
}
