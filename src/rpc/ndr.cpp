// NDR20 little-endian writer and reader (see ndr.hpp for the rules they implement).
#include "rpc/ndr.hpp"

#include <algorithm>

#include "util/utf16.hpp"

namespace smbsrv::rpc {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

}  // namespace

Uuid uuid_from_string(std::string_view text) {
  // "tttttttt-mmmm-hhhh-cccc-nnnnnnnnnnnn": the first three fields are integers (little-endian in
  // NDR20 LE, C706 appendix A), the last 8 octets are bytes in order.
  std::array<std::uint8_t, 16> be{};
  std::size_t k = 0;
  for (std::size_t i = 0; i + 1 < text.size() && k < 16;) {
    if (text[i] == '-') { ++i; continue; }
    be[k++] = static_cast<std::uint8_t>(hex_digit(text[i]) * 16 + hex_digit(text[i + 1]));
    i += 2;
  }
  Uuid u;
  u.bytes = {be[3], be[2], be[1], be[0], be[5], be[4], be[7], be[6],
             be[8], be[9], be[10], be[11], be[12], be[13], be[14], be[15]};
  return u;
}

// ---- writer ----

void NdrWriter::le(std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) buf_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void NdrWriter::align(std::size_t n) {
  while (buf_.size() % n != 0) buf_.push_back(0);
}
void NdrWriter::u8(std::uint8_t v) { buf_.push_back(v); }
void NdrWriter::u16(std::uint16_t v) { align(2); le(v, 2); }
void NdrWriter::u32(std::uint32_t v) { align(4); le(v, 4); }
void NdrWriter::u64(std::uint64_t v) { align(8); le(v, 8); }
void NdrWriter::raw(std::span<const std::uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
void NdrWriter::uuid(const Uuid& u) { align(4); raw(u.bytes); }
void NdrWriter::context_handle(const ContextHandle& h) { u32(h.attributes); raw(h.uuid.bytes); }

void NdrWriter::wstring(std::string_view utf8) {
  std::vector<std::uint8_t> chars = to_utf16le(utf8);
  auto n = static_cast<std::uint32_t>(chars.size() / 2 + 1);  // with the NUL
  conformance(n);
  variance(0, n);
  raw(chars);
  le(0, 2);
}

void NdrWriter::sid(const codec::Sid& s) {
  auto n = static_cast<std::uint8_t>(s.sub_authorities.size());
  conformance(n);
  u8(s.revision);
  u8(n);
  raw(s.authority);
  for (std::uint32_t a : s.sub_authorities) u32(a);
}

std::uint32_t NdrWriter::next_referent() {
  std::uint32_t id = referent_;
  referent_ += 4;
  return id;
}

void NdrWriter::pointer(bool present, std::function<void()> body) {
  if (frames_.empty()) ok_ = false;  // embedded pointer outside param(): caller bug
  u32(present ? next_referent() : 0);
  if (!present) return;
  if (frames_.empty()) {
    frame(std::move(body));  // keep the bytes sane; ok() already reports the misuse
  } else {
    frames_.back().push_back(std::move(body));
  }
}

void NdrWriter::frame(std::function<void()> fn) {
  // depth_ counts the nesting of constructs and deferred bodies (the C++ recursion), which the
  // frame stack alone does not: a construct's frame is popped before its referents run.
  if (depth_ >= kNdrMaxDepth) { ok_ = false; return; }
  ++depth_;
  frames_.emplace_back();
  fn();
  std::vector<std::function<void()>> deferred = std::move(frames_.back());
  frames_.pop_back();
  // Each deferred referent is a construct of its own: its embedded pointers follow it before the
  // next sibling referent (C706 14.3.12.3, depth first).
  for (auto& body : deferred) frame(std::move(body));
  --depth_;
}

void NdrWriter::unique_wstring(std::optional<std::string_view> s) {
  std::string copy = s ? std::string(*s) : std::string();
  unique(s.has_value(), [this, copy] { wstring(copy); });
}

void NdrWriter::unique_wstring_param(std::optional<std::string_view> s) {
  unique_param(s.has_value(), [&] { wstring(*s); });
}

void NdrWriter::unicode_string(std::string_view utf8) {
  std::vector<std::uint8_t> chars = to_utf16le(utf8);
  auto bytes = static_cast<std::uint16_t>(chars.size() > 0xFFFE ? 0xFFFE : chars.size());
  chars.resize(bytes);
  // The structure aligns to its largest member, the 4-byte pointer (C706 14.2.5): a Length after
  // a 2-byte member (LSAPR_TRANSLATED_NAME's Use) starts on the next 4-byte boundary.
  align(4);
  u16(bytes);  // Length
  u16(bytes);  // MaximumLength
  unique(bytes != 0, [this, chars = std::move(chars)] {
    auto n = static_cast<std::uint32_t>(chars.size() / 2);
    conformance(n);
    variance(0, n);
    raw(chars);
  });
}

// ---- reader ----

void NdrReader::align(std::size_t n) {
  std::size_t mis = r_.pos() % n;
  if (mis != 0) r_.skip(n - mis);
}
std::uint16_t NdrReader::u16() { align(2); return r_.u16(); }
std::uint32_t NdrReader::u32() { align(4); return r_.u32(); }
std::uint64_t NdrReader::u64() { align(8); return r_.u64(); }

Uuid NdrReader::uuid() {
  align(4);
  Uuid u;
  Bytes b = r_.bytes(16);
  if (ok()) std::copy(b.begin(), b.end(), u.bytes.begin());
  return u;
}

ContextHandle NdrReader::context_handle() {
  ContextHandle h;
  h.attributes = u32();
  Bytes b = r_.bytes(16);
  if (ok()) std::copy(b.begin(), b.end(), h.uuid.bytes.begin());
  return h;
}

std::uint32_t NdrReader::conformance(std::size_t elem_size) {
  std::uint32_t n = u32();
  if (!ok()) return 0;
  if (elem_size == 0) elem_size = 1;
  if (n > remaining() / elem_size) { fail(); return 0; }
  return n;
}

std::uint32_t NdrReader::variance(std::uint32_t max_count, std::size_t elem_size) {
  std::uint32_t offset = u32();
  std::uint32_t actual = u32();
  if (!ok()) return 0;
  if (elem_size == 0) elem_size = 1;
  if (offset != 0 || actual > max_count || actual > remaining() / elem_size) { fail(); return 0; }
  return actual;
}

std::string NdrReader::wstring() {
  // max_count may exceed what is sent (it is the callee's buffer size): only actual_count bytes
  // follow, and only they are checked against the input.
  std::uint32_t max = u32();
  std::uint32_t n = variance(max, 2);
  if (!ok()) return {};
  if (n == 0) { fail(); return {}; }  // [string]: at least the NUL
  Bytes b = r_.bytes(std::size_t{n} * 2);
  if (!ok()) return {};
  std::size_t body = (std::size_t{n} - 1) * 2;
  if (b[body] != 0 || b[body + 1] != 0) { fail(); return {}; }
  // The string ends at its first NUL; what follows is padding of the sender's buffer (impacket
  // sends a ServerName of ten NULs, which Windows takes as "").
  for (std::size_t i = 0; i < body; i += 2) {
    if (b[i] == 0 && b[i + 1] == 0) {
      body = i;
      break;
    }
  }
  std::optional<std::string> s = utf16le_to_utf8(b.first(body));
  if (!s) { fail(); return {}; }
  return std::move(*s);
}

codec::Sid NdrReader::sid() {
  codec::Sid s;
  std::uint32_t count = u32();
  s.revision = u8();
  std::uint8_t n = u8();
  Bytes auth = r_.bytes(6);
  if (!ok() || count != n || n > codec::kMaxSubAuthorities || std::size_t{n} * 4 > remaining()) {
    fail();
    return {};
  }
  std::copy(auth.begin(), auth.end(), s.authority.begin());
  s.sub_authorities.resize(n);
  for (auto& a : s.sub_authorities) a = u32();
  if (!ok()) return {};
  return s;
}

bool NdrReader::pointer(bool required, std::function<void()> body) {
  std::uint32_t id = u32();
  if (!ok()) return false;
  if (frames_.empty()) { fail(); return false; }  // embedded pointer outside param(): caller bug
  if (id == 0) {
    if (required) fail();
    return false;
  }
  frames_.back().push_back(std::move(body));
  return true;
}

void NdrReader::frame(std::function<void()> fn) {
  if (!ok()) return;
  if (depth_ >= kNdrMaxDepth) { fail(); return; }
  ++depth_;
  frames_.emplace_back();
  fn();
  std::vector<std::function<void()>> deferred = std::move(frames_.back());
  frames_.pop_back();
  for (auto& body : deferred) {
    if (!ok()) break;
    frame(std::move(body));
  }
  --depth_;
}

void NdrReader::unique_wstring(std::optional<std::string>& out) {
  out.reset();
  unique([this, &out] { out = wstring(); });
}

std::optional<std::string> NdrReader::unique_wstring_param() {
  std::optional<std::string> out;
  unique_param([&] { out = wstring(); });
  if (!ok()) return std::nullopt;
  return out;
}

void NdrReader::unicode_string(std::string& out) {
  out.clear();
  align(4);  // see NdrWriter::unicode_string
  std::uint16_t length = u16();
  std::uint16_t max_length = u16();
  if (!ok()) return;
  if (length % 2 != 0 || length > max_length) { fail(); return; }
  unique([this, &out, length] {
    std::uint32_t max = u32();
    std::uint32_t n = variance(max, 2);
    if (!ok()) return;
    if (std::size_t{n} * 2 != length) { fail(); return; }
    Bytes b = r_.bytes(length);
    if (!ok()) return;
    // No NUL is required (MS-DTYP 2.3.10); some clients count one in Length: drop it.
    if (b.size() >= 2 && b[b.size() - 2] == 0 && b[b.size() - 1] == 0) b = b.first(b.size() - 2);
    for (std::size_t i = 0; i + 1 < b.size(); i += 2) {
      if (b[i] == 0 && b[i + 1] == 0) { fail(); return; }  // a NUL inside: no name has one
    }
    std::optional<std::string> s = utf16le_to_utf8(b);
    if (!s) { fail(); return; }
    out = std::move(*s);
  });
}

}  // namespace smbsrv::rpc
