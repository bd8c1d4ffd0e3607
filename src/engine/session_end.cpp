// The end of a session on its own connection: LOGOFF and the PreviousSessionId teardown
// (MS-SMB2 3.3.5.6, 3.3.5.5.3) share it.
#include "engine/async.hpp"
#include "engine/handlers/durable.hpp"
#include "engine/request.hpp"

namespace smbsrv::engine {

std::vector<std::shared_ptr<Open>> Ctx::end_session(std::uint64_t sid) {
  std::vector<std::shared_ptr<Open>> to_close;
  auto it = conn.sessions.find(sid);
  if (it == conn.sessions.end()) return to_close;
  std::shared_ptr<Session> session = it->second;
  for (auto& [id, o] : conn.client->opens)
    if (o->session_id == sid) to_close.push_back(o);
  for (auto& o : to_close) unregister_open(o);
  // Durable opens outlive the session as they outlive their connection: the user reconnects them
  // from a new session (Windows and Samba: smbtorture smb2.durable-open.reopen4 after LOGOFF,
  // reopen1a after a PreviousSessionId teardown).
  std::erase_if(to_close, [&](const std::shared_ptr<Open>& o) { return handlers::keep_durable(server, o); });
  end_async_commands(
      *this, [&](const AsyncCommand& a) { return a.session_id == sid && a.command != codec::Command::lock; },
      NtStatus::cancelled);
  if (!session->signing_key.empty()) {
    if (conn.logged_off.size() >= 16) conn.logged_off.erase(conn.logged_off.begin());
    conn.logged_off[sid] = session;
  }
  conn.sessions.erase(sid);
  server.sessions.forget(sid, host.get());
  // Its other channels (multichannel) drop it too, each on its own call; until then their
  // requests on it get USER_SESSION_DELETED.
  // The channel list stays: this answer is still signed with this channel's key.
  if (std::exchange(session->state, Session::State::ended) != Session::State::ended)
    for (auto& ch : session->channels)
      if (ch.id != owner_id)
        if (auto h = ch.host.lock()) h->post_session_expired(sid);
  return to_close;
}

}  // namespace smbsrv::engine
