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
#include "smbsrv/pipe.hpp"
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
  std::string comment;  // shown by share listings (srvsvc NetrShareEnum: `smbclient -L`, Explorer)
  /// Listed by share enumeration. A share that is not still works for whoever names it.
  bool browseable = true;
  /// Refuse the names Win32 cannot use (smbsrv/path.hpp is_win32_reserved_name: CON, NUL.txt,
  /// COM1, a name ending in a dot or a space) with STATUS_OBJECT_NAME_INVALID, as Windows does,
  /// so that no Windows client meets a file it cannot open or delete. Off: any valid name.
  bool windows_names = true;
  /// Offer named streams ("file:stream") where the backend has them (FsInfo::named_streams).
  /// Off: the share reports no FILE_NAMED_STREAMS and every name with ':' is
  /// STATUS_OBJECT_NAME_INVALID, as on a file system without streams.
  bool named_streams = true;
  /// Security descriptors (MS-DTYP 2.4.6). none: the server reports a descriptor it makes up
  /// (the caller as owner, Everyone granted the share's access) and accepts and drops what a
  /// client sets. nt: descriptors are stored through VfsFile::set_security() (a backend with
  /// FsInfo::persistent_acls), set and read by part (owner, group, DACL, SACL), and a new file
  /// or directory inherits its parent's inheritable ACEs (MS-DTYP 2.5.3.4) or takes the CREATE's
  /// SD context, and a stored DACL decides who may open what (MS-DTYP AccessCheck, within the
  /// share's access).
  enum class AclMode { none, nt };
  AclMode acl_mode = AclMode::none;
  /// Access-based enumeration (SMB2_SHAREFLAG_ACCESS_BASED_DIRECTORY_ENUM, MS-SMB2 2.2.10): a
  /// directory listing leaves out what the user may not read (AclMode::nt; entries whose stored
  /// DACL does not grant FILE_GENERIC_READ).
  bool access_based_enumeration = false;
  /// Offer the share to macOS as a Time Machine destination: the AAPL answer carries the
  /// FULL_SYNC volume capability (a FLUSH is an fsync here, which is what F_FULLFSYNC asks for).
  /// Time Machine also needs durable handles and leases, which the server grants.
  bool time_machine = false;
  /// 8.3 short names (MS-FSCC 2.1.5.2.1), as on an NTFS volume with short-name generation on:
  /// the Both/IdBoth directory listings report each long name's generated short name, and a
  /// CREATE may name a file by it. Off, as on current Windows volumes: listings report none.
  /// FileAlternateNameInformation answers the same either way.
  bool short_names = false;
};

/// An interface offered to clients for further channels (ServerConfig::network_interfaces).
struct NetworkInterface {
  std::string name;              // the interface ("eth0"), or one of its addresses ("192.0.2.7")
  std::uint64_t link_speed = 0;  // bits per second; 0: as the kernel reports it, else 1 Gb/s
  bool rss_capable = false;      // receive-side scaling: clients open several channels to it
};

struct ServerConfig {
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 445;  // 0: an ephemeral port (see Server::local_port())
  /// What FSCTL_QUERY_NETWORK_INTERFACE_INFO (MS-SMB2 3.3.5.15.11) lists. Empty: every interface
  /// that is up and has an address the server listens on (listen_address; a wildcard covers all
  /// of its family, "::" both), leaving out loopback unless the server listens on loopback only,
  /// and IPv6 link-local addresses. Otherwise only the interfaces named here, described as given.
  /// Either way an address the server does not listen on is never listed.
  std::vector<NetworkInterface> network_interfaces;
  /// SMB 3 multichannel (MS-SMB2 3.3.5.5 binding, SMB2_GLOBAL_CAP_MULTI_CHANNEL): a client may
  /// use one session over several connections (at most 32), found through the interfaces above.
  /// The connections of one client (ClientGuid) then run their engine calls one at a time.
  bool multichannel = true;
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
  /// READs of at least this many bytes that are neither signed nor encrypted are sent with
  /// sendfile(2) straight from the page cache, when the share's backend offers a descriptor
  /// (VfsFile::send_source; LocalVfs does). 0: always copy through VfsFile::read().
  std::uint32_t zero_copy_read_threshold = 64 * 1024;
  std::size_t io_threads = 1;       // socket threads
  std::size_t worker_threads = 4;   // VFS threads

  // ---- Resource limits. The defaults are safe for an internet-facing server; each limit only
  // ever affects the client that exceeds it. ----

