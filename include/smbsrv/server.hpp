// File: smbsrv/server.hpp
// The embeddable SMB2/3 server.
//
//   auto creds = std::make_shared<smbsrv::InMemoryCredentialStore>();
//   creds->add_user("alice", "secret");
//   smbsrv::ServerConfig cfg;  cfg.port = 4445;
//   smbsrv::Server server(cfg, creds);
//   server.add_share({.name = "docs", .vfs = smbsrv::make_local_vfs("/srv/docs")});
//   server.start();   // throws std::system_error when it cannot bind
//   server.wait();    // until stop()
//
// Thread safety: all member functions may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smbsrv/credentials.hpp"
#include "smbsrv/vfs.hpp"

namespace smbsrv {

/// The wire values of MS-SMB2 2.2.3 Dialects.
enum class Dialect : std::uint16_t {
  smb2_0_2 = 0x0202, smb2_1 = 0x0210, smb3_0 = 0x0300, smb3_0_2 = 0x0302, smb3_1_1 = 0x0311
};
/// "2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"
std::string_view to_string(Dialect d) noexcept;
/// Accepts the forms above (and "3.02"); nullopt otherwise.
std::optional<Dialect> parse_dialect(std::string_view text) noexcept;

/// SMB 3.x ciphers (wire ids of MS-SMB2 2.2.3.1.2).
enum class Cipher : std::uint16_t { aes128_ccm = 1, aes128_gcm = 2, aes256_ccm = 3, aes256_gcm = 4 };

enum class Access { none, read_only, read_write };

struct Share {
  std::string name;
  std::shared_ptr<Vfs> vfs;
  Access default_access = Access::read_write;
  /// Per-user overrides of default_access (user names lower-case).
  std::map<std::string, Access, std::less<>> user_access;
  bool encrypt_data = false;
  std::string comment;
};

struct ServerConfig {
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 445;  // 0: an ephemeral port (see Server::local_port())
  Dialect min_dialect = Dialect::smb2_0_2;
  Dialect max_dialect = Dialect::smb3_1_1;
  bool require_signing = true;
  /// Every session must encrypt (clients that cannot are refused at SESSION_SETUP).
  bool encrypt_all = false;
  /// 3.1.1 cipher choice, most preferred first; the first one the client also offers wins.
  /// The default prefers GCM to CCM, and takes AES-256 when the client asks for it by offering
  /// no AES-128 cipher of that mode (clients disagree on how an AES-256 connection derives its
  /// signing key, so AES-256 is not chosen merely because it is on the list).
  /// 3.0 and 3.0.2 always use AES-128-CCM.
  std::vector<Cipher> cipher_preference = {Cipher::aes128_gcm, Cipher::aes256_gcm, Cipher::aes128_ccm,
                                           Cipher::aes256_ccm};
  bool allow_guest = false;      // unknown users and anonymous sessions map to a guest
  std::uint32_t max_read = 8u << 20, max_write = 8u << 20, max_transact = 8u << 20;
  std::size_t io_threads = 1;       // socket threads
  std::size_t worker_threads = 4;   // VFS threads
  std::size_t max_connections = 4096;
  std::uint32_t idle_timeout_seconds = 15 * 60;
  std::uint32_t unauthenticated_timeout_seconds = 30;
  std::string server_name = "SMBSRV";
  std::string domain_name = "WORKGROUP";
  std::string logger_name = "smbsrv";
};

class Server {
 public:
  Server(ServerConfig config, std::shared_ptr<const CredentialStore> credentials);
  ~Server();  // stop() + join
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Adds or replaces a share. Thread-safe; allowed while running.
  void add_share(Share share);
  void remove_share(std::string_view name);

  /// Binds and starts serving. Throws std::system_error (bind failure, ...).
  void start();
  void start(std::error_code& ec) noexcept;
  /// Closes the listener and every connection; returns at once.
  void stop() noexcept;
  /// Blocks until the server has stopped.
  void wait();
  /// The bound port (useful with port 0).
  std::uint16_t local_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smbsrv
