#include <smbsrv/smbsrv.hpp>

int main() {
  auto users = std::make_shared<smbsrv::InMemoryCredentialStore>();
  users->add_user("alice", "secret");
  smbsrv::ServerConfig config;
  config.listen_address = "127.0.0.1";
  config.port = 0;
  smbsrv::Server server(config, users);
  server.add_share({.name = "mem", .vfs = smbsrv::make_memory_vfs()});
  server.start();
  const bool ok = server.local_port() != 0;
  server.stop();
  server.wait();
  return ok ? 0 : 1;
}
