// Per-connection protocol state, named after MS-SMB2's abstract data model (3.3.1.7 Connection,
// 3.3.1.8 Session, 3.3.1.9 TreeConnect, 3.3.1.10 Open). All of it belongs to one Connection and
// is touched only on that connection's executor (connection.hpp states the rule), with one
// exception: OpenHandle, which the connection's blocking jobs use under its mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "codec/messages.hpp"
#include "crypto/crypto.hpp"
#include "engine/apple.hpp"
#include "engine/credits.hpp"
#include "engine/session_table.hpp"
#include "ntcore/nt_core.hpp"
#include "smbsrv/pipe.hpp"
#include "smbsrv/server.hpp"

namespace smbsrv::engine {

struct TreeConnect {
  std::uint32_t tree_id = 0;
  std::shared_ptr<const Share> share;  // null for IPC$
  bool is_ipc = false;
  std::uint32_t maximal_access = 0;
  bool read_only = false;
  bool encrypt_data = false;
};

/// The part of an Open that blocking jobs use (engine/request.hpp Job): the backend file and
/// the per-handle state. `mu` serialises calls on `file` (a VfsFile sees no concurrent calls,
/// vfs.hpp) and guards the fields.
struct OpenHandle {
  std::mutex mu;
  std::unique_ptr<VfsFile> file;  // null once closed
  std::uint64_t position = 0;     // FilePositionInformation: follows the last READ/WRITE
  std::uint32_t mode = 0;         // FileModeInformation
  // QUERY_DIRECTORY enumeration (3.3.1.10 Open.EnumerationLocation, Open.EnumerationSearchPattern)
  bool enum_started = false;
  std::string enum_pattern;
  std::vector<DirEntry> enum_entries;
  std::size_t enum_pos = 0;
  // FileFullEaInformation enumeration (MS-FSA 2.1.1.6 Open.NextEaEntry): the index, in the
  // file's EAs sorted by name, of the next one a query without SL_RESTART_SCAN returns.
  std::size_t ea_next = 0;
};

/// The open of a named pipe on IPC$ (engine/handlers/pipe.cpp): the service's instance and the
/// messages it answered that the client has not read yet. Touched only on the connection's
/// executor.
struct PipeOpen {
  std::string name;  // as the service was registered, lower-case ("srvsvc")
  std::unique_ptr<PipeInstance> instance;
  std::deque<std::vector<std::uint8_t>> unread;  // whole messages; the front one may be part read
  std::size_t front_read = 0;                    // bytes of unread.front() already read
  std::size_t unread_bytes = 0;                  // all of unread, less front_read
};

/// MS-SMB2 3.3.1.10 Open. Everything but `handle` is fixed once the open is registered.
struct Open {
  codec::FileId file_id;
  std::uint64_t session_id = 0;
  std::uint32_t tree_id = 0;
  std::shared_ptr<TreeConnect> tree;
  std::uint32_t granted_access = 0;
  bool is_directory = false;
  std::string stream;  // a named stream of the file: its name as opened (empty: the file itself)
  AppleStream apple = AppleStream::none;  // `stream` is AFP_AfpInfo or AFP_Resource (apple.hpp)
  std::unique_ptr<PipeOpen> pipe;  // a named pipe (IPC$): no backend file, no NT-core state
  nt::NtCore::OpenRef nt;  // its share mode, deletion state, locks and lease, in the NT core
  OpenHandle handle;
  // Open.IsResilient (FSCTL_LMR_REQUEST_RESILIENCY, 3.3.5.15.9) / IsDurable / IsPersistent
  // (MS-SMB2 3.3.1.10; persistent handles are never granted): each turns on lock sequence
  // checking (3.3.5.14).
  bool is_resilient = false, is_durable = false, is_persistent = false;
  // Durability, fixed when granted (3.3.1.10 Open.DurableOpenTimeout, Open.CreateGuid,
  // Open.ClientGuid, Open.DurableOwner): a v2 open reconnects with its CreateGuid; the owner is
  // the user ("DOMAIN\user", compared case-insensitively) who alone may reconnect it.
  bool durable_v2 = false;
  std::uint32_t durable_timeout_ms = 0;
  std::array<std::uint8_t, 16> create_guid{}, client_guid{};
  std::string durable_owner;
  std::uint32_t resiliency_timeout_ms = 0;  // Open.ResiliencyTimeout (FSCTL_LMR_REQUEST_RESILIENCY)
  /// Open.IsReplayEligible (3.3.5.9.10): opened with a DH2Q, durable or not; `create_guid` names
  /// it. A replay of that CREATE answers what the original answered (`create_reply`), with the
  /// oplock or lease the open holds now. One record per open, fixed when it is registered.
  bool replay_eligible = false;
  struct CreateReply {
    CreateAction action = CreateAction::opened;
    FileInfo info;
    std::optional<std::array<std::uint8_t, 16>> lease_key;  // opened with a lease
  };
  CreateReply create_reply;
  /// Open.ChannelSequence (3.3.5.2.10): the newest ChannelSequence of a request on the open.
  /// Connection's executor only.
  std::uint16_t channel_sequence = 0;
  /// Open.LockSequenceArray (3.3.5.14): entries 1..64 of LockSequenceIndex, touched only on the
  /// connection's executor.
  struct LockSequence {
    bool valid = false;
    std::uint8_t number = 0;
  };
  std::array<LockSequence, 64> lock_sequences{};
  /// Jobs of requests on this handle that are out on the workers, and the chains (by id) whose
  /// CLOSE job waits for them: a CLOSE's job runs after the jobs of the requests on the handle
  /// that came before it, so those still succeed, as on Windows (a QUERY_DIRECTORY sent just
  /// before the CLOSE; smbtorture compound_find.compound_find_close). Connection's executor only.
  std::uint32_t jobs_in_flight = 0;
  std::vector<std::uint32_t> parked_chains;
  bool closing = false;  // a CLOSE waits: later requests on the handle get STATUS_FILE_CLOSED
};

struct Session {
  /// ended: logged off on another channel; the rest of its channels learn it through their
  /// mailboxes, and meanwhile answer USER_SESSION_DELETED.
  enum class State { in_progress, valid, expired, ended };
  std::uint64_t session_id = 0;
  State state = State::in_progress;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::array<std::uint8_t, 16> session_key{};
  std::vector<std::uint8_t> signing_key, encryption_key, decryption_key, application_key;
  bool signing_required = false;
  bool encrypt_data = false;
  bool is_guest = false, is_anonymous = false;
  std::string user, domain;
  crypto::Digest64 preauth_hash{};  // 3.1.1: Session.PreauthIntegrityHashValue
  std::map<std::uint32_t, std::shared_ptr<TreeConnect>> tree_connects;
  // Encryption nonces (3.3.4.1.4): a per-session counter, never reused under one key, plus a
  // random per-session salt in the remaining bytes (engine/encryption.hpp explains why they
  // never repeat).
  std::atomic<std::uint64_t> nonce_counter{0};
  std::array<std::uint8_t, 4> nonce_salt{};
  /// Session.ChannelList (MS-SMB2 3.3.1.8, 3.3.1.14): the connections the session is used on,
  /// its first one first. Channel.SigningKey is empty on the first channel: the session's own.
  struct Channel {
    const nt::Owner* id = nullptr;      // the connection (its mailbox)
    std::weak_ptr<nt::Owner> owner;     // for the NT core: where its opens' breaks go
    std::weak_ptr<SessionHost> host;    // for the session table
    std::vector<std::uint8_t> signing_key;
  };
  std::vector<Channel> channels;
  /// Channel.SigningKey of the connection `id` (3.3.4.1.1), else Session.SigningKey.
  const std::vector<std::uint8_t>& signing_key_on(const nt::Owner* id) const {
    for (const auto& c : channels)
      if (c.id == id && !c.signing_key.empty()) return c.signing_key;
    return signing_key;
  }
};

/// A binding in progress on this connection (MS-SMB2 3.3.1.7 Connection.PreauthSessionTable):
/// the exchange that adds the connection as a channel of an existing session.
struct Binding {
  std::unique_ptr<auth::Authenticator> authenticator;
  crypto::Digest64 preauth_hash{};  // 3.1.1: the channel's, from this connection's NEGOTIATE on
};

/// A request answered STATUS_PENDING (3.3.4.2; MS-SMB2 3.3.1.7 Connection.AsyncCommandList):
/// what it needs to be completed later, and the request it becomes again.
struct AsyncCommand {
  codec::Command command = codec::Command::create;
  codec::FileId file_id;          // CHANGE_NOTIFY: the directory's open
  std::vector<std::uint8_t> msg;  // the request, header first
  std::shared_ptr<Session> session;
  std::shared_ptr<TreeConnect> tree;
  std::uint64_t message_id = 0;
  std::uint64_t session_id = 0;
  std::uint32_t tree_id = 0;
  bool was_encrypted = false;
  bool signed_ok = false;
  bool waits_in_core = false;     // registered with the NT core under its AsyncId
  bool running = false;           // resumed: its job is under way
  bool cancel_requested = false;  // CANCEL came while it was running
};

/// What the connections (channels) of one client share (MS-SMB2 3.3.1.8 Session.OpenTable, for
/// every session of the client): the open table, and the ids that must be unique among them. A
/// connection has its own until its NEGOTIATE offers multichannel; then the connections with the
/// same ClientGuid share one, and `mu` serialises their engine calls (engine/connection.hpp).
struct ClientState {
  std::mutex mu;
  std::map<std::uint64_t, std::shared_ptr<Open>> opens;      // by volatile id
  std::map<std::uint64_t, std::size_t> opens_per_session;  // by SessionId (max_opens_per_session)
  std::map<std::uint64_t, std::size_t> durable_per_session;  // by SessionId (max_durable_opens_per_session)
  std::uint64_t next_volatile_id = 1;
  std::uint32_t next_tree_id = 1;
  /// The client's connections, in the order they joined. A lease belongs to the client
  /// (3.3.1.11: the lease table is per ClientGuid), and Windows sends every lease break on the
  /// client's oldest live connection, whichever connection's open holds the lease (smbtorture
  /// smb2.lease.v2_complex1 checks the transport), as Samba does (its client's first
  /// connection).
  std::vector<std::weak_ptr<nt::Owner>> connections;
};

/// MS-SMB2 3.3.1.7 Connection, plus the tables this server keeps per connection.
struct ConnectionState {
  explicit ConnectionState(std::uint32_t max_credits) : sequence_window(max_credits) {}

