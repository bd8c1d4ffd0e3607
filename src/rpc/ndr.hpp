// NDR20, little-endian (C706 chapter 14 as profiled by MS-RPCE 2.2.5): the stub-data encoding of
// the DCE/RPC services on the named pipes. One writer and one reader, both checked.
//
// Rules both sides implement (so the services do not repeat them):
//  - Every primitive is aligned to its size, relative to the start of the stub (C706 14.2.2);
//    a structure aligns to its largest member: a caller starting a structure whose first member is
//    smaller calls align(n) first.
//  - Enums are 16-bit on the wire (C706 14.2.5); 32-bit ones are declared [v1_enum] and are u32.
//  - Pointers (C706 14.3.10-12): a top-level [ref] pointer has no wire form; a top-level [unique]
//    pointer is a referent id (0 = null) followed at once by its referent. An EMBEDDED pointer
//    (in a structure or an array) is a referent id whose referent is deferred until after the
//    outermost construct that contains it (14.3.12.3), depth first.
//
// Deferral is structural here: write each top-level parameter with param()/unique_param(), and
// embedded pointers with unique()/ref()/full(), whose bodies are queued and run when the enclosing
// param (or the enclosing deferred body) ends. Nested bodies get the same treatment. So the order
// is right by construction; an embedded pointer written outside any param is a programming error
// that makes ok() false.
//
//   // NetrShareEnum response, level 1 (MS-SRVS 3.1.4.8):
//   NdrWriter w;
//   w.param([&] {                             // [in,out,ref] LPSHARE_ENUM_STRUCT InfoStruct
//     w.u32(1);                               // Level
//     w.u32(1);                               // union switch
//     w.unique(true, [&] {                    // SHARE_INFO_1_CONTAINER*
//       w.u32(n);                             // EntriesRead
//       w.unique(n != 0, [&] {                // SHARE_INFO_1* Buffer
//         w.conformance(n);
//         for (auto& s : shares) { w.unique_wstring(s.name); w.u32(s.type); w.unique_wstring(s.comment); }
//       });                                   // the names/comments follow the whole array
//     });
//   });
//   w.param([&] { w.u32(total); });           // [out] DWORD* TotalEntries
//   ...
//
// The reader mirrors it: bodies given to unique()/ref() run after the enclosing construct, and
// capture references to where they store (so size a vector before taking element references).
// Every count is checked against the bytes left before anything is allocated, the depth of nested
// deferred bodies is bounded, and a failure is sticky (like ByteReader).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/security_descriptor.hpp"  // codec::Sid
#include "rpc/rpc.hpp"                     // Uuid
#include "util/byte_reader.hpp"

namespace smbsrv::rpc {

/// An RPC context handle on the wire (ndr_context_handle, C706 14.3.3 / MS-RPCE 2.2.5.3.4.1):
/// attributes (0) and a UUID, 20 bytes, aligned 4. All zero is the null handle.
struct ContextHandle {
  std::uint32_t attributes = 0;
  Uuid uuid;
  bool is_null() const { return attributes == 0 && uuid == Uuid{}; }
  friend bool operator==(const ContextHandle&, const ContextHandle&) = default;
};

/// Nesting bound for deferred bodies (a structure's referent containing pointers containing
/// pointers ...). The services' types nest a handful of levels; hostile input cannot recurse past
/// this.
inline constexpr int kNdrMaxDepth = 32;

class NdrWriter {
 public:
  NdrWriter() = default;
  NdrWriter(const NdrWriter&) = delete;
  NdrWriter& operator=(const NdrWriter&) = delete;

  /// False when an embedded pointer was written outside any param() (a bug in the caller).
  bool ok() const { return ok_; }
  std::size_t size() const { return buf_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return buf_; }
  std::vector<std::uint8_t> take() { return std::move(buf_); }

