// SMB2 message structures (MS-SMB2 2.2) and their codecs, one .cpp per command in this folder.
//
// Conventions:
//  * A request decoder takes the whole message starting at its 64-byte SMB2 header (`msg`),
//    because buffer offsets on the wire count from the header start (MS-SMB2 2.2). It reads the
//    body at msg[64..] through a ByteReader, checks StructureSize, and checks every offset/length
//    pair by subtraction (util/byte_reader.hpp slice()). Failure → NtStatus::invalid_parameter.
//    An odd StructureSize counts one byte of the variable Buffer; that byte may be absent when
//    the buffer is empty (the fixed part is required, not the byte), for every request like READ.
//    A non-empty buffer must start after the fixed part; an empty one may have any offset.
//  * Request structs hold views (Bytes) into `msg`: valid while the message is.
//  * A response encoder appends the body to `w`, whose buffer holds the message's header starting
//    at `hdr` (the writer offset where the 64-byte header begins); offsets are w.size() - hdr.
//  * Field names follow the MS-SMB2 tables, in snake_case.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "smbsrv/result.hpp"
#include "smbsrv/vfs.hpp"
#include "util/byte_reader.hpp"
#include "util/byte_writer.hpp"

namespace smbsrv::codec {

inline constexpr std::size_t kHeaderSize = 64;

enum class Command : std::uint16_t {
  negotiate = 0x00, session_setup = 0x01, logoff = 0x02, tree_connect = 0x03,
  tree_disconnect = 0x04, create = 0x05, close = 0x06, flush = 0x07, read = 0x08, write = 0x09,
  lock = 0x0A, ioctl = 0x0B, cancel = 0x0C, echo = 0x0D, query_directory = 0x0E,
  change_notify = 0x0F, query_info = 0x10, set_info = 0x11, oplock_break = 0x12,
};
inline constexpr std::uint16_t kCommandCount = 0x13;
const char* command_name(Command c) noexcept;

// MS-SMB2 2.2.1.2 Flags
inline constexpr std::uint32_t kFlagServerToRedir = 0x00000001;
inline constexpr std::uint32_t kFlagAsyncCommand = 0x00000002;
inline constexpr std::uint32_t kFlagRelatedOperations = 0x00000004;
inline constexpr std::uint32_t kFlagSigned = 0x00000008;
inline constexpr std::uint32_t kFlagPriorityMask = 0x00000070;
inline constexpr std::uint32_t kFlagDfsOperations = 0x10000000;
inline constexpr std::uint32_t kFlagReplayOperation = 0x20000000;

// MS-SMB2 2.2.3 SecurityMode, Capabilities
inline constexpr std::uint16_t kSigningEnabled = 0x0001;
inline constexpr std::uint16_t kSigningRequired = 0x0002;
inline constexpr std::uint32_t kCapDfs = 0x01, kCapLeasing = 0x02, kCapLargeMtu = 0x04,
                               kCapMultiChannel = 0x08, kCapPersistentHandles = 0x10,
                               kCapDirectoryLeasing = 0x20, kCapEncryption = 0x40;

// MS-SMB2 2.2.3.1 negotiate context types
inline constexpr std::uint16_t kPreauthIntegrityCapabilities = 0x0001;
inline constexpr std::uint16_t kEncryptionCapabilities = 0x0002;
inline constexpr std::uint16_t kCompressionCapabilities = 0x0003;
inline constexpr std::uint16_t kNetnameNegotiateContextId = 0x0005;
inline constexpr std::uint16_t kTransportCapabilities = 0x0006;
inline constexpr std::uint16_t kRdmaTransformCapabilities = 0x0007;
inline constexpr std::uint16_t kSigningCapabilities = 0x0008;
inline constexpr std::uint16_t kHashSha512 = 0x0001;
/// The DialectRevision of the answer to an SMB1 NEGOTIATE that offers "SMB 2.???" (3.3.5.3.1):
/// the client must negotiate again with an SMB2 NEGOTIATE.
inline constexpr std::uint16_t kDialectSmb2Wildcard = 0x02FF;

struct FileId {
  std::uint64_t persistent = 0;
  std::uint64_t volatile_ = 0;
  friend bool operator==(const FileId&, const FileId&) = default;
};
inline constexpr FileId kAllOnesFileId{~0ULL, ~0ULL};  // "use the previous FileId" in compounds

// ---- header (2.2.1) -----------------------------------------------------------------------------
struct Header {
  std::uint16_t credit_charge = 0;
  std::uint32_t status = 0;  // ChannelSequence/Reserved in requests
  Command command = Command::negotiate;
  std::uint16_t credit = 0;  // CreditRequest / CreditResponse
  std::uint32_t flags = 0;
  std::uint32_t next_command = 0;
  std::uint64_t message_id = 0;
  std::uint64_t async_id = 0;  // only when flags & kFlagAsyncCommand
  std::uint32_t tree_id = 0;   // only when sync
  std::uint64_t session_id = 0;
  std::array<std::uint8_t, 16> signature{};
};
/// Checks ProtocolId 0xFE 'S' 'M' 'B' and StructureSize 64; command ≥ 0x13 → invalid_parameter
/// too (the engine treats that as a malformed message).
Result<Header> decode_header(Bytes msg);
/// decode_header with every check but the command range: `Header::command` holds the raw value,
/// which may lie outside the enum (command_name() says "UNKNOWN"). For the engine, which answers
/// an unknown command with STATUS_INVALID_PARAMETER as long as the rest of the header is sound
/// (MS-SMB2 3.3.5.2.6 itself says such a message is dropped with a disconnect).
Result<Header> decode_header_any_command(Bytes msg);
/// The raw Command (offset 12) of a message that holds a full 64-byte header, nullopt when it is
/// shorter; nothing else is checked (e.g. to see whether only CANCELs follow in a compound).
std::optional<Command> peek_command(Bytes msg);
/// Appends 64 bytes.
void encode_header(ByteWriter& w, const Header& h);
/// The same 64 bytes written over `out` (a response buffer's header placeholder).
void put_header(std::span<std::uint8_t, kHeaderSize> out, const Header& h);
inline constexpr std::size_t kSignatureOffset = 48;
/// In-place edits of an encoded header (msg starts at the header). Each does nothing when msg is
/// shorter than 64 bytes.
/// Flags (offset 16) |= or_bits.
void set_flags(std::span<std::uint8_t> msg, std::uint32_t or_bits);
/// Flags |= SMB2_FLAGS_SIGNED (2.2.1.2), before the signature is computed (3.3.4.1.1).
void mark_signed(std::span<std::uint8_t> msg);
/// NextCommand (offset 20) = next: the offset from this header to the next message's (3.3.4.1.3).
void set_next_command(std::span<std::uint8_t> msg, std::uint32_t next);

// ---- SMB1 multi-protocol NEGOTIATE (3.3.5.3; MS-CIFS 2.2.3.1, 2.2.4.52.1) -----------------------
/// The SMB2 dialects an SMB1 SMB_COM_NEGOTIATE offers ("SMB 2.002", "SMB 2.???").
struct Smb1Negotiate {
  bool smb2_002 = false;
  bool smb2_wildcard = false;
};
/// `frame` is the whole SMB1 message: 0xFF 'S' 'M' 'B', Command 0x72, the 32-byte header, then
/// WordCount (its words are skipped), ByteCount and the dialect strings (0x02, NUL-terminated
/// ASCII name). ByteCount larger than what remains is clamped to it; the walk stops at the first
/// string that does not start with 0x02 (what follows is ignored). Shorter than 35 bytes, wrong
/// ProtocolId or Command, words or ByteCount cut short, or a dialect string without its NUL →
/// invalid_parameter. No SMB2 dialect at all is not an error (both flags false).
Result<Smb1Negotiate> decode_smb1_negotiate(Bytes frame);

// ---- error response (2.2.2) ----------------------------------------------------------------------
/// StructureSize 9; ErrorContextCount 0; ByteCount = data.size(); with no data one zero byte.
void encode_error_response(ByteWriter& w, Bytes data = {});
/// The error response of a STATUS_BUFFER_TOO_SMALL that tells the size needed (3.3.5.20.3): its
/// ErrorData is that size, 4 bytes.
void encode_buffer_too_small_response(ByteWriter& w, std::uint32_t needed);

/// What a transport frame starts with (ProtocolId, MS-SMB2 2.2.1, 2.2.41, 2.2.42; MS-CIFS 2.2.3.1).
enum class Protocol { smb1, smb2, transform, compressed, other };
Protocol protocol_of(Bytes frame);

// ---- NEGOTIATE (2.2.3, 2.2.4) ---------------------------------------------------------------------
struct NegotiateContext {
  std::uint16_t context_type = 0;
  Bytes data;
};
struct NegotiateRequest {
  std::uint16_t security_mode = 0;
  std::uint32_t capabilities = 0;
  std::array<std::uint8_t, 16> client_guid{};
  std::vector<std::uint16_t> dialects;
  /// Parsed only when dialects contains 0x0311 (else the field is ClientStartTime).
  std::vector<NegotiateContext> negotiate_contexts;
};
/// DialectCount 0 → invalid_parameter. Contexts: each 8-byte aligned from the header start,
/// DataLength within the message, count as declared; any violation → invalid_parameter.
Result<NegotiateRequest> decode_negotiate_request(Bytes msg);

struct PreauthIntegrityCapabilities {
  std::vector<std::uint16_t> hash_algorithms;
  Bytes salt;
};
struct EncryptionCapabilities {
  std::vector<std::uint16_t> ciphers;
};
struct SigningCapabilities {
  std::vector<std::uint16_t> signing_algorithms;
};
/// Typed parsers of a context's data; count 0 or data too short → invalid_parameter.
Result<PreauthIntegrityCapabilities> decode_preauth_context(Bytes data);
Result<EncryptionCapabilities> decode_encryption_context(Bytes data);
Result<SigningCapabilities> decode_signing_context(Bytes data);

struct OwnedNegotiateContext {
  std::uint16_t context_type = 0;
  std::vector<std::uint8_t> data;
};
struct NegotiateResponse {
  std::uint16_t security_mode = 0;
  std::uint16_t dialect_revision = 0;
  std::array<std::uint8_t, 16> server_guid{};
  std::uint32_t capabilities = 0;
  std::uint32_t max_transact_size = 0, max_read_size = 0, max_write_size = 0;
  std::uint64_t system_time = 0, server_start_time = 0;
  std::vector<std::uint8_t> security_buffer;
  std::vector<OwnedNegotiateContext> negotiate_contexts;  // 3.1.1 only; 8-byte aligned
};
void encode_negotiate_response(ByteWriter& w, std::size_t hdr, const NegotiateResponse& r);
/// Context data builders for the response.
std::vector<std::uint8_t> encode_preauth_context(std::uint16_t hash_algorithm, Bytes salt);
std::vector<std::uint8_t> encode_encryption_context(std::uint16_t cipher);
std::vector<std::uint8_t> encode_signing_context(std::uint16_t algorithm);

// ---- SESSION_SETUP (2.2.5, 2.2.6) -----------------------------------------------------------------
inline constexpr std::uint8_t kSessionFlagBinding = 0x01;
inline constexpr std::uint16_t kSessionFlagIsGuest = 0x0001, kSessionFlagIsNull = 0x0002,
                               kSessionFlagEncryptData = 0x0004;
struct SessionSetupRequest {
  std::uint8_t flags = 0;
  std::uint8_t security_mode = 0;
  std::uint32_t capabilities = 0;
  std::uint32_t channel = 0;
  Bytes security_buffer;
  std::uint64_t previous_session_id = 0;
};
Result<SessionSetupRequest> decode_session_setup_request(Bytes msg);
struct SessionSetupResponse {
  std::uint16_t session_flags = 0;
  std::vector<std::uint8_t> security_buffer;  // SecurityBufferOffset is always 0x48
};
void encode_session_setup_response(ByteWriter& w, std::size_t hdr, const SessionSetupResponse& r);

// ---- LOGOFF (2.2.7, 2.2.8), TREE_DISCONNECT (2.2.11, 2.2.12), ECHO (2.2.28, 2.2.29),
//      CANCEL (2.2.30): bodies of StructureSize 4 ----------------------------------------------------
Result<void> decode_logoff_request(Bytes msg);
void encode_logoff_response(ByteWriter& w);
Result<void> decode_tree_disconnect_request(Bytes msg);
void encode_tree_disconnect_response(ByteWriter& w);
Result<void> decode_echo_request(Bytes msg);
void encode_echo_response(ByteWriter& w);
Result<void> decode_cancel_request(Bytes msg);

// ---- TREE_CONNECT (2.2.9, 2.2.10) -----------------------------------------------------------------
inline constexpr std::uint16_t kTreeConnectFlagExtensionPresent = 0x0004;
struct TreeConnectRequest {
  std::uint16_t flags = 0;
  std::string path;  // UTF-8, e.g. "\\\\server\\share"
};
/// Invalid UTF-16 → invalid_parameter. With EXTENSION_PRESENT the path is found through the
/// TREE_CONNECT_REQUEST_EXTENSION (2.2.9.1); its contexts are ignored.
Result<TreeConnectRequest> decode_tree_connect_request(Bytes msg);
inline constexpr std::uint8_t kShareTypeDisk = 0x01, kShareTypePipe = 0x02;
inline constexpr std::uint32_t kShareFlagEncryptData = 0x00008000;
inline constexpr std::uint32_t kShareFlagAccessBasedDirectoryEnum = 0x00000800;
struct TreeConnectResponse {
  std::uint8_t share_type = kShareTypeDisk;
  std::uint32_t share_flags = 0;
  std::uint32_t capabilities = 0;
  std::uint32_t maximal_access = 0;
};
void encode_tree_connect_response(ByteWriter& w, const TreeConnectResponse& r);

// ---- CREATE (2.2.13, 2.2.14) -----------------------------------------------------------------------
struct CreateContext {
  Bytes name;  // e.g. "MxAc", "QFid", "DHnQ", "RqLs"
  Bytes data;
};
struct CreateRequest {
  std::uint8_t security_flags = 0;
  std::uint8_t requested_oplock_level = 0;
  std::uint32_t impersonation_level = 0;
  std::uint64_t smb_create_flags = 0;
  std::uint32_t desired_access = 0;
  std::uint32_t file_attributes = 0;
  std::uint32_t share_access = 0;
  std::uint32_t create_disposition = 0;
  std::uint32_t create_options = 0;
  std::string name;  // UTF-8 as sent ('\' separators); "" for the share root
  std::vector<CreateContext> create_contexts;
};
/// Name: NameLength odd or invalid UTF-16 → object_name_invalid. Create contexts go through the
/// one checked chain iterator (Next 8-byte aligned, forward, in bounds, ≤ 64 contexts, name and
/// data offsets inside each context) → invalid_parameter on any violation.
Result<CreateRequest> decode_create_request(Bytes msg);
struct OwnedCreateContext {
  std::string name;
  std::vector<std::uint8_t> data;
};
struct CreateResponse {
  std::uint8_t oplock_level = 0;
  std::uint8_t flags = 0;
  std::uint32_t create_action = 0;
  std::uint64_t creation_time = 0, last_access_time = 0, last_write_time = 0, change_time = 0;
  std::uint64_t allocation_size = 0, end_of_file = 0;
  std::uint32_t file_attributes = 0;
  FileId file_id;
  std::vector<OwnedCreateContext> create_contexts;
};
void encode_create_response(ByteWriter& w, std::size_t hdr, const CreateResponse& r);

/// Create context names (2.2.13.2) the server looks at or answers. Names of other contexts may be
/// longer (16-byte GUIDs); these are all 4 ASCII characters.
using CreateContextTag = std::array<char, 4>;
inline constexpr CreateContextTag kCtxMaximalAccess{'M', 'x', 'A', 'c'};      // 2.2.13.2.5, 2.2.14.2.5
inline constexpr CreateContextTag kCtxQueryOnDiskId{'Q', 'F', 'i', 'd'};      // 2.2.13.2.9, 2.2.14.2.9
inline constexpr CreateContextTag kCtxRequestLease{'R', 'q', 'L', 's'};       // 2.2.13.2.8/.10, 2.2.14.2.10/.11
inline constexpr CreateContextTag kCtxDurableRequest{'D', 'H', 'n', 'Q'};     // 2.2.13.2.3, 2.2.14.2.3
inline constexpr CreateContextTag kCtxDurableReconnect{'D', 'H', 'n', 'C'};   // 2.2.13.2.4
inline constexpr CreateContextTag kCtxDurableRequestV2{'D', 'H', '2', 'Q'};   // 2.2.13.2.11, 2.2.14.2.12
inline constexpr CreateContextTag kCtxDurableReconnectV2{'D', 'H', '2', 'C'}; // 2.2.13.2.12
inline constexpr CreateContextTag kCtxAllocationSize{'A', 'l', 'S', 'i'};     // 2.2.13.2.6
inline constexpr CreateContextTag kCtxExtA{'E', 'x', 't', 'A'};               // 2.2.13.2.1 (codec/ea.hpp)
inline constexpr CreateContextTag kCtxSecD{'S', 'e', 'c', 'D'};               // 2.2.13.2.2 (codec/security_descriptor.hpp)
inline constexpr CreateContextTag kCtxAapl{'A', 'A', 'P', 'L'};               // Apple's extension (not MS-SMB2)
/// Names that are 16-byte GUIDs, as they appear on the wire.
using CreateContextGuid = std::array<std::uint8_t, 16>;
inline constexpr CreateContextGuid kCtxAppInstanceId{0x45, 0xBC, 0xA6, 0x6A, 0xEF, 0xA7, 0xF7, 0x4A,
                                                     0x90, 0x08, 0xFA, 0x46, 0x2E, 0x14, 0x4D, 0x74};  // 2.2.13.2.13
inline constexpr CreateContextGuid kCtxAppInstanceVersion{0xB9, 0x82, 0xD0, 0xB7, 0x3B, 0x56, 0x07, 0x4F,
                                                          0xA0, 0x7B, 0x52, 0x4A, 0x81, 0x16, 0xA0, 0x10};  // 2.2.13.2.15
/// True when the context's name is exactly the 4 bytes of `tag`.
bool context_is(const CreateContext& c, const CreateContextTag& tag);
/// True when the context's name is exactly the 16 bytes of `guid`.
bool context_is(const CreateContext& c, const CreateContextGuid& guid);
/// The tag as the std::string an OwnedCreateContext carries.
std::string context_name(const CreateContextTag& tag);
/// SMB2_CREATE_QUERY_MAXIMAL_ACCESS_RESPONSE (2.2.14.2.5), 8 bytes.
std::vector<std::uint8_t> encode_maximal_access_response(NtStatus query_status, std::uint32_t maximal_access);
/// SMB2_CREATE_ALLOCATION_SIZE (2.2.13.2.6): AllocationSize, exactly 8 bytes (invalid_parameter
/// otherwise).
Result<std::uint64_t> decode_allocation_size(Bytes data);
/// SMB2_CREATE_QUERY_ON_DISK_ID (2.2.14.2.9), 32 bytes: the 16 Reserved bytes are zero.
std::vector<std::uint8_t> encode_query_on_disk_id_response(std::uint64_t disk_file_id, std::uint64_t volume_id);

// Durable handles (2.2.13.2.3/.4/.11/.12, 2.2.14.2.3/.12). Each decoder checks the context's exact
// size (the structures are fixed) and answers invalid_parameter otherwise.
inline constexpr std::uint32_t kDurableFlagPersistent = 0x00000002;  // SMB2_DHANDLE_FLAG_PERSISTENT
/// SMB2_CREATE_DURABLE_HANDLE_REQUEST: 16 reserved bytes.
Result<void> decode_durable_request(Bytes data);
/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT: the FileId of the open to reestablish.
Result<FileId> decode_durable_reconnect(Bytes data);
struct DurableRequestV2 {
  std::uint32_t timeout_ms = 0;  // 0: the server's default
  std::uint32_t flags = 0;
  std::array<std::uint8_t, 16> create_guid{};
};
/// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2: Timeout 4, Flags 4, Reserved 8, CreateGuid 16.
Result<DurableRequestV2> decode_durable_request_v2(Bytes data);
struct DurableReconnectV2 {
  FileId file_id;
  std::array<std::uint8_t, 16> create_guid{};
  std::uint32_t flags = 0;
};
/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2: FileId 16, CreateGuid 16, Flags 4.
Result<DurableReconnectV2> decode_durable_reconnect_v2(Bytes data);
/// SMB2_CREATE_APP_INSTANCE_ID (2.2.13.2.13): StructureSize 2 (20), Reserved 2, AppInstanceId 16.
Result<std::array<std::uint8_t, 16>> decode_app_instance_id(Bytes data);
struct AppInstanceVersion {
  std::uint64_t high = 0, low = 0;
};
/// SMB2_CREATE_APP_INSTANCE_VERSION (2.2.13.2.15): StructureSize 2 (24), Reserved 2, Padding 4,
/// AppInstanceVersionHigh 8, AppInstanceVersionLow 8.
Result<AppInstanceVersion> decode_app_instance_version(Bytes data);
/// SMB2_CREATE_DURABLE_HANDLE_RESPONSE: 8 reserved bytes.
std::vector<std::uint8_t> encode_durable_response();
/// SMB2_CREATE_DURABLE_HANDLE_RESPONSE_V2: Timeout, Flags.
std::vector<std::uint8_t> encode_durable_response_v2(std::uint32_t timeout_ms, std::uint32_t flags);

// ---- CLOSE (2.2.15, 2.2.16) -------------------------------------------------------------------------
inline constexpr std::uint16_t kClosePostqueryAttrib = 0x0001;
struct CloseRequest {
  std::uint16_t flags = 0;
  FileId file_id;
};
Result<CloseRequest> decode_close_request(Bytes msg);
struct CloseResponse {
  std::uint16_t flags = 0;
  std::uint64_t creation_time = 0, last_access_time = 0, last_write_time = 0, change_time = 0;
  std::uint64_t allocation_size = 0, end_of_file = 0;
  std::uint32_t file_attributes = 0;
};
void encode_close_response(ByteWriter& w, const CloseResponse& r);

// ---- FLUSH (2.2.17, 2.2.18) -------------------------------------------------------------------------
struct FlushRequest {
  FileId file_id;
};
Result<FlushRequest> decode_flush_request(Bytes msg);
void encode_flush_response(ByteWriter& w);

// ---- READ (2.2.19, 2.2.20) ---------------------------------------------------------------------------
struct ReadRequest {
  std::uint8_t padding = 0;
  std::uint8_t flags = 0;
  std::uint32_t length = 0;
  std::uint64_t offset = 0;
  FileId file_id;
  std::uint32_t minimum_count = 0;
  std::uint32_t channel = 0;
  std::uint32_t remaining_bytes = 0;
  Bytes read_channel_info;
};
/// StructureSize must be 49 (a 48-byte fixed part plus at least one buffer byte, which may be
/// absent on the wire: Windows and Samba accept a 48-byte body too).
Result<ReadRequest> decode_read_request(Bytes msg);
/// Writes the 16-byte fixed part with DataOffset 0x50 and DataLength = data_length; the caller
/// appends the data itself (or sends it separately: scatter/gather).
void encode_read_response_header(ByteWriter& w, std::uint32_t data_length, std::uint32_t data_remaining = 0);
/// The same 16 bytes written in place (a response whose data is already in its buffer).
void put_read_response_header(std::span<std::uint8_t, 16> out, std::uint32_t data_length,
                              std::uint32_t data_remaining = 0);
void encode_read_response(ByteWriter& w, Bytes data);

// ---- WRITE (2.2.21, 2.2.22) --------------------------------------------------------------------------
struct WriteRequest {
  std::uint64_t offset = 0;
  FileId file_id;
  std::uint32_t channel = 0;
  std::uint32_t remaining_bytes = 0;
  std::uint32_t flags = 0;
  Bytes data;  // DataOffset/Length checked against the message
  Bytes write_channel_info;
};
Result<WriteRequest> decode_write_request(Bytes msg);
struct WriteResponse {
  std::uint32_t count = 0;
  std::uint32_t remaining = 0;
};
void encode_write_response(ByteWriter& w, const WriteResponse& r);

// ---- LOCK (2.2.26, 2.2.27) ---------------------------------------------------------------------------
inline constexpr std::uint32_t kLockShared = 0x1, kLockExclusive = 0x2, kLockUnlock = 0x4,
                               kLockFailImmediately = 0x10;
struct LockElement {
  std::uint64_t offset = 0, length = 0;
  std::uint32_t flags = 0;
};
struct LockRequest {
  std::uint32_t lock_sequence = 0;  // LockSequenceNumber (4 bits) + LockSequenceIndex (28 bits)
  FileId file_id;
  std::vector<LockElement> locks;   // LockCount 0 → invalid_parameter; count capped at 64K
};
Result<LockRequest> decode_lock_request(Bytes msg);
void encode_lock_response(ByteWriter& w);

// ---- IOCTL (2.2.31, 2.2.32) --------------------------------------------------------------------------
inline constexpr std::uint32_t kIoctlIsFsctl = 0x00000001;
inline constexpr std::uint32_t kFsctlDfsGetReferrals = 0x00060194;
inline constexpr std::uint32_t kFsctlDfsGetReferralsEx = 0x000601B0;
inline constexpr std::uint32_t kFsctlPipeTransceive = 0x0011C017;
inline constexpr std::uint32_t kFsctlValidateNegotiateInfo = 0x00140204;
inline constexpr std::uint32_t kFsctlQueryNetworkInterfaceInfo = 0x001401FC;
inline constexpr std::uint32_t kFsctlCreateOrGetObjectId = 0x000900C0;
inline constexpr std::uint32_t kFsctlSrvEnumerateSnapshots = 0x00144064;
inline constexpr std::uint32_t kFsctlSrvRequestResumeKey = 0x00140078;
inline constexpr std::uint32_t kFsctlLmrRequestResiliency = 0x001401D4;
struct IoctlRequest {
  std::uint32_t ctl_code = 0;
  FileId file_id;
  Bytes input;
  std::uint32_t max_input_response = 0;
  std::uint32_t max_output_response = 0;
  std::uint32_t flags = 0;
};
Result<IoctlRequest> decode_ioctl_request(Bytes msg);
struct IoctlResponse {
  std::uint32_t ctl_code = 0;
  FileId file_id;
  std::vector<std::uint8_t> output;
  std::uint32_t flags = 0;
};
/// InputCount 0 (InputOffset points at the buffer), OutputOffset 8-aligned.
void encode_ioctl_response(ByteWriter& w, std::size_t hdr, const IoctlResponse& r);

/// FSCTL_VALIDATE_NEGOTIATE_INFO input (2.2.31.4).
struct ValidateNegotiateInfo {
  std::uint32_t capabilities = 0;
  std::array<std::uint8_t, 16> guid{};
  std::uint16_t security_mode = 0;
  std::vector<std::uint16_t> dialects;
};
/// `input` is the IOCTL's input buffer. Shorter than the 24-byte fixed part, DialectCount 0, or
/// dialects that do not fit → invalid_parameter (3.3.5.15.12: the engine then disconnects).
/// Bytes after the dialects are ignored.
Result<ValidateNegotiateInfo> decode_validate_negotiate_info(Bytes input);
/// FSCTL_LMR_REQUEST_RESILIENCY input, NETWORK_RESILIENCY_REQUEST (2.2.31.3): Timeout in
/// milliseconds, then 4 reserved bytes. Shorter than 8 bytes → invalid_parameter (3.3.5.15.9);
/// bytes after them are ignored.
struct NetworkResiliencyRequest {
  std::uint32_t timeout_ms = 0;
};
Result<NetworkResiliencyRequest> decode_network_resiliency_request(Bytes input);
/// VALIDATE_NEGOTIATE_INFO response (2.2.32.6): appends 24 bytes.
void encode_validate_negotiate_response(ByteWriter& w, std::uint32_t capabilities,
                                        const std::array<std::uint8_t, 16>& guid,
                                        std::uint16_t security_mode, std::uint16_t dialect);
/// NETWORK_INTERFACE_INFO (2.2.32.5), the FSCTL_QUERY_NETWORK_INTERFACE_INFO output: one entry
/// per address of an interface (3.3.5.15.11).
struct NetworkInterfaceInfo {
  std::uint32_t if_index = 0;    // never 0 (3.3.5.15.11)
  std::uint32_t capability = 0;  // kInterfaceRssCapable, kInterfaceRdmaCapable
  std::uint64_t link_speed = 0;  // bits per second
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};  // network byte order; IPv4 in the first 4 bytes
  std::uint32_t scope_id = 0;               // IPv6
};
inline constexpr std::uint32_t kInterfaceRssCapable = 0x1, kInterfaceRdmaCapable = 0x2;
inline constexpr std::size_t kNetworkInterfaceInfoSize = 152;
/// Appends the entries, 152 bytes each, chained by Next (0 in the last). SockAddr_Storage
/// (2.2.32.5.1): Family 0x0002 with SOCKADDR_IN, or 0x0017 with SOCKADDR_IN6; Port 0.
void encode_network_interface_info(ByteWriter& w, std::span<const NetworkInterfaceInfo> list);
/// FSCTL_CREATE_OR_GET_OBJECT_ID output: FILE_OBJECTID_BUFFER type 1 (MS-FSCC 2.1.3.1), 64 bytes:
/// ObjectId then BirthVolumeId, BirthObjectId and DomainId, all zero.
inline constexpr std::size_t kObjectIdBufferSize = 64;
void encode_object_id_buffer(ByteWriter& w, const std::array<std::uint8_t, 16>& object_id);
// ---- FSCTLs on files (MS-FSCC 2.3), their input decoders and output encoders: src/codec/fsctl.cpp --
inline constexpr std::uint32_t kFsctlGetCompression = 0x0009003C;
inline constexpr std::uint32_t kFsctlGetReparsePoint = 0x000900A8;
inline constexpr std::uint32_t kFsctlSetSparse = 0x000900C4;
inline constexpr std::uint32_t kFsctlQueryFileRegions = 0x00090284;
inline constexpr std::uint32_t kFsctlQueryAllocatedRanges = 0x000940CF;
inline constexpr std::uint32_t kFsctlSetZeroData = 0x000980C8;
inline constexpr std::uint32_t kFsctlFileLevelTrim = 0x00098208;
inline constexpr std::uint32_t kFsctlSetCompression = 0x0009C040;

