// Connection-oriented DCE/RPC PDUs (C706 12.6, MS-RPCE 2.2.2): the 16-byte common header and the
// bodies the pipe endpoint speaks. Decoders take one whole PDU (frag_length bytes, split off by
// split_pdu) and check every count and length by subtraction; encoders build one PDU.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpc/rpc.hpp"
#include "util/byte_reader.hpp"

namespace smbsrv::rpc {

enum class PType : std::uint8_t {
  request = 0,
  response = 2,
  fault = 3,
  bind = 11,
  bind_ack = 12,
  bind_nak = 13,
  alter_context = 14,
  alter_context_resp = 15,
  auth3 = 16,
  shutdown = 17,
  co_cancel = 18,
  orphaned = 19,
};

// pfc_flags (C706 12.6.3.1, MS-RPCE 2.2.2.3).
inline constexpr std::uint8_t kPfcFirstFrag = 0x01;
inline constexpr std::uint8_t kPfcLastFrag = 0x02;
inline constexpr std::uint8_t kPfcPendingCancel = 0x04;  // PFC_SUPPORT_HEADER_SIGN in bind
inline constexpr std::uint8_t kPfcConcMpx = 0x10;
inline constexpr std::uint8_t kPfcDidNotExecute = 0x20;
inline constexpr std::uint8_t kPfcMaybe = 0x40;
inline constexpr std::uint8_t kPfcObjectUuid = 0x80;

inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kResponseHeaderSize = 24;  // + alloc_hint, p_cont_id, cancel_count, reserved
inline constexpr std::size_t kFaultSize = 32;

/// p_cont_def_result_t (C706 12.6.3.1) and MS-RPCE 2.2.2.4's negotiate_ack.
enum : std::uint16_t { kAcceptance = 0, kUserRejection = 1, kProviderRejection = 2, kNegotiateAck = 3 };
/// p_provider_reason_t.
enum : std::uint16_t {
  kReasonNotSpecified = 0,
  kAbstractSyntaxNotSupported = 1,
  kProposedTransferSyntaxesNotSupported = 2,
  kLocalLimitExceeded = 3,
};
/// p_reject_reason_t for bind_nak (C706 12.6.3.1, MS-RPCE 2.2.2.5).
enum : std::uint16_t {
  kNakReasonNotSpecified = 0,
  kNakLocalLimitExceeded = 2,
  kNakProtocolVersionNotSupported = 4,
  kNakAuthenticationTypeNotRecognized = 8,
};

struct CommonHeader {
  std::uint8_t rpc_vers = 5;
  std::uint8_t rpc_vers_minor = 0;
  std::uint8_t ptype = 0;
  std::uint8_t pfc_flags = 0;
  std::array<std::uint8_t, 4> drep{0x10, 0, 0, 0};  // little-endian integers, ASCII, IEEE
  std::uint16_t frag_length = 0;
  std::uint16_t auth_length = 0;
  std::uint32_t call_id = 0;
};

/// The first 16 bytes; nullopt when fewer. Checks nothing else.
std::optional<CommonHeader> decode_header(Bytes pdu);
/// drep says little-endian integers, ASCII characters and IEEE floats: the only representation
/// this server reads (NDR20 LE).
bool drep_supported(const CommonHeader& h);
/// The first PDU of `message`: its header, and its frag_length bytes (frag_length must be at
/// least 16 and at most what is left). nullopt otherwise.
struct SplitPdu {
  CommonHeader hdr;
  Bytes pdu;
};
std::optional<SplitPdu> split_pdu(Bytes message);

/// One p_cont_elem_t.
struct ContextElem {
  std::uint16_t context_id = 0;
  SyntaxId abstract_syntax;
  std::vector<SyntaxId> transfer_syntaxes;
};
/// bind and alter_context (C706 12.6.4.3/12.6.4.1).
struct BindPdu {
  CommonHeader hdr;
  std::uint16_t max_xmit_frag = 0, max_recv_frag = 0;
  std::uint32_t assoc_group_id = 0;
  std::vector<ContextElem> contexts;
};
/// A bind or alter_context PDU without auth verifier bytes counted (auth_length must be 0: the
/// caller rejects auth first). Fails on truncation; n_context_elem and n_transfer_syn are checked
/// against the bytes left before anything is allocated.
std::optional<BindPdu> decode_bind(Bytes pdu);

struct ContextResult {
  std::uint16_t result = kAcceptance;
  std::uint16_t reason = 0;
  SyntaxId transfer_syntax;  // zero when rejected
};
/// bind_ack and alter_context_resp (C706 12.6.4.4/12.6.4.2).
struct BindAckPdu {
  CommonHeader hdr;
  std::uint16_t max_xmit_frag = 0, max_recv_frag = 0;
  std::uint32_t assoc_group_id = 0;
  std::string secondary_address;  // without the NUL; empty: length 0 (alter_context_resp)
  std::vector<ContextResult> results;
};
std::vector<std::uint8_t> encode_bind_ack(const BindAckPdu& p);  // hdr.ptype chooses the kind
std::optional<BindAckPdu> decode_bind_ack(Bytes pdu);

struct BindNakPdu {
  CommonHeader hdr;
  std::uint16_t reason = kNakReasonNotSpecified;
  std::vector<std::pair<std::uint8_t, std::uint8_t>> versions;  // p_rt_versions_supported_t
};
std::vector<std::uint8_t> encode_bind_nak(const BindNakPdu& p);
std::optional<BindNakPdu> decode_bind_nak(Bytes pdu);

/// request (C706 12.6.4.9): stub points into the PDU.
struct RequestPdu {
  CommonHeader hdr;
  std::uint32_t alloc_hint = 0;
  std::uint16_t context_id = 0, opnum = 0;
  std::optional<Uuid> object;  // when PFC_OBJECT_UUID
  Bytes stub;
};
std::optional<RequestPdu> decode_request(Bytes pdu);
std::vector<std::uint8_t> encode_request(const RequestPdu& p);

/// response (C706 12.6.4.10).
struct ResponsePdu {
  CommonHeader hdr;
  std::uint32_t alloc_hint = 0;
  std::uint16_t context_id = 0;
  std::uint8_t cancel_count = 0;
  Bytes stub;
};
std::vector<std::uint8_t> encode_response(const ResponsePdu& p);
std::optional<ResponsePdu> decode_response(Bytes pdu);

/// fault (C706 12.6.4.7, MS-RPCE 2.2.2.11): 32 bytes.
struct FaultPdu {
  CommonHeader hdr;
  std::uint32_t alloc_hint = 0;
  std::uint16_t context_id = 0;
  std::uint8_t cancel_count = 0;
  std::uint32_t status = 0;
};
std::vector<std::uint8_t> encode_fault(const FaultPdu& p);
std::optional<FaultPdu> decode_fault(Bytes pdu);

/// bind (for tests, seeds and clients built on this code).
std::vector<std::uint8_t> encode_bind(const BindPdu& p);

/// Transfer syntaxes (MS-RPCE 2.2.4.12 NDR, 2.2.4.13 NDR64, 3.3.1.5.3 bind time feature
/// negotiation: 6cb71c2c-9812-4540-XXXX-000000000000, the feature bits in XXXX).
SyntaxId ndr20_syntax();
SyntaxId ndr64_syntax();
/// The BTFN bitmask when `s` is a bind time feature negotiation syntax, else nullopt.
std::optional<std::uint16_t> btfn_bits(const SyntaxId& s);

}  // namespace smbsrv::rpc
