// srvsvc (MS-SRVS): the share list Explorer and `smbclient -L` show, one share's details, the
// server's identity and its clock. Opnums served: NetrShareEnum (15), NetrShareGetInfo (16),
// NetrServerGetInfo (21), NetrRemoteTOD (28); any other is nca_s_op_rng_error.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "rpc/svc_common.hpp"
#include "util/utf16.hpp"

namespace smbsrv::rpc {
namespace {

using svc::fault;
using svc::reply;

// SV_TYPE_* (MS-SRVS 2.2.2.7): what a stand-alone Windows Server running the server service sets
// (workstation + server + NT + server NT = 0x9003); no print queues, not a domain member.
constexpr std::uint32_t kSvTypeWorkstation = 0x00000001;
constexpr std::uint32_t kSvTypeServer = 0x00000002;
constexpr std::uint32_t kSvTypeNt = 0x00001000;
constexpr std::uint32_t kSvTypeServerNt = 0x00008000;
constexpr std::uint32_t kServerType = kSvTypeWorkstation | kSvTypeServer | kSvTypeNt | kSvTypeServerNt;

// SERVER_INFO_102 values, those `net config server` shows on a Windows Server with default
// settings: "Maximum Logged On Users 16777216", "Idle session time (min) 15", "Server hidden No";
// the announce interval (240 s) and its jitter (3000 ms) are the documented defaults of the
// browser announcements (MS-SRVS 2.2.4.43 sv102_announce / sv102_anndelta); no user licences are
// enforced (0); user path "c:\".
constexpr std::uint32_t kSv102Users = 16777216;
constexpr std::int32_t kSv102Disc = 15;
constexpr std::uint32_t kSv102Announce = 240;
constexpr std::uint32_t kSv102AnnDelta = 3000;
constexpr std::uint32_t kSv102Licenses = 0;
constexpr std::string_view kSv102UserPath = "c:\\";

// SHARE_INFO_2/502 fields Windows reports with user-level security (MS-SRVS 2.2.4.24):
// permissions are not used (ACCESS_NONE), no limit on connections (SHI_USES_UNLIMITED).
constexpr std::uint32_t kSharePermissions = 0;
constexpr std::uint32_t kShiUsesUnlimited = 0xFFFFFFFF;

/// Levels of SHARE_ENUM_UNION (MS-SRVS 2.2.4.38) this server fills; others: ERROR_INVALID_LEVEL.
bool enum_level_supported(std::uint32_t level) {
  return level == 0 || level == 1 || level == 2 || level == 501 || level == 502;
}

std::size_t utf16_bytes(std::string_view s) { return to_utf16le(s).size() + 2; }

/// The room one entry takes in the response, for PreferedMaximumLength: the fixed part (pointers
/// 4 bytes, as NDR20 carries them) and every string in UTF-16 with its NUL.
std::size_t entry_size(std::uint32_t level, const ShareInfo& s) {
  std::size_t n = utf16_bytes(s.name);
  switch (level) {
    case 0: return 4 + n;
    case 1: return 12 + n + utf16_bytes(s.comment);
    case 501: return 16 + n + utf16_bytes(s.comment);
    case 2: return 32 + n + utf16_bytes(s.comment) + utf16_bytes(s.path) + utf16_bytes("");
    default: return 40 + n + utf16_bytes(s.comment) + utf16_bytes(s.path) + utf16_bytes("");  // 502
  }
}

/// One SHARE_INFO_<level> (MS-SRVS 2.2.4.22-26) inside an array or behind a pointer; its strings
/// are embedded pointers, deferred by the writer.
void write_share(NdrWriter& w, std::uint32_t level, const ShareInfo& s) {
  w.unique_wstring(s.name);
  if (level == 0) return;
  w.u32(s.type);
  w.unique_wstring(s.comment);
  if (level == 1) return;
  if (level == 501) {
    w.u32(s.flags_1005);  // shi501_flags carries the same CSC/ABE bits as SHI1005_FLAGS
    return;
  }
  w.u32(kSharePermissions);
  w.u32(kShiUsesUnlimited);
  w.u32(s.current_uses);
  w.unique_wstring(s.path);
  // shi2_passwd: user-level security, no share password. An empty string, as Samba sends
  // (rpcclient then prints "password:" as it does against Samba, not "password: (null)").
  w.unique_wstring(std::string_view{});
  if (level == 2) return;
  w.u32(0);                        // shi502_reserved: length of the security descriptor
  w.unique(false, [] {});          // shi502_security_descriptor: not disclosed
}

/// Skips the SHARE_ENUM_UNION arm a client sends: a pointer to a container whose entry array
/// must be empty (clients send EntriesRead 0 and a NULL buffer; MS-SRVS 3.1.4.8 ignores it).
void read_enum_container(NdrReader& r) {
  r.unique([&r] {
    r.u32();  // EntriesRead
    if (r.unique([] {})) r.fail();  // a non-NULL input buffer: not something a client sends
  });
}

class Srvsvc final : public Interface {
 public:
  Srvsvc(std::shared_ptr<const Directory> dir, WallClock clock) : dir_(std::move(dir)), clock_(std::move(clock)) {
    if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
  }