  enum class Phase {
    initial,        // nothing but NEGOTIATE (or an SMB1 NEGOTIATE) is acceptable
    smb1_upgraded,  // answered an SMB1 NEGOTIATE with 2.??? (3.3.5.3.1): an SMB2 NEGOTIATE must follow
    negotiated,
  };
  Phase phase = Phase::initial;
  Dialect dialect = Dialect::smb2_0_2;  // Connection.Dialect, once negotiated
  std::uint16_t client_security_mode = 0;
  std::uint32_t client_capabilities = 0;
  std::uint32_t server_capabilities = 0;
  std::uint16_t server_security_mode = 0;
  std::array<std::uint8_t, 16> client_guid{};
  std::vector<std::uint16_t> client_dialects;  // as the client listed them
  crypto::Digest64 preauth_hash{};             // Connection.PreauthIntegrityHashValue
  std::optional<Cipher> cipher;                // Connection.CipherId (none: cannot encrypt)
  std::optional<crypto::SigningAlgorithm> signing_algorithm_id;  // from SIGNING_CAPABILITIES
  CommandSequenceWindow sequence_window;
  /// The sessions used on this connection: its own, and those it was bound to as a channel.
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;
  std::map<std::uint64_t, std::shared_ptr<Binding>> bindings;  // by SessionId
  /// The NEGOTIATE offered multichannel (3.x, a ClientGuid): the connection's engine call joins
  /// its client's ClientState when it ends (Connection::on_message). in_group: it has.
  bool join_group = false, in_group = false;
  // Recently logged-off sessions, kept only to sign the USER_SESSION_DELETED answers to requests
  // that still carry a valid signature (clients that require signing reject them unsigned).
  std::map<std::uint64_t, std::shared_ptr<Session>> logged_off;
  /// The opens and ids this connection shares with the other channels of its client (its own
  /// until a multichannel NEGOTIATE joins it to its client's group).
  std::shared_ptr<ClientState> client = std::make_shared<ClientState>();
  std::map<std::uint64_t, AsyncCommand> async_commands;  // by AsyncId
  std::uint64_t next_async_id = 1;
  /// AsyncIds a CREATE job may register with the NT core while it runs, and whether the core has
  /// woken it meanwhile (the wake can arrive before the job's finish() makes it an AsyncCommand).
  std::map<std::uint64_t, bool> core_waits_in_flight;
  /// CREATEs with a DH2Q that wait for break acknowledgments after the NT core granted their
  /// open (by AsyncId): their CreateGuid, so that a replay of one is refused while it waits
  /// (3.3.5.9.10). An entry goes with its async command (answered, cancelled, the connection's end).
  std::map<std::uint64_t, std::array<std::uint8_t, 16>> pending_create_guids;
  /// CHANGE_NOTIFYs whose job sets up a host watch (by MessageId), and whether a CANCEL came for
  /// one meanwhile (it is not an AsyncCommand yet: its finish() answers STATUS_CANCELLED).
  std::map<std::uint64_t, bool> notify_setups_in_flight;
  /// Async commands to run again once the current call's chains are done (woken early).
  std::vector<std::uint64_t> to_resume;
  bool any_session_valid = false;
  /// Apple's extensions, fixed by the first CREATE with an AAPL context (engine/apple.hpp).
  struct Aapl {
    bool negotiated = false;
    bool read_dir_attr = false;  // listings carry the Finder's extras
  } aapl;

  bool negotiated() const { return phase == Phase::negotiated; }
  /// The signing algorithm of this connection's sessions (3.3.5.5.3, 2.2.3.1.7).
  crypto::SigningAlgorithm signing_algorithm() const {
    if (dialect < Dialect::smb3_0) return crypto::SigningAlgorithm::hmac_sha256;
    if (dialect == Dialect::smb3_1_1 && signing_algorithm_id) return *signing_algorithm_id;
    return crypto::SigningAlgorithm::aes_cmac;
  }
  /// 2.0.2 has no multi-credit requests and no large MTU.
  bool multi_credit() const { return dialect != Dialect::smb2_0_2 && (server_capabilities & codec::kCapLargeMtu); }
};

}  // namespace smbsrv::engine
