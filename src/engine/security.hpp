// Signing, sealing and keys for the engine (MS-SMB2 3.3.4.1.1 signing, 3.3.4.1.4 encryption,
// 3.3.5.5.3 key derivation), and the final assembly of a response around them.
#pragma once

#include <initializer_list>
#include <optional>
#include <vector>

#include "engine/request.hpp"

namespace smbsrv::engine {

/// Wraps `plain` in a transform header encrypted with s's EncryptionKey under the connection's
/// cipher (engine/encryption.hpp: nonces never repeat). nullopt on a crypto failure or an
/// exhausted nonce counter (the caller drops the connection).
std::optional<std::vector<std::uint8_t>> seal(ServerState& server, const ConnectionState& conn, Session& s,
                                              Bytes plain);

/// Decrypts a transformed frame (3.3.5.2.1.1) into `plain`; the session it belongs to, or null
/// when the frame must be dropped (unknown session, bad tag, no cipher).
std::shared_ptr<Session> unseal(const ConnectionState& conn, Bytes frame, std::vector<std::uint8_t>& plain);

/// MS-SMB2 3.3.5.5.3: the signing, application and cipher keys of a session that has just
/// authenticated.
void derive_keys(const ConnectionState& conn, Session& s);
/// A request that names session `session_id` without its key being this channel's (a binding,
/// or a SESSION_SETUP on a bound channel signed with the session's key): when it verifies with
/// `key` under one of `algs` (tried in order), the response is to be signed with that key and
/// algorithm, and true is returned. Otherwise nothing changes: an unverified request never
/// obtains a signature.
bool sign_with_session_key(Response& rsp, const Request& req, std::uint64_t session_id,
                           const std::vector<std::uint8_t>& key,
                           std::initializer_list<crypto::SigningAlgorithm> algs);
/// Channel.SigningKey of a channel bound with the authentication that gave `session_key`.
std::vector<std::uint8_t> channel_signing_key(const ConnectionState& conn, const std::array<std::uint8_t, 16>& session_key,
                                              const crypto::Digest64& preauth_hash);

/// Whether finish_response() will sign this response (3.3.4.1.1).
bool signs_response(const Request& req, const Response& rsp);

/// Appends the response to `out` (its header at offset `hdr`): status, credits granted, flags and
/// ids; the body or an error body; padding and NextCommand unless `last`; the signature; and the
/// 3.1.1 preauth hash updates (3.3.5.4, 3.3.5.5). Records what a related request inherits.
void finish_response(Ctx& ctx, Request& req, Response& rsp, std::vector<std::uint8_t>& out, std::size_t hdr,
                     bool last);

}  // namespace smbsrv::engine