  SyntaxId abstract_syntax() const override {
    return {uuid_from_string("4b324fc8-1670-01d3-1278-5a47bf6ee188"), 3, 0};
  }

  CallResult call(std::uint16_t opnum, std::span<const std::uint8_t> stub, const CallContext& ctx) override {
    switch (opnum) {
      case 15: return share_enum(stub, ctx);
      // NetrShareEnumSticky (MS-SRVS 3.1.4.6): the same request and answer; every share here
      // is "sticky" (configured, not made by a client). Samba's rpcclient netshareenum sends it.
      case 36: return share_enum(stub, ctx);
      case 16: return share_get_info(stub, ctx);
      case 21: return server_get_info(stub);
      case 28: return remote_tod(stub);
      default: return fault(kNcaOpRangeError);
    }
  }

 private:
  // NetrShareEnum (MS-SRVS 3.1.4.8). ServerName is ignored (a client may name us "\\ip").
  CallResult share_enum(Bytes stub, const CallContext& ctx) {
    NdrReader r(stub);
    r.unique_wstring_param();
    std::uint32_t level = 0;
    r.param([&] {
      level = r.u32();
      r.u32();  // the union's discriminant (the same Level)
      read_enum_container(r);
    });
    const std::uint32_t pref_max = r.u32();
    std::optional<std::uint32_t> resume;
    r.unique_param([&] { resume = r.u32(); });
    if (!r.ok()) return fault(kNcaFaultNdr);

    NdrWriter w;
    if (!enum_level_supported(level)) {
      w.param([&] { w.u32(level); w.u32(level); w.unique(false, [] {}); });
      w.u32(0);
      w.unique_param(resume.has_value(), [&] { w.u32(*resume); });
      w.u32(svc::kErrorInvalidLevel);
      return reply(w);
    }

    const std::vector<ShareInfo> shares = dir_->shares(ctx.client);
    const std::size_t total = shares.size();
    const std::size_t first = std::min<std::size_t>(resume.value_or(0), total);
    // As many entries as fit in PreferedMaximumLength, and at least one so that a client with a
    // small buffer still makes progress through the resume handle.
    std::size_t count = 0, used = 0;
    while (first + count < total) {
      const std::size_t size = entry_size(level, shares[first + count]);
      if (pref_max != svc::kMaxPreferredLength && count > 0 && used + size > pref_max) break;
      used += size;
      ++count;
    }
    const bool more = first + count < total;
    const auto n = static_cast<std::uint32_t>(count);

    w.param([&] {  // SHARE_ENUM_STRUCT
      w.u32(level);
      w.u32(level);
      w.unique(true, [&] {  // SHARE_INFO_<level>_CONTAINER
        w.u32(n);
        w.unique(n != 0, [&] {
          w.conformance(n);
          for (std::size_t i = 0; i < count; ++i) write_share(w, level, shares[first + i]);
        });
      });
    });
    w.u32(static_cast<std::uint32_t>(total));  // TotalEntries
    // The resume handle is the index to continue at; 0 once everything was returned.
    w.unique_param(resume.has_value(), [&] { w.u32(more ? static_cast<std::uint32_t>(first + count) : 0); });
    // ERROR_MORE_DATA: not everything fitted; call again with the resume handle (MS-SRVS 3.1.4.8).
    w.u32(more ? svc::kErrorMoreData : svc::kErrorSuccess);
    return reply(w);
  }

