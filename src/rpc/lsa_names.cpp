// Name <-> SID translation for lsarpc (MS-LSAT 3.1.4.5 isolated-name search order: well-known
// principals, BUILTIN, then the account domain). The well-known SIDs are those of MS-DTYP 2.4.2.4.
#include "rpc/lsa_names.hpp"

#include <array>

#include "util/upcase.hpp"

namespace smbsrv::rpc::lsa {
namespace {

constexpr std::uint8_t kWorldAuthority = 1;    // S-1-1
constexpr std::uint8_t kCreatorAuthority = 3;  // S-1-3
constexpr std::uint8_t kNtAuthority = 5;       // S-1-5
constexpr std::uint32_t kBuiltinRid = 32;      // S-1-5-32

struct WellKnown {
  std::string_view name;
  std::uint8_t authority;
  std::uint32_t sub0;
  std::int64_t sub1;  // -1: the SID has one sub-authority
  std::uint16_t use;
};

// MS-DTYP 2.4.2.4. Each one's domain is its SID without the last sub-authority: S-1-1 and S-1-3
// are nameless, S-1-5 is NT AUTHORITY and S-1-5-32 BUILTIN (as Windows names them).
constexpr std::array kWellKnown = {
    WellKnown{"Everyone", kWorldAuthority, 0, -1, kSidTypeWellKnownGroup},
    WellKnown{"CREATOR OWNER", kCreatorAuthority, 0, -1, kSidTypeWellKnownGroup},
    WellKnown{"CREATOR GROUP", kCreatorAuthority, 1, -1, kSidTypeWellKnownGroup},
    WellKnown{"NETWORK", kNtAuthority, 2, -1, kSidTypeWellKnownGroup},
    WellKnown{"INTERACTIVE", kNtAuthority, 4, -1, kSidTypeWellKnownGroup},
    WellKnown{"ANONYMOUS LOGON", kNtAuthority, 7, -1, kSidTypeWellKnownGroup},
    WellKnown{"Authenticated Users", kNtAuthority, 11, -1, kSidTypeWellKnownGroup},
    WellKnown{"SYSTEM", kNtAuthority, 18, -1, kSidTypeWellKnownGroup},
    WellKnown{"Administrators", kNtAuthority, kBuiltinRid, 544, kSidTypeAlias},
    WellKnown{"Users", kNtAuthority, kBuiltinRid, 545, kSidTypeAlias},
    WellKnown{"Guests", kNtAuthority, kBuiltinRid, 546, kSidTypeAlias},
};

codec::Sid sid_of(const WellKnown& w) {
  std::vector<std::uint32_t> subs{w.sub0};
  if (w.sub1 >= 0) subs.push_back(static_cast<std::uint32_t>(w.sub1));
  return make_sid(w.authority, std::move(subs));
}

codec::Sid parent_of(const codec::Sid& s) {
  codec::Sid p = s;
  if (!p.sub_authorities.empty()) p.sub_authorities.pop_back();
  return p;
}

std::string_view authority_domain_name(const codec::Sid& domain) {
  if (domain.authority[5] == kNtAuthority && domain.sub_authorities.empty()) return "NT AUTHORITY";
  if (domain.authority[5] == kNtAuthority) return "BUILTIN";
  return "";
}

Domain domain_of(const WellKnown& w) {
  codec::Sid d = parent_of(sid_of(w));
  return {std::string(authority_domain_name(d)), d};
}

codec::Sid builtin_sid() { return make_sid(kNtAuthority, {kBuiltinRid}); }

/// sid == domain + one more sub-authority.
bool is_child_of(const codec::Sid& sid, const codec::Sid& domain) {
  if (sid.revision != domain.revision || sid.authority != domain.authority) return false;
  if (sid.sub_authorities.size() != domain.sub_authorities.size() + 1) return false;
  for (std::size_t i = 0; i < domain.sub_authorities.size(); ++i)
    if (sid.sub_authorities[i] != domain.sub_authorities[i]) return false;
  return true;
}

}  // namespace

codec::Sid make_sid(std::uint8_t authority, std::vector<std::uint32_t> subs) {
  codec::Sid s;
  s.authority[5] = authority;
  s.sub_authorities = std::move(subs);
  return s;
}

std::string sid_to_string(const codec::Sid& sid) {
  std::uint64_t auth = 0;
  for (std::uint8_t b : sid.authority) auth = (auth << 8) | b;
  std::string out = "S-" + std::to_string(sid.revision) + "-" + std::to_string(auth);
  for (std::uint32_t s : sid.sub_authorities) out += "-" + std::to_string(s);
  return out;
}

std::int32_t DomainList::add(const Domain& d) {
  for (std::size_t i = 0; i < domains_.size(); ++i)
    if (domains_[i].sid == d.sid) return static_cast<std::int32_t>(i);
  domains_.push_back(d);
  return static_cast<std::int32_t>(domains_.size() - 1);
}

std::uint32_t Translation::rid() const {
  if (use == kSidTypeDomain || sid.sub_authorities.empty()) return 0;
  return sid.sub_authorities.back();
}

Resolver::Resolver(const Directory& dir)
    : server_(dir.server_name()), workgroup_(dir.domain_name()), machine_(dir.machine_sid()), accounts_(dir.accounts()) {}

Translation Resolver::sid_to_name(const codec::Sid& sid, DomainList& domains) const {
  Translation t;
  t.sid = sid;
  const Domain machine{server_, machine_};
  const Domain builtin{"BUILTIN", builtin_sid()};
  if (sid == machine_ || sid == builtin.sid) {
    const Domain& d = sid == machine_ ? machine : builtin;
    t.use = kSidTypeDomain;
    t.name = d.name;
    t.domain_index = domains.add(d);
    return t;
  }
  for (const WellKnown& w : kWellKnown) {
    if (sid_of(w) != sid) continue;
    t.use = w.use;
    t.name = std::string(w.name);
    t.domain_index = domains.add(domain_of(w));
    return t;
  }
  if (is_child_of(sid, machine_)) {
    // A RID of the account domain: mapped when an account has it; otherwise unknown, but in a
    // domain the server knows, so the domain is still referenced (MS-LSAT 3.1.4.11).
    t.domain_index = domains.add(machine);
    for (const Account& a : accounts_) {
      if (a.rid != sid.sub_authorities.back()) continue;
      t.use = kSidTypeUser;
      t.name = a.name;
      break;
    }
    return t;
  }
  if (is_child_of(sid, builtin.sid)) t.domain_index = domains.add(builtin);
  return t;
}

Translation Resolver::name_to_sid(std::string_view full, DomainList& domains) const {
  Translation t;
  const Domain machine{server_, machine_};
  const Domain builtin{"BUILTIN", builtin_sid()};
  const std::size_t slash = full.find('\\');
  const bool qualified = slash != std::string_view::npos;
  const std::string_view dom = qualified ? full.substr(0, slash) : std::string_view{};
  const std::string_view name = qualified ? full.substr(slash + 1) : full;

  auto is_machine = [&](std::string_view d) { return iequal_names(d, server_) || iequal_names(d, workgroup_); };
  auto as_domain = [&](const Domain& d) {
    t.use = kSidTypeDomain;
    t.sid = d.sid;
    t.name = d.name;
    t.domain_index = domains.add(d);
    return t;
  };

  // "DOMAIN\" or a bare domain name: the domain itself.
  if (qualified && name.empty()) {
    if (is_machine(dom)) return as_domain(machine);
    if (iequal_names(dom, "BUILTIN")) return as_domain(builtin);
    return t;
  }
  if (name.empty()) return t;

  for (const WellKnown& w : kWellKnown) {
    const Domain d = domain_of(w);
    if (!iequal_names(name, w.name) || (qualified && !iequal_names(dom, d.name))) continue;
    t.use = w.use;
    t.sid = sid_of(w);
    t.name = std::string(w.name);
    t.domain_index = domains.add(d);
    return t;
  }
  if (!qualified || is_machine(dom)) {
    for (const Account& a : accounts_) {
      if (!iequal_names(name, a.name)) continue;
      t.use = kSidTypeUser;
      t.sid = machine_;
      t.sid.sub_authorities.push_back(a.rid);
      t.name = a.name;
      t.domain_index = domains.add(machine);
      return t;
    }
  }
  if (!qualified) {
    if (is_machine(name)) return as_domain(machine);
    if (iequal_names(name, "BUILTIN")) return as_domain(builtin);
  }
  return t;
}

}  // namespace smbsrv::rpc::lsa
