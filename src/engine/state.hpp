// Per-connection protocol state, named after MS-SMB2's abstract data model (3.3.1).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "codec/messages.hpp"
#include "crypto/crypto.hpp"
#include "engine/server_state.hpp"

namespace smbsrv::engine {

// Access mask bits (MS-DTYP 2.4.3, MS-SMB2 2.2.13.1)
inline constexpr std::uint32_t kFileReadData = 0x1, kFileWriteData = 0x2, kFileAppendData = 0x4,
                               kFileReadEa = 0x8, kFileWriteEa = 0x10, kFileExecute = 0x20,
                               kFileDeleteChild = 0x40, kFileReadAttributes = 0x80,
                               kFileWriteAttributes = 0x100, kDelete = 0x10000,
                               kReadControl = 0x20000, kWriteDac = 0x40000, kWriteOwner = 0x80000,
                               kSynchronize = 0x100000, kMaximumAllowed = 0x02000000,
                               kGenericAll = 0x10000000, kGenericExecute = 0x20000000,
                               kGenericWrite = 0x40000000, kGenericRead = 0x80000000;
inline constexpr std::uint32_t kFullAccess = 0x001F01FF;
inline constexpr std::uint32_t kReadOnlyAccess = 0x001200A9;
inline constexpr std::uint32_t kWriteBits = kFileWriteData | kFileAppendData | kFileWriteEa |
                                            kFileWriteAttributes | kDelete | kWriteDac |
                                            kWriteOwner | kFileDeleteChild;

struct TreeConnect {
  std::uint32_t tree_id = 0;
  std::shared_ptr<const Share> share;  // null for IPC$
  bool is_ipc = false;
  std::uint32_t maximal_access = 0;
  bool read_only = false;
  bool encrypt_data = false;
};

struct Open {
  codec::FileId file_id;
  std::uint64_t session_id = 0;
  std::uint32_t tree_id = 0;
  std::shared_ptr<TreeConnect> tree;
  std::shared_ptr<FileObject> file_object;
  std::uint32_t granted_access = 0;
  bool is_directory = false;
  bool delete_on_close = false;
  std::string name;  // share-relative, '\'-separated, as for FileNameInformation

  std::mutex mu;  // serialises calls on `file` and the fields below
  std::unique_ptr<VfsFile> file;
  std::uint64_t position = 0;
  std::uint32_t mode = 0;
  // QUERY_DIRECTORY enumeration state (MS-SMB2 3.3.1.10 Open.EnumerationLocation/SearchPattern)
  bool enum_started = false;
  std::string enum_pattern;
  std::vector<DirEntry> enum_entries;
  std::size_t enum_pos = 0;
};

struct Session {
  enum class State { in_progress, valid, expired };
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
  std::uint64_t created_at = 0;
  // Encryption nonces (3.3.4.1.4): a per-session counter, never reused under one key, plus a
  // random per-session salt in the remaining bytes (engine/encryption.hpp explains why they
  // never repeat).
  std::atomic<std::uint64_t> nonce_counter{0};
  std::array<std::uint8_t, 4> nonce_salt{};
};

}  // namespace smbsrv::engine