  // NetrShareGetInfo (MS-SRVS 3.1.4.10): levels 0, 1, 2, 501, 502, 1005.
  CallResult share_get_info(Bytes stub, const CallContext& ctx) {
    NdrReader r(stub);
    r.unique_wstring_param();
    std::string name;
    r.param([&] { name = r.wstring(); });
    const std::uint32_t level = r.u32();
    if (!r.ok()) return fault(kNcaFaultNdr);

    const bool known_level = enum_level_supported(level) || level == 1005;
    std::optional<ShareInfo> share;
    std::uint32_t status = svc::kErrorSuccess;
    if (!known_level) status = svc::kErrorInvalidLevel;
    else if (share = dir_->share(name, ctx.client); !share) status = svc::kNerrNetNameNotFound;

    NdrWriter w;
    w.param([&] {  // SHARE_INFO, switch_is(Level): the discriminant, then the arm's pointer
      w.u32(level);
      w.unique(status == svc::kErrorSuccess, [&] {
        if (level == 1005) w.u32(share->flags_1005);
        else write_share(w, level, *share);
      });
    });
    w.u32(status);
    return reply(w);
  }

  // NetrServerGetInfo (MS-SRVS 3.1.4.17): levels 100, 101, 102.
  CallResult server_get_info(Bytes stub) {
    NdrReader r(stub);
    r.unique_wstring_param();
    const std::uint32_t level = r.u32();
    if (!r.ok()) return fault(kNcaFaultNdr);

    const bool known = level == 100 || level == 101 || level == 102;
    const std::string name = dir_->server_name();
    NdrWriter w;
    w.param([&] {
      w.u32(level);
      w.unique(known, [&] {
        w.u32(svc::kPlatformIdNt);
        w.unique_wstring(name);
        if (level == 100) return;
        w.u32(svc::kVersionMajor);
        w.u32(svc::kVersionMinor);
        w.u32(kServerType);
        w.unique_wstring(std::string_view{});  // comment: none configured
        if (level == 101) return;
        w.u32(kSv102Users);
        w.u32(static_cast<std::uint32_t>(kSv102Disc));
        w.u32(0);  // sv102_hidden: SV_VISIBLE
        w.u32(kSv102Announce);
        w.u32(kSv102AnnDelta);
        w.u32(kSv102Licenses);
        w.unique_wstring(kSv102UserPath);
      });
    });
    w.u32(known ? svc::kErrorSuccess : svc::kErrorInvalidLevel);
    return reply(w);
  }

  // NetrRemoteTOD (MS-SRVS 3.1.4.21): TIME_OF_DAY_INFO (2.2.4.105) in UTC.
  CallResult remote_tod(Bytes stub) {
    NdrReader r(stub);
    r.unique_wstring_param();
    if (!r.ok()) return fault(kNcaFaultNdr);

    using namespace std::chrono;
    const system_clock::time_point now = clock_();
    const auto since_epoch = now.time_since_epoch();
    const auto days = floor<std::chrono::days>(now);
    const year_month_day ymd{days};
    const hh_mm_ss hms{floor<milliseconds>(now - days)};
    const auto secs = duration_cast<seconds>(since_epoch).count();
    const auto msecs = duration_cast<milliseconds>(since_epoch).count();

    NdrWriter w;
    w.unique_param(true, [&] {
      w.u32(static_cast<std::uint32_t>(secs));                  // tod_elapsedt: seconds since 1970
      w.u32(static_cast<std::uint32_t>(msecs));                 // tod_msecs: an arbitrary origin
      w.u32(static_cast<std::uint32_t>(hms.hours().count()));
      w.u32(static_cast<std::uint32_t>(hms.minutes().count()));
      w.u32(static_cast<std::uint32_t>(hms.seconds().count()));
      w.u32(static_cast<std::uint32_t>(hms.subseconds().count() / 10));  // hundredths
      w.u32(0);    // tod_timezone: minutes west of UTC; the times above are UTC
      w.u32(310);  // tod_tinterval: clock tick in 0.0001 s, Windows' 31 ms
      w.u32(static_cast<unsigned>(ymd.day()));
      w.u32(static_cast<unsigned>(ymd.month()));
      w.u32(static_cast<std::uint32_t>(static_cast<int>(ymd.year())));
      w.u32(weekday{days}.c_encoding());  // 0 = Sunday
    });
    w.u32(svc::kErrorSuccess);
    return reply(w);
  }

  std::shared_ptr<const Directory> dir_;
  WallClock clock_;
};

}  // namespace

std::unique_ptr<Interface> make_srvsvc(std::shared_ptr<const Directory> dir, WallClock clock) {
  return std::make_unique<Srvsvc>(std::move(dir), std::move(clock));
}

}  // namespace smbsrv::rpc
