// The command table: each SMB2 command's handler and the preconditions the dispatcher checks
// before calling it (MS-SMB2 3.3.5.2.x), in one place instead of a ladder of special cases.
#pragma once

#include <optional>

#include "engine/request.hpp"

namespace smbsrv::engine {

using Handler = void (*)(Ctx&, Request&, Response&);

struct CommandRules {
  Handler handler = nullptr;
  bool consumes_credits = true;   // 3.3.5.2.3/3.3.5.2.5 (not CANCEL: 3.3.5.16)
  bool needs_session = true;      // 3.3.5.2.9 (not NEGOTIATE, SESSION_SETUP, ECHO, CANCEL)
  bool needs_tree = false;        // 3.3.5.2.11: TreeId must name a tree of the session
  bool verify_signature = true;   // 3.3.5.2.4 (not NEGOTIATE: no session applies yet)
  bool unsigned_ok = false;       // accepted unsigned where signing is required (CANCEL, ECHO)
  bool plaintext_ok = false;      // accepted unencrypted where the session encrypts (NEGOTIATE)
  bool may_go_async = false;      // may answer STATUS_PENDING (3.3.4.2)
  /// The answer on an IPC$ tree, for commands not served there (none yet: the handlers of the
  /// commands that work on pipes hand pipe opens to engine/handlers/pipe.cpp).
  std::optional<NtStatus> on_ipc;
};
// SESSION_SETUP on a session still authenticating is accepted unsigned and unencrypted: it is
// the exchange that establishes the keys (dispatch() checks that case itself).

/// The rules of a known command (Command < kCommandCount).
const CommandRules& rules_of(codec::Command cmd);

/// Checks the preconditions of req's command, then runs its handler; anything that fails leaves
/// an error (or a disconnect) in rsp. Requests that resume after STATUS_PENDING skip the checks:
/// they passed them when they arrived.
void dispatch(Ctx& ctx, Request& req, Response& rsp);

namespace handlers {
// engine/handlers/*.cpp: each appends a response body to rsp, sets an error, defers a job, or
// goes async.
void negotiate(Ctx&, Request&, Response&);
void session_setup(Ctx&, Request&, Response&);
void logoff(Ctx&, Request&, Response&);
void tree_connect(Ctx&, Request&, Response&);
void tree_disconnect(Ctx&, Request&, Response&);
void create(Ctx&, Request&, Response&);
void close(Ctx&, Request&, Response&);
void flush(Ctx&, Request&, Response&);
void read(Ctx&, Request&, Response&);
void write(Ctx&, Request&, Response&);
void lock(Ctx&, Request&, Response&);
void ioctl(Ctx&, Request&, Response&);
void cancel(Ctx&, Request&, Response&);
void echo(Ctx&, Request&, Response&);
void query_directory(Ctx&, Request&, Response&);
void change_notify(Ctx&, Request&, Response&);
void query_info(Ctx&, Request&, Response&);
void set_info(Ctx&, Request&, Response&);
void oplock_break(Ctx&, Request&, Response&);
/// MS-SMB2 3.3.5.3: an SMB1 NEGOTIATE that lists SMB2 dialects; answers into ctx.out.
void smb1_negotiate(Ctx& ctx, Bytes frame);
}  // namespace handlers

}  // namespace smbsrv::engine