/// FILE_SET_SPARSE_BUFFER (2.3.64): SetSparse, one byte. No buffer means TRUE; bytes after the
/// first are ignored (Windows accepts an oversized buffer). Never fails.
bool decode_set_sparse(Bytes input);

/// FILE_ZERO_DATA_INFORMATION (2.3.66): FileOffset, BeyondFinalZero (signed 64-bit).
struct ZeroDataInfo {
  std::uint64_t offset = 0, beyond_final_zero = 0;
};
/// Shorter than 16 bytes, a negative value, or FileOffset > BeyondFinalZero → invalid_parameter
/// (MS-FSA 2.1.5.10.37).
Result<ZeroDataInfo> decode_zero_data_info(Bytes input);

/// FILE_ALLOCATED_RANGE_BUFFER (2.3.52/2.3.53): FileOffset, Length (signed 64-bit), 16 bytes.
inline constexpr std::size_t kAllocatedRangeSize = 16;
/// The query range: shorter than 16 bytes (extra bytes are ignored), a negative value, or
/// FileOffset + Length past MAXLONGLONG → invalid_parameter (MS-FSA 2.1.5.10.22).
Result<ByteRange> decode_allocated_range_query(Bytes input);
void encode_allocated_range(ByteWriter& w, const ByteRange& r);