  /// Live TCP connections. Past it a new connection is accepted and closed at once (a warning is
  /// logged): each connection costs two file descriptors' worth of kernel state plus buffers.
  std::size_t max_connections = 4096;
  /// Sessions (SESSION_SETUP with SessionId 0) on one connection; more fail with
  /// STATUS_INSUFFICIENT_RESOURCES. Each session holds keys and an authenticator.
  std::size_t max_sessions_per_connection = 64;
  /// Tree connects in one session; more fail with STATUS_INSUFFICIENT_RESOURCES.
  std::size_t max_trees_per_session = 256;
  /// Opens (CREATE) held by one session; more fail with STATUS_TOO_MANY_OPENED_FILES. Each open
  /// pins a backend file handle.
  std::size_t max_opens_per_session = 16384;
  /// Opens held by all sessions of one client together (the same status past it). With
  /// multichannel, a client is every connection with its ClientGuid: they share one open table
  /// and ids; without, it is one connection. The name predates multichannel.
  std::size_t max_opens_per_connection = 16384;
  /// LOCK requests of one connection waiting for their range (MS-SMB2 3.3.5.14.2, no
  /// SMB2_LOCKFLAG_FAIL_IMMEDIATELY). Each keeps a copy of its request and a place in the file's
  /// queue until the range is free, which another client may never allow; past the cap a
  /// conflicting lock fails at once with STATUS_LOCK_NOT_GRANTED, as if it had asked not to wait.
  std::size_t max_blocking_locks_per_connection = 256;
  /// Changes a directory handle armed by CHANGE_NOTIFY collects between two requests (MS-FSA
  /// 2.1.4.1 NotifyEventList). A client that watches but stops asking would otherwise make the
  /// server keep every change; past the cap the changes are dropped and the next request gets
  /// STATUS_NOTIFY_ENUM_DIR (re-read the directory), as Windows does when its buffer fills.
  std::size_t max_notify_changes = 1024;
  /// Durable handles (MS-SMB2 3.3.5.9.6, 3.3.5.9.10): an open with a batch oplock or a lease with
  /// handle caching that asks for it survives a dropped connection, holding its share mode, locks
  /// and lease, until the client reconnects it or its timeout passes. Persistent handles are not
  /// offered (no continuously available shares).
  bool durable_handles = true;
  /// How long a durable (v1) open waits for its client after the connection drops; Windows: 16 s.
  std::uint32_t durable_v1_timeout_ms = 16'000;
  /// Durable v2: the timeout when the client asks for 0 (Windows Server 2012: 60 s), and the
  /// longest one granted (a larger request gets this): an orphan holds its file against everyone
  /// else for that long.
  std::uint32_t durable_v2_default_timeout_ms = 60'000;
  std::uint32_t durable_v2_max_timeout_ms = 5 * 60 * 1000;
  /// Orphaned durable opens the server keeps at once, all clients together; past it an open whose
  /// connection drops is closed as if it were not durable. Each holds a backend file handle.
  std::size_t max_durable_orphans = 4096;
  /// Durable opens one session may hold; past it further opens are granted without durability,
  /// so that one client cannot keep an unbounded number of files open after it goes away.
  std::size_t max_durable_opens_per_session = 1024;
  /// The longest Timeout an FSCTL_LMR_REQUEST_RESILIENCY may ask for (MS-SMB2 3.3.5.15.9
  /// MaxResiliencyTimeout); more fails with STATUS_INVALID_PARAMETER. How long a resilient open
  /// may outlive its connection, holding its locks and share modes against everyone else.
  std::uint32_t max_resiliency_timeout_ms = 5 * 60 * 1000;
  /// Requests of one connection being processed on the worker pool at once; while at the cap the
  /// server stops reading that connection (TCP back-pressure), so one client cannot occupy every
  /// worker or queue unbounded work.
  std::size_t max_outstanding_requests = 128;
  /// Credits (MessageIds granted and not yet used) a client may hold (MS-SMB2 3.3.1.1): the size
  /// of the command sequence window the server tracks per connection. At least 1.
  std::uint32_t max_credits = 8192;
  /// Response bytes queued for one connection that the client has not yet read. While above it
  /// the server reads no more requests from that client (a slow or stalled reader cannot make
  /// the server buffer without bound); one response may exceed it.
  std::size_t max_queued_response_bytes = 16u << 20;
  /// The largest transport frame accepted before any session has authenticated (MS-SMB2
  /// 3.3.5.2: NEGOTIATE and SESSION_SETUP are small); a larger one closes the connection.
  std::size_t max_preauth_frame_size = 64 * 1024;
  /// The largest frame after authentication; a larger one closes the connection. 0: derived,
  /// max(max_read, max_write, max_transact) + 64 KiB. Always capped at 0xFFFFFF (the 24-bit
  /// length of the direct TCP transport).
  std::size_t max_frame_size = 0;
  /// Server-side copy (FSCTL_SRV_COPYCHUNK and _WRITE; MS-SMB2 3.3.3 ServerSideCopyMaxNumberofChunks,
  /// ServerSideCopyMaxChunkSize, ServerSideCopyMaxDataSize): chunks in one request, bytes in one
  /// chunk, bytes in one request. A request over any of them fails with STATUS_INVALID_PARAMETER
  /// carrying these values, and clients split their copy to fit (3.3.5.15.6.2). They bound what one
  /// IOCTL costs: a request holds a worker for at most copychunk_max_data_size bytes of copying,
  /// and each chunk is copied with both handles locked, so other requests on those handles wait
  /// for at most one chunk. The defaults are Windows's (256 chunks, 1 MiB, 16 MiB), the values
  /// clients expect.
  std::uint32_t copychunk_max_chunks = 256;
  std::uint32_t copychunk_max_chunk_size = 1u << 20;
  std::uint32_t copychunk_max_data_size = 16u << 20;
  /// Named pipes (IPC$: srvsvc, lsarpc, the application's own) one session may hold open; more
  /// fail with STATUS_INSUFFICIENT_RESOURCES. Each holds a service instance and its unread answers.
  std::size_t max_pipe_opens_per_session = 64;
  /// READs and FSCTL_PIPE_TRANSCEIVEs of one connection waiting on empty pipes (they pend until the
  /// pipe has data, as on Windows); more fail with STATUS_INSUFFICIENT_RESOURCES.
  std::size_t max_pending_pipe_reads_per_connection = 64;
  /// Answer bytes a pipe may hold that its client has not read; a WRITE to a pipe holding more
  /// fails with STATUS_INSUFFICIENT_RESOURCES until the client reads (a client that only writes
  /// cannot make the server buffer without bound).
  std::size_t max_pipe_unread_bytes = 4u << 20;
  /// The largest FILE_FULL_EA_INFORMATION list a SET_INFO FileFullEaInformation or an ExtA create
  /// context may carry; a longer one fails with STATUS_EA_TOO_LARGE before it is parsed. A file's
  /// EAs together may not exceed 64 KiB - 5 bytes anyway (MS-FSA 2.1.5.15.5), so a longer list
  /// could only be refused after costing a parse and one backend lookup per entry.
  std::size_t max_ea_list_size = 64u << 10;
  /// A connection with no request for this long (and none in progress) is closed.
  std::uint32_t idle_timeout_seconds = 15 * 60;
  /// Pre-authentication timeout: a connection on which no session has completed authentication
  /// this long after it was accepted — half-open, NEGOTIATE only, stalled mid-frame, or
  /// failing logons — is closed.
  std::uint32_t unauthenticated_timeout_seconds = 30;
  /// Grant oplocks and leases (MS-SMB2 3.3.5.9.8): clients then cache reads, writes and
  /// handles until the server breaks them.
  bool leases = true;
  /// How long a CREATE that conflicts with a lease or oplock waits for the holder's break
  /// acknowledgment before the server lowers the lease itself (MS-SMB2 3.3.2.5
  /// OplockBreakAckTimeout / LeaseBreakAckTimeout: 35 s on Windows).
  std::uint32_t lease_break_timeout_seconds = 35;
  std::string server_name = "SMBSRV";
  /// This server's accounts domain, "S-1-5-21-a-b-c" (lsarpc: the users are this SID plus a RID
  /// each, and security descriptors name them). Empty: a random one for this process; an
  /// application that restarts should persist one, as the example server does.
  std::string machine_sid;
  std::string domain_name = "WORKGROUP";
  std::string logger_name = "smbsrv";
  /// Apple's SMB extensions, negotiated by the AAPL create context macOS sends on a connection's
  /// first CREATE (not in MS-SMB2): the server answers with its capabilities and model string,
  /// QUERY_DIRECTORY FileIdBothDirectoryInformation carries the Finder's extras (resource fork
  /// size, FinderInfo, maximal access), and a named stream truncated to 0 is deleted, as on a
  /// Mac. The AFP_AfpInfo and AFP_Resource streams behave as macOS expects on any connection.
  /// Off: the context is ignored, as Windows does.
  bool aapl = true;
  /// The model string of the AAPL answer; the Finder picks the server's icon from it.
  std::string aapl_model = "MacSamba";
  /// Report file IDs (QFid, FileInternalInformation, listings) as 0 on connections that
  /// negotiated AAPL: macOS then stops trusting them instead of taking a reused inode number for
  /// a file it knew (Samba's fruit:zero_file_id does the same).
  bool aapl_zero_file_id = true;
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

  /// Serves the named pipe `name` on IPC$ (smbsrv/pipe.hpp), replacing a service of that name —
  /// including the built-in srvsvc, wkssvc and lsarpc. Thread-safe; allowed while running.
  void add_pipe_service(std::string_view name, PipeFactory factory);
  void remove_pipe_service(std::string_view name);

  /// Binds and starts serving. Throws std::system_error (bind failure, ...).
  void start();
  void start(std::error_code& ec) noexcept;
  /// Closes the listener and every connection; returns at once.
  void stop() noexcept;
  /// Blocks until the server has stopped.
  void wait();
  /// The bound port (useful with port 0).
  std::uint16_t local_port() const;

  struct Stats {
    std::size_t connections = 0;          // live connections
    std::size_t refused_connections = 0;  // refused at max_connections since start
    /// The most response bytes ever queued for one connection (see max_queued_response_bytes).
    std::size_t peak_queued_response_bytes = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smbsrv
