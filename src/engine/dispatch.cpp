// Per-message preconditions (MS-SMB2 3.3.5.2.x), then the command's handler.
#include "engine/dispatch.hpp"
#include "engine/security.hpp"

#include <array>

#include "log.hpp"

namespace smbsrv::engine {

using codec::Command;

namespace {

constexpr CommandRules rule(Handler h) { return CommandRules{.handler = h}; }

CommandRules make(Handler h, bool needs_tree) {
  CommandRules r = rule(h);
  r.needs_tree = needs_tree;
  return r;
}

// Indexed by Command (0x00 .. 0x12).
const std::array<CommandRules, codec::kCommandCount> kRules = [] {
  std::array<CommandRules, codec::kCommandCount> t{};
  auto at = [&](Command c) -> CommandRules& { return t[static_cast<std::size_t>(c)]; };
  at(Command::negotiate) = rule(handlers::negotiate);
  at(Command::negotiate).needs_session = false;
  at(Command::negotiate).verify_signature = false;
  at(Command::negotiate).plaintext_ok = true;
  at(Command::session_setup) = rule(handlers::session_setup);
  at(Command::session_setup).needs_session = false;
  at(Command::logoff) = rule(handlers::logoff);
  at(Command::tree_connect) = rule(handlers::tree_connect);
  at(Command::tree_disconnect) = make(handlers::tree_disconnect, true);
  at(Command::create) = make(handlers::create, true);
  at(Command::create).may_go_async = true;  // waiting for an oplock/lease break acknowledgment
  at(Command::close) = make(handlers::close, true);
  at(Command::flush) = make(handlers::flush, true);
  at(Command::read) = make(handlers::read, true);
  at(Command::read).may_go_async = true;  // on an empty named pipe, until data comes
  at(Command::write) = make(handlers::write, true);
  at(Command::lock) = make(handlers::lock, true);
  at(Command::lock).may_go_async = true;  // waiting for its range (3.3.5.14.2)
  at(Command::ioctl) = make(handlers::ioctl, true);
  at(Command::ioctl).may_go_async = true;  // FSCTL_PIPE_TRANSCEIVE on a pipe that does not answer at once
  at(Command::cancel) = rule(handlers::cancel);
  at(Command::cancel).consumes_credits = false;
  at(Command::cancel).needs_session = false;
  at(Command::cancel).unsigned_ok = true;
  at(Command::echo) = rule(handlers::echo);
  at(Command::echo).needs_session = false;
  at(Command::echo).unsigned_ok = true;
  at(Command::query_directory) = make(handlers::query_directory, true);
  at(Command::change_notify) = make(handlers::change_notify, true);
  at(Command::change_notify).may_go_async = true;  // until a change, CANCEL or CLOSE
  at(Command::query_info) = make(handlers::query_info, true);
  at(Command::set_info) = make(handlers::set_info, true);
  at(Command::set_info).may_go_async = true;  // a rename waiting for break acknowledgments (MS-FSA 2.1.5.15.11)
  at(Command::oplock_break) = rule(handlers::oplock_break);
  return t;
}();

const CommandRules kUnknown{};  // no handler: STATUS_INVALID_PARAMETER once the header checks pass

/// The session, tree, signature and encryption checks; false when rsp now holds the answer.
bool check(Ctx& ctx, Request& req, Response& rsp, const CommandRules& r) {
  auto& conn = ctx.conn;
  const auto cmd = req.hdr.command;
  // MS-SMB2 3.3.5.2: before NEGOTIATE, only NEGOTIATE is acceptable. After the SMB1 upgrade
  // (dialect 2.???), likewise: only the SMB2 NEGOTIATE may follow.
  if (!conn.negotiated() && cmd != Command::negotiate) {
    SMBSRV_LOG_DEBUG("{}: {} before NEGOTIATE: disconnect", ctx.peer, codec::command_name(cmd));
    rsp.disconnect = true;
    return false;
  }
  // 3.3.5.2.3 / 3.3.5.2.5: sequence window and CreditCharge.
  if (r.consumes_credits) {
    const std::uint16_t charge = conn.multi_credit() ? req.hdr.credit_charge : 1;
    if (!conn.sequence_window.consume(req.hdr.message_id, charge)) {
      SMBSRV_LOG_DEBUG("{}: MessageId {} (charge {}) outside the window: disconnect", ctx.peer,
                       req.hdr.message_id, charge);
      rsp.disconnect = true;
      return false;
    }
  }
  // Effective SessionId / TreeId (related operations inherit them). A first message that claims
  // to be related has nothing to inherit: it is checked (session, signature) with its own ids and
  // then failed below, so that the error is signed like any other answer.
  const bool inherits = req.related && !req.first_related_invalid;
  req.effective_session_id = inherits ? req.inherit_session : req.hdr.session_id;
  req.effective_tree_id = inherits ? req.inherit_tree : req.hdr.tree_id;
  if (req.related && req.hdr.session_id != ~0ULL && req.hdr.session_id != 0)
    req.effective_session_id = req.hdr.session_id;
  if (req.related && req.hdr.tree_id != 0xFFFFFFFFu && req.hdr.tree_id != 0) req.effective_tree_id = req.hdr.tree_id;
  // A related message that would inherit the SessionId of a message that named no session has
  // no session to inherit: INVALID_PARAMETER, as Windows answers (smbtorture compound.invalid2),
  // where the message before got USER_SESSION_DELETED. Windows signs it with the session the
  // chain had before, which the client checks it with; so does this server, when the request
  // verifies with that session's key.
  if (inherits && req.prev_session_unknown && (req.hdr.session_id == ~0ULL || req.hdr.session_id == 0)) {
    const auto& s = req.chain_session;
    if (s && !s->signing_key.empty() && (req.hdr.flags & codec::kFlagSigned) && !req.was_encrypted &&
        crypto::smb2_verify(conn.signing_algorithm(), s->signing_key, req.msg)) {
      rsp.session_for_signing = s;
      rsp.sign_anyway = true;
    }
    rsp.status = NtStatus::invalid_parameter;
    return false;
  }

  // 3.3.5.2.9: commands other than NEGOTIATE, SESSION_SETUP, ECHO and CANCEL need a valid session.
  if (req.effective_session_id != 0 || r.needs_session) {
    auto it = conn.sessions.find(req.effective_session_id);
    if (it != conn.sessions.end()) req.session = it->second;
  }
  if (r.needs_session) {
    if (!req.session) {
      auto gone = conn.logged_off.find(req.effective_session_id);
      if (gone != conn.logged_off.end() && (req.hdr.flags & codec::kFlagSigned) &&
          crypto::smb2_verify(conn.signing_algorithm(), gone->second->signing_key, req.msg))
        rsp.session_for_signing = gone->second;
      rsp.status = NtStatus::user_session_deleted;
      return false;
    }
    if (req.session->state != Session::State::valid) {
      rsp.status = req.session->state == Session::State::expired ? NtStatus::network_session_expired
                                                                 : NtStatus::user_session_deleted;
      return false;
    }
  }
  const bool in_setup = cmd == Command::session_setup && req.session && req.session->state != Session::State::valid;
  // 3.3.5.2.9: a session that must encrypt refuses plaintext requests.
  if (req.session && req.session->encrypt_data && !req.was_encrypted && !r.plaintext_ok && !in_setup) {
    rsp.status = NtStatus::access_denied;
    return false;
  }
  // 3.3.5.2.4: signature verification (an encrypted message is authenticated by its AEAD tag).
  if (req.session && !req.session->signing_key.empty() && r.verify_signature && !req.was_encrypted) {
    if (req.hdr.flags & codec::kFlagSigned) {
      if (!crypto::smb2_verify(conn.signing_algorithm(), req.session->signing_key_on(ctx.owner_id), req.msg)) {
        if (cmd == Command::cancel) {  // CANCEL is never answered (3.3.5.16), not even to refuse it
          rsp.no_response = true;
          return false;
        }
        rsp.status = NtStatus::access_denied;
        // A SESSION_SETUP on a bound channel signed with the session's key (and the algorithm
        // of its first channel) rather than the channel's (a reauthentication without
        // SMB2_SESSION_FLAG_BINDING): refused, signed with that key and algorithm, as a client
        // checks a failed SESSION_SETUP that has no channel key (smbtorture
        // smb2.session.bind_negative_smb3signCtoHs). Anything else unsigned: no signing oracle.
        bool signs = false;
        if (cmd == Command::session_setup) {
          const auto info = ctx.server.sessions.bind_info(req.session->session_id);
          signs = sign_with_session_key(rsp, req, req.session->session_id, req.session->signing_key,
                                        {conn.signing_algorithm(), info ? info->signing_algorithm : conn.signing_algorithm()});
        }
        rsp.no_sign = !signs;
        return false;
      }
      req.signed_ok = true;
    } else if (req.session->signing_required && !in_setup && !r.unsigned_ok) {
      rsp.status = NtStatus::access_denied;
      rsp.no_sign = true;
      return false;
    }
  }
  if (!r.handler) {  // an unknown command, its header otherwise sound
    rsp.status = NtStatus::invalid_parameter;
    return false;
  }
  // 3.3.5.2.7.2: the first message of a chain cannot be a related operation.
  if (req.first_related_invalid) {
    rsp.status = NtStatus::invalid_parameter;
    return false;
  }
  if (r.needs_tree) {
    auto it = req.session->tree_connects.find(req.effective_tree_id);
    if (it == req.session->tree_connects.end()) {
      rsp.status = NtStatus::network_name_deleted;
      return false;
    }
    req.tree = it->second;
    if (req.tree->encrypt_data && !req.was_encrypted) {  // 3.3.5.2.11
      rsp.status = NtStatus::access_denied;
      return false;
    }
    if (req.tree->is_ipc && r.on_ipc) {
      rsp.status = *r.on_ipc;
      return false;
    }
  }
  if (!r.may_go_async) req.may_go_async = false;
  return true;
}

}  // namespace

const CommandRules& rules_of(Command cmd) {
  const auto i = static_cast<std::size_t>(cmd);
  return i < kRules.size() ? kRules[i] : kUnknown;
}

void dispatch(Ctx& ctx, Request& req, Response& rsp) {
  const CommandRules& r = rules_of(req.hdr.command);
  if (!req.resumed && !check(ctx, req, rsp, r)) return;
  r.handler(ctx, req, rsp);
}

}  // namespace smbsrv::engine