/// FSCTL_FILE_LEVEL_TRIM input (2.3.73 FILE_LEVEL_TRIM): Key, NumRanges, then NumRanges
/// FILE_LEVEL_TRIM_RANGE {Offset, Length}. Shorter than 8 bytes or ranges that do not fit →
/// invalid_parameter. Only the count is kept (trimming is advisory).
struct FileLevelTrim {
  std::uint32_t key = 0;
  std::uint32_t num_ranges = 0;
};
Result<FileLevelTrim> decode_file_level_trim(Bytes input);
/// FILE_LEVEL_TRIM_OUTPUT (2.3.74): NumRangesProcessed, 4 bytes.
void encode_file_level_trim_output(ByteWriter& w, std::uint32_t ranges_processed);

/// COMPRESSION_FORMAT_* (2.3.10 FSCTL_GET_COMPRESSION Reply, 2.3.69 FSCTL_SET_COMPRESSION).
inline constexpr std::uint16_t kCompressionFormatNone = 0, kCompressionFormatDefault = 1,
                               kCompressionFormatLznt1 = 2;
/// SET_COMPRESSION input: CompressionState (2 bytes; extra bytes ignored). Shorter →
/// invalid_parameter. The value is not checked here.
Result<std::uint16_t> decode_set_compression(Bytes input);