  void align(std::size_t n);
  void u8(std::uint8_t v);
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void hyper(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void enum16(std::uint16_t v) { u16(v); }
  /// Raw octets (a byte array's elements), no alignment.
  void raw(std::span<const std::uint8_t> b);
  void uuid(const Uuid& u);                     // GUID: aligned 4, 16 octets
  void context_handle(const ContextHandle& h);  // aligned 4, 20 octets
  /// Conformance (max_count) of a conformant array, u32. For a conformant structure it comes
  /// first, before the structure's other members (C706 14.3.7.1).
  void conformance(std::uint32_t max_count) { u32(max_count); }
  /// Variance (offset, actual_count) of a varying array.
  void variance(std::uint32_t offset, std::uint32_t actual_count) { u32(offset); u32(actual_count); }

  /// A [string] wchar_t array (conformant varying, C706 14.3.4): max_count = actual_count =
  /// characters incl. the terminating NUL, offset 0, then UTF-16LE with the NUL. Invalid UTF-8 is
  /// replaced (U+FFFD). This is the referent itself: use it inside a pointer body or inline.
  void wstring(std::string_view utf8);
  /// RPC_SID (MS-DTYP 2.4.2.3), a conformant structure: the sub-authority count as max_count,
  /// Revision, SubAuthorityCount, IdentifierAuthority[6], SubAuthority[] (aligned 4). The referent
  /// itself (PRPC_SID is a pointer to this).
  void sid(const codec::Sid& s);

  /// One top-level parameter: fn's output, then every referent fn deferred (recursively).
  template <class F> void param(F&& fn) { frame(std::function<void()>(std::forward<F>(fn))); }
  /// A top-level [unique] pointer parameter: referent id or 0, then (if present) the referent at
  /// once, itself a construct whose embedded pointers follow it.
  template <class F> void unique_param(bool present, F&& body) {
    u32(present ? next_referent() : 0);
    if (present) frame(std::function<void()>(std::forward<F>(body)));
  }
  /// Embedded [unique] pointer: referent id (or 0 when !present); body deferred.
  template <class F> void unique(bool present, F&& body) {
    pointer(present, std::function<void()>(std::forward<F>(body)));
  }
  /// Embedded [ptr] (full) pointer: written like unique (no aliasing: each referent once).
  template <class F> void full(bool present, F&& body) { unique(present, std::forward<F>(body)); }
  /// Embedded [ref] pointer: a non-zero referent id; body deferred.
  template <class F> void ref(F&& body) { pointer(true, std::function<void()>(std::forward<F>(body))); }

  /// Embedded `[unique, string] wchar_t*`: null when nullopt.
  void unique_wstring(std::optional<std::string_view> s);
  /// Top-level `[unique, string] wchar_t*` parameter.
  void unique_wstring_param(std::optional<std::string_view> s);
  /// RPC_UNICODE_STRING (MS-DTYP 2.3.10), embedded: Length, MaximumLength (bytes, no NUL), a
  /// [unique] pointer to a conformant varying WCHAR array of Length/2 characters (deferred). An
  /// empty string is written with a null Buffer. Use inside param() or a deferred body.
  void unicode_string(std::string_view utf8);

 private:
  std::uint32_t next_referent();
  void pointer(bool present, std::function<void()> body);
  void frame(std::function<void()> fn);
  void le(std::uint64_t v, int n);

  std::vector<std::uint8_t> buf_;
  std::vector<std::vector<std::function<void()>>> frames_;  // deferred bodies per open construct
  int depth_ = 0;
  std::uint32_t referent_ = 0x00020000;
  bool ok_ = true;
};

class NdrReader {
 public:
  explicit NdrReader(Bytes stub) : r_(stub) {}
  NdrReader(const NdrReader&) = delete;
  NdrReader& operator=(const NdrReader&) = delete;

  bool ok() const { return r_.ok(); }
  void fail() { r_.fail(); }
  std::size_t pos() const { return r_.pos(); }
  std::size_t remaining() const { return r_.remaining(); }

  void align(std::size_t n);
  std::uint8_t u8() { return r_.u8(); }
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t hyper() { return static_cast<std::int64_t>(u64()); }
  std::uint16_t enum16() { return u16(); }
  Bytes raw(std::size_t n) { return r_.bytes(n); }
  Uuid uuid();
  ContextHandle context_handle();

  /// max_count of a conformant array whose elements take at least `elem_size` octets each (> 0):
  /// fails when the count could not fit in the bytes left, so a caller may size a vector with it.
  std::uint32_t conformance(std::size_t elem_size);
  /// offset and actual_count of a varying array: offset must be 0 and actual <= max_count and
  /// fit in what is left (elem_size octets each). Returns actual_count.
  std::uint32_t variance(std::uint32_t max_count, std::size_t elem_size);

  /// A [string] wchar_t array (the referent): checks offset 0, actual <= max, the terminating
  /// NUL, valid UTF-16; returns it as UTF-8 without the NUL.
  std::string wstring();
  /// RPC_SID (the referent): count == SubAuthorityCount <= 15.
  codec::Sid sid();

  /// One top-level parameter: fn, then the referents it deferred. Returns ok().
  template <class F> bool param(F&& fn) { frame(std::function<void()>(std::forward<F>(fn))); return ok(); }
  /// A top-level [unique] pointer parameter: returns whether it was non-null (body ran).
  template <class F> bool unique_param(F&& body) {
    std::uint32_t id = u32();
    if (!ok() || id == 0) return false;
    frame(std::function<void()>(std::forward<F>(body)));
    return ok();
  }
  /// Embedded [unique] pointer: returns whether non-null; body deferred.
  template <class F> bool unique(F&& body) { return pointer(false, std::function<void()>(std::forward<F>(body))); }
  /// Embedded [ptr] (full) pointer: read like unique (a repeated referent id is not resolved to
  /// an alias; the services' IDL uses [unique]).
  template <class F> bool full(F&& body) { return unique(std::forward<F>(body)); }
  /// Embedded [ref] pointer: the referent id must be non-zero; body deferred.
  template <class F> void ref(F&& body) { pointer(true, std::function<void()>(std::forward<F>(body))); }

  /// Embedded `[unique, string] wchar_t*` into `out` (nullopt when null; filled when deferred
  /// bodies run).
  void unique_wstring(std::optional<std::string>& out);
  /// Top-level `[unique, string] wchar_t*` parameter.
  std::optional<std::string> unique_wstring_param();
  /// RPC_UNICODE_STRING, embedded: `out` is filled when the deferred body runs (empty for a null
  /// Buffer). Checks Length even, Length <= MaximumLength, and the array's counts against them.
  void unicode_string(std::string& out);

 private:
  bool pointer(bool required, std::function<void()> body);
  void frame(std::function<void()> fn);

  ByteReader r_;
  std::vector<std::vector<std::function<void()>>> frames_;
  int depth_ = 0;
};

}  // namespace smbsrv::rpc
