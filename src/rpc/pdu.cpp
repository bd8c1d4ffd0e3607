// Connection-oriented DCE/RPC PDU codec (C706 12.6, MS-RPCE 2.2.2).
#include "rpc/pdu.hpp"

#include <algorithm>

#include "util/byte_writer.hpp"

namespace smbsrv::rpc {

namespace {

constexpr std::size_t kSyntaxIdSize = 20;  // uuid + u32 version
constexpr std::size_t kContextElemMin = 4 + 2 * kSyntaxIdSize;  // one transfer syntax at least

CommonHeader read_header(ByteReader& r) {
  CommonHeader h;
  h.rpc_vers = r.u8();
  h.rpc_vers_minor = r.u8();
  h.ptype = r.u8();
  h.pfc_flags = r.u8();
  for (auto& d : h.drep) d = r.u8();
  h.frag_length = r.u16();
  h.auth_length = r.u16();
  h.call_id = r.u32();
  return h;
}

void write_header(ByteWriter& w, const CommonHeader& h) {
  w.u8(h.rpc_vers);
  w.u8(h.rpc_vers_minor);
  w.u8(h.ptype);
  w.u8(h.pfc_flags);
  for (auto d : h.drep) w.u8(d);
  w.u16(0);  // frag_length: patched by finish()
  w.u16(h.auth_length);
  w.u32(h.call_id);
}

std::vector<std::uint8_t> finish(std::vector<std::uint8_t>& out) {
  ByteWriter w(out);
  w.put_u16(8, static_cast<std::uint16_t>(out.size()));
  return std::move(out);
}

// A body reader over the PDU: the header is read again so positions are PDU offsets (the bind_ack
// pad after sec_addr is aligned to the PDU start).
ByteReader body_reader(Bytes pdu, CommonHeader& h) {
  ByteReader r(pdu);
  h = read_header(r);
  if (r.ok() && h.frag_length != pdu.size()) r.fail();
  return r;
}

SyntaxId read_syntax(ByteReader& r) {
  SyntaxId s;
  Bytes u = r.bytes(16);
  if (r.ok()) std::copy(u.begin(), u.end(), s.uuid.bytes.begin());
  std::uint32_t version = r.u32();
  s.major = static_cast<std::uint16_t>(version & 0xFFFF);
  s.minor = static_cast<std::uint16_t>(version >> 16);
  return s;
}

void write_syntax(ByteWriter& w, const SyntaxId& s) {
  w.bytes(s.uuid.bytes);
  w.u32(static_cast<std::uint32_t>(s.major) | (static_cast<std::uint32_t>(s.minor) << 16));
}

void align_reader(ByteReader& r, std::size_t n) {
  std::size_t mis = r.pos() % n;
  if (mis != 0) r.skip(n - mis);
}

}  // namespace

std::optional<CommonHeader> decode_header(Bytes pdu) {
  ByteReader r(pdu);
  CommonHeader h = read_header(r);
  if (!r.ok()) return std::nullopt;
  return h;
}

bool drep_supported(const CommonHeader& h) {
  // drep[0]: high nibble integer representation (1 = little-endian), low nibble character set
  // (0 = ASCII); drep[1]: floating point (0 = IEEE). C706 14.1.
  return (h.drep[0] & 0xF0) == 0x10 && (h.drep[0] & 0x0F) == 0 && h.drep[1] == 0;
}

std::optional<SplitPdu> split_pdu(Bytes message) {
  auto h = decode_header(message);
  if (!h || h->frag_length < kHeaderSize || h->frag_length > message.size()) return std::nullopt;
  return SplitPdu{*h, message.first(h->frag_length)};
}

std::optional<BindPdu> decode_bind(Bytes pdu) {
  BindPdu p;
  ByteReader r = body_reader(pdu, p.hdr);
  p.max_xmit_frag = r.u16();
  p.max_recv_frag = r.u16();
  p.assoc_group_id = r.u32();
  // p_cont_list_t: n_context_elem (u8), reserved (u8), reserved2 (u16), then the elements.
  std::uint8_t n = r.u8();
  r.skip(3);
  if (!r.ok() || n > r.remaining() / kContextElemMin) return std::nullopt;
  p.contexts.reserve(n);
  for (std::uint8_t i = 0; i < n; ++i) {
    ContextElem e;
    e.context_id = r.u16();
    std::uint8_t nt = r.u8();
    r.skip(1);
    e.abstract_syntax = read_syntax(r);
    if (!r.ok() || nt == 0 || nt > r.remaining() / kSyntaxIdSize) return std::nullopt;
    e.transfer_syntaxes.reserve(nt);
    for (std::uint8_t t = 0; t < nt; ++t) e.transfer_syntaxes.push_back(read_syntax(r));
    if (!r.ok()) return std::nullopt;
    p.contexts.push_back(std::move(e));
  }
  if (!r.ok()) return std::nullopt;
  return p;
}

std::vector<std::uint8_t> encode_bind(const BindPdu& p) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  write_header(w, p.hdr);
  w.u16(p.max_xmit_frag);
  w.u16(p.max_recv_frag);
  w.u32(p.assoc_group_id);
  w.u8(static_cast<std::uint8_t>(p.contexts.size()));
  w.zeros(3);
  for (const auto& e : p.contexts) {
    w.u16(e.context_id);
    w.u8(static_cast<std::uint8_t>(e.transfer_syntaxes.size()));
    w.u8(0);
    write_syntax(w, e.abstract_syntax);
    for (const auto& t : e.transfer_syntaxes) write_syntax(w, t);
  }
  return finish(out);
}