/// FILE_REGION_INPUT (2.3.55): FileOffset, Length (signed), DesiredUsage, Reserved: 24 bytes.
inline constexpr std::uint32_t kFileRegionUsageValidCachedData = 1, kFileRegionUsageValidNoncachedData = 2;
struct FileRegionInput {
  std::uint64_t offset = 0, length = 0;
  std::uint32_t desired_usage = kFileRegionUsageValidCachedData;
};
/// No input means the whole file with VALID_CACHED_DATA. A non-empty input shorter than 24
/// bytes, a negative value, or an unknown DesiredUsage → invalid_parameter.
Result<FileRegionInput> decode_file_region_input(Bytes input);
/// FILE_REGION_OUTPUT (2.3.56) header: Flags 0, TotalRegionEntryCount, RegionEntryCount,
/// Reserved; then each FILE_REGION_INFO (2.3.56.1): FileOffset, Length, Usage, Reserved.
inline constexpr std::size_t kFileRegionOutputHeaderSize = 16, kFileRegionInfoSize = 24;
struct FileRegion {
  std::uint64_t offset = 0, length = 0;
  std::uint32_t usage = 0;
};
void encode_file_region_output(ByteWriter& w, std::uint32_t total, std::span<const FileRegion> regions);

/// SRV_SNAPSHOT_ARRAY (MS-SMB2 2.2.32.2) with no previous versions: NumberOfSnapShots 0,
/// NumberOfSnapShotsReturned 0, SnapShotArraySize 2, SnapShots = the empty list's terminating
/// UTF-16 null. 14 bytes.
inline constexpr std::size_t kEmptySnapshotArraySize = 14;
void encode_empty_snapshot_array(ByteWriter& w);

