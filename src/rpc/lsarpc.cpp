// lsarpc (MS-LSAD policy handles and queries, MS-LSAT lookups): what Explorer's Security tab and
// `rpcclient lookupsids/lookupnames` need. Opnums: LsarClose (0), LsarOpenPolicy (6),
// LsarQueryInformationPolicy (7), LsarLookupNames (14), LsarLookupSids (15), LsarOpenPolicy2 (44),
// LsarGetUserName (45), LsarQueryInformationPolicy2 (46), LsarLookupSids2 (57),
// LsarLookupNames3 (68), LsarLookupSids3 (76), LsarLookupNames4 (77), LsarOpenPolicy3 (130).
// Others: nca_s_op_rng_error. Return codes are NTSTATUS.
#include <algorithm>
#include <random>

#include "rpc/lsa_names.hpp"
#include "rpc/lsa_wire.hpp"
#include "rpc/svc_common.hpp"
#include "smbsrv/ntstatus.hpp"

namespace smbsrv::rpc {
namespace {

using svc::fault;
using svc::reply;

constexpr std::uint32_t st(NtStatus s) { return static_cast<std::uint32_t>(s); }

/// Policy handles one pipe open may hold at once; an open past it fails with
/// STATUS_INSUFFICIENT_RESOURCES (a client opens one or two; the bound keeps a hostile one from
/// growing the table).
constexpr std::size_t kMaxPolicyHandles = 64;

// POLICY_INFORMATION_CLASS values served (MS-LSAD 2.2.4.1).
constexpr std::uint16_t kPolicyPrimaryDomainInformation = 3;
constexpr std::uint16_t kPolicyAccountDomainInformation = 5;
constexpr std::uint16_t kPolicyDnsDomainInformation = 12;

class Lsarpc final : public Interface {
 public:
  explicit Lsarpc(std::shared_ptr<const Directory> dir) : dir_(std::move(dir)) {
    std::random_device rd;
    state_ = (std::uint64_t{rd()} << 32) ^ rd();
  }

  SyntaxId abstract_syntax() const override {
    return {uuid_from_string("12345778-1234-abcd-ef00-0123456789ab"), 0, 0};
  }

  CallResult call(std::uint16_t opnum, std::span<const std::uint8_t> stub, const CallContext& ctx) override {
    switch (opnum) {
      case 0: return close(stub);
      case 6: return open_policy(stub, lsa::OpenVariant::v1);
      case 44: return open_policy(stub, lsa::OpenVariant::v2);
      case 130: return open_policy(stub, lsa::OpenVariant::v3);
      case 7:
      case 46: return query_info(stub);
      case 45: return get_user_name(stub, ctx);
      case 15: return lookup_sids(stub, lsa::NamesVariant::names, true);
      case 57: return lookup_sids(stub, lsa::NamesVariant::names_ex, true);
      case 76: return lookup_sids(stub, lsa::NamesVariant::names_ex, false);
      case 14: return lookup_names(stub, lsa::SidsVariant::sids, true);
      case 68: return lookup_names(stub, lsa::SidsVariant::sids_ex2, true);
      case 77: return lookup_names(stub, lsa::SidsVariant::sids_ex2, false);
      default: return fault(kNcaOpRangeError);
    }
  }

 private:
  bool known(const ContextHandle& h) const {
    return !h.is_null() && std::find(handles_.begin(), handles_.end(), h) != handles_.end();
  }

  /// A fresh, unguessable-looking handle (splitmix64 over a random seed): attributes 0, a UUID.
  ContextHandle new_handle() {
    ContextHandle h;
    for (std::size_t i = 0; i < h.uuid.bytes.size(); i += 8) {
      std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      for (std::size_t k = 0; k < 8; ++k) h.uuid.bytes[i + k] = static_cast<std::uint8_t>(z >> (8 * k));
    }
    return h;
  }

  // LsarClose (MS-LSAD 3.1.4.9.4): the handle comes back zeroed.
  CallResult close(Bytes stub) {
    NdrReader r(stub);
    ContextHandle h = r.context_handle();
    if (!r.ok()) return fault(kNcaFaultNdr);
    NtStatus status = NtStatus::invalid_handle;
    if (auto it = std::find(handles_.begin(), handles_.end(), h); !h.is_null() && it != handles_.end()) {
      handles_.erase(it);
      h = {};
      status = NtStatus::success;
    }
    NdrWriter w;
    w.context_handle(h);
    w.u32(st(status));
    return reply(w);
  }

  // LsarOpenPolicy (3.1.4.4.2), LsarOpenPolicy2 (3.1.4.4.1), LsarOpenPolicy3 (3.1.4.4.9). Every
  // access is granted: the policy object only answers the queries and lookups below.
  CallResult open_policy(Bytes stub, lsa::OpenVariant v) {
    lsa::OpenRequest req;
    if (!lsa::decode_open(stub, v, req)) return fault(kNcaFaultNdr);
    NtStatus status = NtStatus::success;
    ContextHandle h;
    if (req.root_directory_present) status = NtStatus::invalid_parameter;  // MUST be NULL
    else if (handles_.size() >= kMaxPolicyHandles) status = NtStatus::insufficient_resources;
    else handles_.push_back(h = new_handle());

    NdrWriter w;
    if (v == lsa::OpenVariant::v3) {
      w.u32(1);                  // OutVersion
      w.param([&] {              // OutRevisionInfo, switch_is(*OutVersion): LSAPR_REVISION_INFO_V1
        w.u32(1);
        w.u32(1);                // Revision
        w.u32(0);                // SupportedFeatures: no AES trust passwords, Lookup*4/3 not advertised
      });
    }
    w.context_handle(h);
    w.u32(st(status));
    return reply(w);
  }