std::vector<std::uint8_t> encode_bind_ack(const BindAckPdu& p) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  write_header(w, p.hdr);
  w.u16(p.max_xmit_frag);
  w.u16(p.max_recv_frag);
  w.u32(p.assoc_group_id);
  // port_any_t: length including the NUL (0 for none), the ASCII string, then align 4 relative to
  // the PDU (C706 12.6.4.4).
  if (p.secondary_address.empty()) {
    w.u16(0);
  } else {
    w.u16(static_cast<std::uint16_t>(p.secondary_address.size() + 1));
    w.bytes(std::span(reinterpret_cast<const std::uint8_t*>(p.secondary_address.data()),
                      p.secondary_address.size()));
    w.u8(0);
  }
  w.align(4);
  // p_result_list_t: n_results (u8), reserved (u8), reserved2 (u16), p_result_t[].
  w.u8(static_cast<std::uint8_t>(p.results.size()));
  w.zeros(3);
  for (const auto& res : p.results) {
    w.u16(res.result);
    w.u16(res.reason);
    write_syntax(w, res.transfer_syntax);
  }
  return finish(out);
}

std::optional<BindAckPdu> decode_bind_ack(Bytes pdu) {
  BindAckPdu p;
  ByteReader r = body_reader(pdu, p.hdr);
  p.max_xmit_frag = r.u16();
  p.max_recv_frag = r.u16();
  p.assoc_group_id = r.u32();
  std::uint16_t len = r.u16();
  Bytes addr = r.bytes(len);
  if (!r.ok()) return std::nullopt;
  if (len != 0) {
    if (addr[len - 1] != 0) return std::nullopt;
    p.secondary_address.assign(addr.begin(), addr.end() - 1);
  }
  align_reader(r, 4);
  std::uint8_t n = r.u8();
  r.skip(3);
  if (!r.ok() || n > r.remaining() / (4 + kSyntaxIdSize)) return std::nullopt;
  p.results.resize(n);
  for (auto& res : p.results) {
    res.result = r.u16();
    res.reason = r.u16();
    res.transfer_syntax = read_syntax(r);
  }
  if (!r.ok()) return std::nullopt;
  return p;
}

std::vector<std::uint8_t> encode_bind_nak(const BindNakPdu& p) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  write_header(w, p.hdr);
  w.u16(p.reason);
  w.u8(static_cast<std::uint8_t>(p.versions.size()));
  for (auto [major, minor] : p.versions) {
    w.u8(major);
    w.u8(minor);
  }
  w.align(4);
  return finish(out);
}