/// The server's ObjectId of a file: file_id (8 bytes LE), then the marker 0x00736D6273727600
/// (8 bytes LE, so 00 76 72 73 62 6D 73 00 on the wire: "smbsrv" backwards) that tells these
/// ids apart. The same bytes the engine has always produced.
std::array<std::uint8_t, 16> object_id_of(std::uint64_t file_id);

// ---- QUERY_DIRECTORY (2.2.33, 2.2.34) ----------------------------------------------------------------
inline constexpr std::uint8_t kRestartScans = 0x01, kReturnSingleEntry = 0x02,
                              kIndexSpecified = 0x04, kReopen = 0x10;
struct QueryDirectoryRequest {
  std::uint8_t file_information_class = 0;
  std::uint8_t flags = 0;
  std::uint32_t file_index = 0;
  FileId file_id;
  std::string file_name;  // the search pattern, UTF-8
  std::uint32_t output_buffer_length = 0;
};
Result<QueryDirectoryRequest> decode_query_directory_request(Bytes msg);
/// OutputBufferOffset 0x48; the buffer as built by the handler.
void encode_query_directory_response(ByteWriter& w, std::size_t hdr, Bytes output);

// ---- CHANGE_NOTIFY (2.2.35, 2.2.36) ------------------------------------------------------------------
struct ChangeNotifyRequest {
  std::uint16_t flags = 0;
  std::uint32_t output_buffer_length = 0;
  FileId file_id;
  std::uint32_t completion_filter = 0;
};
Result<ChangeNotifyRequest> decode_change_notify_request(Bytes msg);
void encode_change_notify_response(ByteWriter& w, std::size_t hdr, Bytes output);
/// SMB2_WATCH_TREE (2.2.35 Flags).
inline constexpr std::uint16_t kWatchTree = 0x0001;
/// CompletionFilter bits (2.2.35) and FILE_NOTIFY_INFORMATION Actions (MS-FSCC 2.4.42).
inline constexpr std::uint32_t kNotifyFileName = 0x001, kNotifyDirName = 0x002, kNotifyAttributes = 0x004,
                               kNotifySize = 0x008, kNotifyLastWrite = 0x010, kNotifyLastAccess = 0x020,
                               kNotifyCreation = 0x040, kNotifyEa = 0x080, kNotifySecurity = 0x100,
                               kNotifyStreamName = 0x200, kNotifyStreamSize = 0x400, kNotifyStreamWrite = 0x800;
