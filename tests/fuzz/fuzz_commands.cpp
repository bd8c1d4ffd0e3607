// The first byte selects a command; the rest is a whole SMB2 message (header + body) handed to that
// command's request decoder. Every view a decoder returns must lie inside the message.
#include <cstdint>

#include "codec/messages.hpp"

using namespace smbsrv;

namespace {
const std::uint8_t* g_begin = nullptr;
const std::uint8_t* g_end = nullptr;

void inside(Bytes b) {
  if (b.empty()) return;
  if (b.data() < g_begin || b.data() + b.size() > g_end) __builtin_trap();
  volatile std::uint8_t sink = b.front();
  sink = b.back();
  (void)sink;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Bytes msg(data + 1, size - 1);
  g_begin = msg.data();
  g_end = msg.data() + msg.size();
  using C = codec::Command;
  switch (static_cast<C>(data[0] % codec::kCommandCount)) {
    case C::negotiate:
      if (auto r = codec::decode_negotiate_request(msg))
        for (const auto& c : r->negotiate_contexts) inside(c.data);
      break;
    case C::session_setup:
      if (auto r = codec::decode_session_setup_request(msg)) inside(r->security_buffer);
      break;
    case C::logoff: (void)codec::decode_logoff_request(msg); break;
    case C::tree_connect: (void)codec::decode_tree_connect_request(msg); break;
    case C::tree_disconnect: (void)codec::decode_tree_disconnect_request(msg); break;
    case C::create:
      if (auto r = codec::decode_create_request(msg))
        for (const auto& c : r->create_contexts) { inside(c.name); inside(c.data); }
      break;
    case C::close: (void)codec::decode_close_request(msg); break;
    case C::flush: (void)codec::decode_flush_request(msg); break;
    case C::read:
      if (auto r = codec::decode_read_request(msg)) inside(r->read_channel_info);
      break;
    case C::write:
      if (auto r = codec::decode_write_request(msg)) { inside(r->data); inside(r->write_channel_info); }
      break;
    case C::lock: (void)codec::decode_lock_request(msg); break;
    case C::ioctl:
      if (auto r = codec::decode_ioctl_request(msg)) {
        inside(r->input);
        // The FSCTL input decoders, whatever the control code says.
        (void)codec::decode_set_sparse(r->input);
        (void)codec::decode_zero_data_info(r->input);
        (void)codec::decode_allocated_range_query(r->input);
        (void)codec::decode_file_level_trim(r->input);
        (void)codec::decode_set_compression(r->input);
        (void)codec::decode_file_region_input(r->input);
        (void)codec::decode_validate_negotiate_info(r->input);
        (void)codec::decode_network_resiliency_request(r->input);
      }
      break;
    case C::cancel: (void)codec::decode_cancel_request(msg); break;
    case C::echo: (void)codec::decode_echo_request(msg); break;
    case C::query_directory: (void)codec::decode_query_directory_request(msg); break;
    case C::change_notify: (void)codec::decode_change_notify_request(msg); break;
    case C::query_info:
      if (auto r = codec::decode_query_info_request(msg)) inside(r->input);
      break;
    case C::set_info:
      if (auto r = codec::decode_set_info_request(msg)) inside(r->buffer);
      break;
    case C::oplock_break: (void)codec::decode_oplock_break_ack(msg); break;
  }
  return 0;
}