std::optional<BindNakPdu> decode_bind_nak(Bytes pdu) {
  BindNakPdu p;
  ByteReader r = body_reader(pdu, p.hdr);
  p.reason = r.u16();
  // MS-RPCE 2.2.2.5: the versions list may be absent when nothing follows the reason.
  if (r.ok() && r.remaining() > 0) {
    std::uint8_t n = r.u8();
    if (!r.ok() || n > r.remaining() / 2) return std::nullopt;
    for (std::uint8_t i = 0; i < n; ++i) {
      std::uint8_t major = r.u8();
      std::uint8_t minor = r.u8();
      p.versions.emplace_back(major, minor);
    }
  }
  if (!r.ok()) return std::nullopt;
  return p;
}

std::optional<RequestPdu> decode_request(Bytes pdu) {
  RequestPdu p;
  ByteReader r = body_reader(pdu, p.hdr);
  p.alloc_hint = r.u32();
  p.context_id = r.u16();
  p.opnum = r.u16();
  if (p.hdr.pfc_flags & kPfcObjectUuid) {
    Uuid u;
    Bytes b = r.bytes(16);
    if (r.ok()) std::copy(b.begin(), b.end(), u.bytes.begin());
    p.object = u;
  }
  if (!r.ok() || p.hdr.auth_length != 0) return std::nullopt;  // no auth verifier on these pipes
  p.stub = r.rest();
  return p;
}

std::vector<std::uint8_t> encode_request(const RequestPdu& p) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  CommonHeader h = p.hdr;
  h.ptype = static_cast<std::uint8_t>(PType::request);
  if (p.object) h.pfc_flags |= kPfcObjectUuid;
  write_header(w, h);
  w.u32(p.alloc_hint);
  w.u16(p.context_id);
  w.u16(p.opnum);
  if (p.object) w.bytes(p.object->bytes);
  w.bytes(p.stub);
  return finish(out);
}

std::vector<std::uint8_t> encode_response(const ResponsePdu& p) {
  std::vector<std::uint8_t> out;
  out.reserve(kResponseHeaderSize + p.stub.size());
  ByteWriter w(out);
  write_header(w, p.hdr);
  w.u32(p.alloc_hint);
  w.u16(p.context_id);
  w.u8(p.cancel_count);
  w.u8(0);
  w.bytes(p.stub);
  return finish(out);
}

std::optional<ResponsePdu> decode_response(Bytes pdu) {
  ResponsePdu p;
  ByteReader r = body_reader(pdu, p.hdr);
  p.alloc_hint = r.u32();
  p.context_id = r.u16();
  p.cancel_count = r.u8();
  r.skip(1);
  if (!r.ok() || p.hdr.auth_length != 0) return std::nullopt;
  p.stub = r.rest();
  return p;
}

std::vector<std::uint8_t> encode_fault(const FaultPdu& p) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  write_header(w, p.hdr);
  w.u32(p.alloc_hint);
  w.u16(p.context_id);
  w.u8(p.cancel_count);
  w.u8(0);
  w.u32(p.status);
  w.u32(0);  // reserved2: pads the PDU to 8 (C706 12.6.4.7)
  return finish(out);
}

std::optional<FaultPdu> decode_fault(Bytes pdu) {
  FaultPdu p;
  ByteReader r = body_reader(pdu, p.hdr);
  p.alloc_hint = r.u32();
  p.context_id = r.u16();
  p.cancel_count = r.u8();
  r.skip(1);
  p.status = r.u32();
  r.skip(4);  // reserved2
  if (!r.ok()) return std::nullopt;
  return p;
}

SyntaxId ndr20_syntax() { return {uuid_from_string("8a885d04-1ceb-11c9-9fe8-08002b104860"), 2, 0}; }
SyntaxId ndr64_syntax() { return {uuid_from_string("71710533-beba-4937-8319-b5dbef9ccc36"), 1, 0}; }

std::optional<std::uint16_t> btfn_bits(const SyntaxId& s) {
  static const Uuid prefix = uuid_from_string("6cb71c2c-9812-4540-0000-000000000000");
  // The first 8 octets (time_low, time_mid, time_hi) and the last 6 must match; octets 8-9 (the
  // clock_seq field as it appears on the wire) carry the bits, little-endian.
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 8 || i == 9) continue;
    if (s.uuid.bytes[i] != prefix.bytes[i]) return std::nullopt;
  }
  return static_cast<std::uint16_t>(s.uuid.bytes[8] | (s.uuid.bytes[9] << 8));
}

}  // namespace smbsrv::rpc