inline constexpr std::uint32_t kActionAdded = 1, kActionRemoved = 2, kActionModified = 3, kActionRenamedOld = 4,
                               kActionRenamedNew = 5, kActionAddedStream = 6, kActionRemovedStream = 7,
                               kActionModifiedStream = 8;
/// One FILE_NOTIFY_INFORMATION entry (MS-FSCC 2.4.42): the name relative to the watched directory,
/// UTF-8, components separated by backslashes.
struct NotifyEntry {
  std::uint32_t action = 0;
  std::string name;
  friend bool operator==(const NotifyEntry&, const NotifyEntry&) = default;
};
/// The bytes a chain of `entries` takes (each entry but the last padded to 4 bytes).
std::size_t notify_information_size(std::span<const NotifyEntry> entries);
/// The FILE_NOTIFY_INFORMATION chain (NextEntryOffset 0 on the last entry). Entries start on
/// 4-byte boundaries (MS-FSCC 2.4: the chained information classes are 4-byte aligned; Windows
/// pads notify entries to a ULONG).
void encode_notify_information(ByteWriter& w, std::span<const NotifyEntry> entries);
/// The reverse (tests, fuzzing): every offset and length checked against the buffer.
Result<std::vector<NotifyEntry>> decode_notify_information(Bytes buf);