  // LsarQueryInformationPolicy(2) (MS-LSAD 3.1.4.4.3/4).
  CallResult query_info(Bytes stub) {
    NdrReader r(stub);
    const ContextHandle h = r.context_handle();
    const std::uint16_t cls = r.enum16();
    if (!r.ok()) return fault(kNcaFaultNdr);
    NtStatus status = NtStatus::success;
    if (!known(h)) status = NtStatus::invalid_handle;
    else if (cls != kPolicyPrimaryDomainInformation && cls != kPolicyAccountDomainInformation &&
             cls != kPolicyDnsDomainInformation)
      status = NtStatus::invalid_parameter;

    NdrWriter w;
    w.unique_param(status == NtStatus::success, [&] {  // PLSAPR_POLICY_INFORMATION
      w.enum16(cls);
      w.align(4);
      if (cls == kPolicyAccountDomainInformation) {
        // LSAPR_POLICY_ACCOUNT_DOM_INFO: the machine's account domain.
        w.unicode_string(dir_->server_name());
        const codec::Sid sid = dir_->machine_sid();
        w.unique(true, [&w, sid] { w.sid(sid); });
        return;
      }
      // A workgroup server is in no domain: the primary domain is the workgroup's name without
      // a SID (MS-LSAD 3.1.1.1 PolicyPrimaryDomainInformation), and there is no DNS domain.
      w.unicode_string(dir_->domain_name());
      if (cls == kPolicyDnsDomainInformation) {
        w.unicode_string("");  // DnsDomainName
        w.unicode_string("");  // DnsForestName
        w.uuid(Uuid{});        // DomainGuid
      }
      w.unique(false, [] {});  // Sid
    });
    w.u32(st(status));
    return reply(w);
  }

  // LsarGetUserName (MS-LSAT 3.1.4.4): the caller's name, in the server's domain (an anonymous
  // session is ANONYMOUS LOGON in NT AUTHORITY, as Windows answers).
  CallResult get_user_name(Bytes stub, const CallContext& ctx) {
    bool want_domain = false;
    if (!lsa::decode_get_user_name(stub, want_domain)) return fault(kNcaFaultNdr);
    const bool anonymous = ctx.client.user.empty();
    const std::string user = anonymous ? "ANONYMOUS LOGON" : ctx.client.user;
    const std::string domain = anonymous ? "NT AUTHORITY" : dir_->server_name();
    NdrWriter w;
    w.param([&] { w.unique(true, [&] { w.unicode_string(user); }); });
    w.unique_param(want_domain, [&] { w.unique(true, [&] { w.unicode_string(domain); }); });
    w.u32(st(NtStatus::success));
    return reply(w);
  }

  static std::uint32_t lookup_status(std::size_t mapped, std::size_t total) {
    if (mapped == total) return st(NtStatus::success);
    return st(mapped == 0 ? NtStatus::none_mapped : NtStatus::some_not_mapped);
  }

  // LsarLookupSids (15), LsarLookupSids2 (57), LsarLookupSids3 (76) (MS-LSAT 3.1.4.9-11).
  CallResult lookup_sids(Bytes stub, lsa::NamesVariant v, bool has_handle) {
    lsa::SidsRequest req;
    if (!lsa::decode_lookup_sids(stub, v, has_handle, req)) return fault(kNcaFaultNdr);
    lsa::LookupResult res;
    std::uint32_t status;
    if (has_handle && !known(req.handle)) status = st(NtStatus::invalid_handle);
    else if (req.null_entry) status = st(NtStatus::invalid_parameter);
    else {
      const lsa::Resolver resolver(*dir_);
      res.domains_present = true;
      std::size_t mapped = 0;
      res.items.reserve(req.sids.size());
      for (const codec::Sid& s : req.sids) {
        res.items.push_back(resolver.sid_to_name(s, res.domains));
        mapped += res.items.back().mapped();
      }
      res.mapped = static_cast<std::uint32_t>(mapped);
      status = lookup_status(mapped, req.sids.size());
    }
    NdrWriter w;
    lsa::encode_names_result(w, v, res);
    w.u32(status);
    return reply(w);
  }

  // LsarLookupNames (14), LsarLookupNames3 (68), LsarLookupNames4 (77) (MS-LSAT 3.1.4.5-8).
  CallResult lookup_names(Bytes stub, lsa::SidsVariant v, bool has_handle) {
    lsa::NamesRequest req;
    if (!lsa::decode_lookup_names(stub, v, has_handle, req)) return fault(kNcaFaultNdr);
    lsa::LookupResult res;
    std::uint32_t status;
    if (has_handle && !known(req.handle)) status = st(NtStatus::invalid_handle);
    else {
      const lsa::Resolver resolver(*dir_);
      res.domains_present = true;
      std::size_t mapped = 0;
      res.items.reserve(req.names.size());
      for (const std::string& n : req.names) {
        res.items.push_back(resolver.name_to_sid(n, res.domains));
        mapped += res.items.back().mapped();
      }
      res.mapped = static_cast<std::uint32_t>(mapped);
      status = lookup_status(mapped, req.names.size());
    }
    NdrWriter w;
    lsa::encode_sids_result(w, v, res);
    w.u32(status);
    return reply(w);
  }

  std::shared_ptr<const Directory> dir_;
  std::vector<ContextHandle> handles_;
  std::uint64_t state_ = 0;
};

}  // namespace

std::unique_ptr<Interface> make_lsarpc(std::shared_ptr<const Directory> dir) {
  return std::make_unique<Lsarpc>(std::move(dir));
}

}  // namespace smbsrv::rpc
