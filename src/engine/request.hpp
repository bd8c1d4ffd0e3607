// The per-message working state of Connection (private to the engine).
#pragma once

#include <optional>
#include <vector>

#include "engine/connection.hpp"

namespace smbsrv::engine {

struct Connection::Request {
  Bytes msg;  // the whole message, header first
  codec::Header hdr;
  std::size_t index = 0;
  bool sole = false;  // the only message of its frame (no compound)
  bool related = false;
  bool first_related_invalid = false;
  bool signed_ok = false;
  bool was_encrypted = false;  // arrived inside a transform header
  std::uint16_t charge = 1;
  bool may_go_async = false;              // last of its chain: a break may make it wait (3.3.4.2)
  std::optional<std::uint64_t> async_id;  // went async: interim and final use this AsyncId
  bool resumed = false;                   // the final response of an async request
  // Related-operation inheritance (3.3.5.2.7.2)
  std::uint64_t inherit_session = 0;
  std::uint32_t inherit_tree = 0;
  std::optional<NtStatus> prev_status;
  std::optional<codec::FileId> prev_file_id;
  // Resolved by handle_one()
  std::uint64_t effective_session_id = 0;
  std::uint32_t effective_tree_id = 0;
  std::shared_ptr<Session> session;
  std::shared_ptr<TreeConnect> tree;
  // Filled in by finish_response(), read by the next related message
  NtStatus final_status = NtStatus::success;
  std::optional<codec::FileId> out_file_id;
};

struct Connection::Response {
  NtStatus status = NtStatus::success;
  /// The response: a 64-byte placeholder for the header, then the body (see BodyBuilder). A single
  /// response becomes the output frame without a copy; finish_response() fills the header in.
  std::vector<std::uint8_t> buf;
  bool has_body = false;           // a body to send even though status is an error severity
  bool no_response = false;        // CANCEL
  bool disconnect = false;
  bool send_before_disconnect = false;
  bool no_sign = false;
  bool sign_anyway = false;        // final SESSION_SETUP (3.3.5.5.3)
  bool negotiated_311 = false;
  std::shared_ptr<Session> session_for_signing;
  std::optional<std::uint64_t> session_id_out;
  std::optional<std::uint32_t> tree_id_out;
  std::optional<codec::FileId> file_id_out;
  FileTail tail;  // a zero-copy READ's data (Output::tail)

  /// Bodies are built in a buffer that starts with a 64-byte placeholder header, so encoders can
  /// compute offsets from the header start (hdr = 0); set_body() takes the buffer over.
  struct BodyBuilder {
    BodyBuilder() = default;
    /// Over a buffer (from BufferPool::take) whose first 64 bytes are the placeholder.
    explicit BodyBuilder(std::vector<std::uint8_t>&& b) : buf(std::move(b)) {}
    std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(codec::kHeaderSize, 0);
    ByteWriter w{buf};
  };
  void set_body(std::vector<std::uint8_t>& with_header) {
    buf.swap(with_header);
    has_body = true;
  }
  void fail(NtStatus s) {
    status = s;
    has_body = false;
    buf.clear();
  }
};

}  // namespace smbsrv::engine