// ---- QUERY_INFO (2.2.37, 2.2.38) ---------------------------------------------------------------------
inline constexpr std::uint8_t kInfoFile = 0x01, kInfoFilesystem = 0x02, kInfoSecurity = 0x03,
                              kInfoQuota = 0x04;
struct QueryInfoRequest {
  std::uint8_t info_type = 0;
  std::uint8_t file_info_class = 0;
  std::uint32_t output_buffer_length = 0;
  Bytes input;
  std::uint32_t additional_information = 0;
  std::uint32_t flags = 0;
  FileId file_id;
};
Result<QueryInfoRequest> decode_query_info_request(Bytes msg);
void encode_query_info_response(ByteWriter& w, std::size_t hdr, Bytes output);

// ---- SET_INFO (2.2.39, 2.2.40) -----------------------------------------------------------------------
struct SetInfoRequest {
  std::uint8_t info_type = 0;
  std::uint8_t file_info_class = 0;
  Bytes buffer;
  std::uint32_t additional_information = 0;
  FileId file_id;
};
Result<SetInfoRequest> decode_set_info_request(Bytes msg);
void encode_set_info_response(ByteWriter& w);

// ---- OPLOCK_BREAK acknowledgment (2.2.24) ------------------------------------------------------------
struct OplockBreakAck {
  std::uint8_t oplock_level = 0;
  FileId file_id;
  bool is_lease = false;  // StructureSize 36: a lease break acknowledgment
  std::array<std::uint8_t, 16> lease_key{};
  std::uint32_t lease_state = 0;
};
Result<OplockBreakAck> decode_oplock_break_ack(Bytes msg);

// Oplock levels (2.2.13 RequestedOplockLevel) and lease states (2.2.13.2.8).
inline constexpr std::uint8_t kOplockNone = 0x00, kOplockLevelII = 0x01, kOplockExclusive = 0x08,
                              kOplockBatch = 0x09, kOplockLease = 0xFF;
inline constexpr std::uint32_t kLeaseRead = 0x1, kLeaseHandle = 0x2, kLeaseWrite = 0x4;
inline constexpr std::uint32_t kLeaseFlagBreakInProgress = 0x2, kLeaseFlagParentKeySet = 0x4;
inline constexpr std::uint32_t kLeaseBreakAckRequired = 0x1;  // 2.2.23.2 Flags

/// SMB2_CREATE_REQUEST_LEASE (2.2.13.2.8, 32 bytes) or _V2 (2.2.13.2.10, 52 bytes): the data of
/// an "RqLs" create context; the length tells the version.
struct LeaseContext {
  int version = 1;
  std::array<std::uint8_t, 16> key{};
  std::uint32_t state = 0;
  std::uint32_t flags = 0;
  std::array<std::uint8_t, 16> parent_key{};  // V2
  std::uint16_t epoch = 0;                    // V2
};
/// Any other length → invalid_parameter.
Result<LeaseContext> decode_lease_context(Bytes data);
/// SMB2_CREATE_RESPONSE_LEASE (2.2.14.2.10) or _V2 (2.2.14.2.11), after `l.version`.
std::vector<std::uint8_t> encode_lease_context(const LeaseContext& l);

/// Oplock Break Notification (2.2.23.1) and Oplock Break Response (2.2.25.1): the same layout.
void encode_oplock_break(ByteWriter& w, std::uint8_t oplock_level, const FileId& file_id);
struct LeaseBreakNotification {
  std::uint16_t new_epoch = 0;
  std::uint32_t flags = 0;  // kLeaseBreakAckRequired
  std::array<std::uint8_t, 16> key{};
  std::uint32_t current_state = 0, new_state = 0;
};
/// 2.2.23.2 (44 bytes; BreakReason, AccessMaskHint and ShareMaskHint are zero).
void encode_lease_break_notification(ByteWriter& w, const LeaseBreakNotification& n);
/// Lease Break Response (2.2.25.2, 36 bytes).
void encode_lease_break_response(ByteWriter& w, const std::array<std::uint8_t, 16>& key, std::uint32_t state);

// ---- transform header (2.2.41) -------------------------------------------------------------------
inline constexpr std::size_t kTransformHeaderSize = 52;
struct TransformHeader {
  std::array<std::uint8_t, 16> signature{};
  std::array<std::uint8_t, 16> nonce{};
  std::uint32_t original_message_size = 0;
  std::uint16_t flags = 0;  // 0x0001 Encrypted
  std::uint64_t session_id = 0;
};
/// Checks ProtocolId 0xFD 'S' 'M' 'B' and that OriginalMessageSize equals the rest of the frame.
Result<TransformHeader> decode_transform_header(Bytes frame);
void encode_transform_header(ByteWriter& w, const TransformHeader& t);

// ---- compound walking (3.3.5.2.7) --------------------------------------------------------------------
/// Splits a frame into its compounded messages. Each NextCommand must be a multiple of 8, ≥ 64,
/// and inside the frame; the last has NextCommand 0. At most 256 messages. Any violation →
/// invalid_parameter (the engine then disconnects or errors the rest, per the spec).
Result<std::vector<Bytes>> split_compound(Bytes frame);
/// The same into a caller's vector (cleared first), so that a reused vector allocates nothing.
Result<void> split_compound(Bytes frame, std::vector<Bytes>& out);

}  // namespace smbsrv::codec
