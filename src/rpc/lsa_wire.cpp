// lsarpc request decoders and lookup-result encoders (MS-LSAD 2.2.2, 3.1.4.4; MS-LSAT 2.2,
// 3.1.4.4-11). Every count is checked against its [range] and against the bytes left before a
// vector is sized with it.
#include "rpc/lsa_wire.hpp"

namespace smbsrv::rpc::lsa {
namespace {

/// LSAPR_OBJECT_ATTRIBUTES (MS-LSAD 2.2.9). Clients send every pointer NULL except, sometimes,
/// SecurityQualityOfService; a non-NULL ObjectName or SecurityDescriptor is not decoded (no
/// client sends one and the server ignores both) and fails the call as undecodable.
void read_object_attributes(NdrReader& r, OpenRequest& out) {
  r.u32();  // Length
  out.root_directory_present = r.unique([&r] { r.u8(); });  // unsigned char* RootDirectory
  if (r.unique([] {})) r.fail();                              // PSTRING ObjectName
  r.u32();                                                    // Attributes
  if (r.unique([] {})) r.fail();                              // SecurityDescriptor
  r.unique([&r] {                                             // SECURITY_QUALITY_OF_SERVICE
    r.u32();     // Length
    r.enum16();  // ImpersonationLevel
    r.u8();      // ContextTrackingMode
    r.u8();      // EffectiveOnly
  });
}

/// TranslatedNames / TranslatedSids on input "MUST be ignored" (MS-LSAT 3.1.4.x): clients send
/// Entries 0 and a NULL array, which is all this accepts.
void read_empty_translations(NdrReader& r) {
  r.param([&r] {
    r.u32();
    if (r.unique([] {})) r.fail();
  });
}

void write_domains(NdrWriter& w, const DomainList& list) {
  // LSAPR_REFERENCED_DOMAIN_LIST (MS-LSAT 2.2.12): Entries, Domains, MaxEntries (ignored).
  const auto& d = list.domains();
  const auto n = static_cast<std::uint32_t>(d.size());
  w.u32(n);
  w.unique(n != 0, [&w, &d, n] {
    w.conformance(n);
    for (const Domain& dom : d) {  // LSAPR_TRUST_INFORMATION
      w.align(4);
      w.unicode_string(dom.name);
      w.unique(true, [&w, &dom] { w.sid(dom.sid); });
    }
  });
  w.u32(n);
}

}  // namespace

bool decode_open(Bytes stub, OpenVariant v, OpenRequest& out) {
  NdrReader r(stub);
  if (v == OpenVariant::v1) r.unique_param([&r] { r.u16(); });  // wchar_t* SystemName: one character
  else r.unique_wstring_param();                                  // [string] SystemName
  r.param([&] { read_object_attributes(r, out); });
  out.desired_access = r.u32();
  if (v == OpenVariant::v3) {
    out.in_version = r.u32();
    r.param([&] {  // [switch_is(InVersion)] LSAPR_REVISION_INFO: only V1 (MS-LSAD 2.2.2.7)
      if (r.u32() != out.in_version || out.in_version != 1) { r.fail(); return; }
      r.u32();  // Revision
      r.u32();  // SupportedFeatures
    });
  }
  return r.ok();
}

bool decode_get_user_name(Bytes stub, bool& want_domain) {
  NdrReader r(stub);
  std::string user, domain;  // their values on input carry no meaning
  r.unique_wstring_param();
  r.param([&] { r.unique([&] { r.unicode_string(user); }); });
  want_domain = r.unique_param([&] { r.unique([&] { r.unicode_string(domain); }); });
  return r.ok();
}

bool decode_lookup_sids(Bytes stub, NamesVariant v, bool has_handle, SidsRequest& out) {
  NdrReader r(stub);
  if (has_handle) out.handle = r.context_handle();
  r.param([&] {  // LSAPR_SID_ENUM_BUFFER (MS-LSAT 2.2.18)
    const std::uint32_t entries = r.u32();
    if (entries > kMaxLookupSids) { r.fail(); return; }
    const bool present = r.unique([&r, &out, entries] {
      const std::uint32_t n = r.conformance(4);  // an array of pointers, 4 bytes each at least
      if (!r.ok() || n != entries) { r.fail(); return; }
      out.sids.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        if (!r.unique([&r, &out, i] { out.sids[i] = r.sid(); })) out.null_entry = true;
      }
    });
    if (!present && entries != 0) out.null_entry = true;  // SidInfo MUST be non-NULL then
  });
  read_empty_translations(r);
  r.enum16();  // LookupLevel: every level answers from this server's own domains
  r.u32();     // MappedCount
  if (v == NamesVariant::names_ex) {
    r.u32();  // LookupOptions
    r.u32();  // ClientRevision
  }
  return r.ok();
}

bool decode_lookup_names(Bytes stub, SidsVariant v, bool has_handle, NamesRequest& out) {
  NdrReader r(stub);
  if (has_handle) out.handle = r.context_handle();
  const std::uint32_t count = r.u32();
  if (count > kMaxLookupNames) return false;
  r.param([&] {  // [size_is(Count)] PRPC_UNICODE_STRING Names
    const std::uint32_t n = r.conformance(8);  // RPC_UNICODE_STRING: 8 bytes
    if (!r.ok() || n != count) { r.fail(); return; }
    out.names.resize(n);
    for (std::string& s : out.names) {
      r.align(4);
      r.unicode_string(s);
    }
  });
  read_empty_translations(r);
  r.enum16();  // LookupLevel
  r.u32();     // MappedCount
  if (v == SidsVariant::sids_ex2) {
    r.u32();  // LookupOptions
    r.u32();  // ClientRevision
  }
  return r.ok();
}

void encode_names_result(NdrWriter& w, NamesVariant v, const LookupResult& res) {
  w.unique_param(res.domains_present, [&] { write_domains(w, res.domains); });
  w.param([&] {  // LSAPR_TRANSLATED_NAMES(_EX) (MS-LSAT 2.2.20/2.2.22)
    const auto n = static_cast<std::uint32_t>(res.items.size());
    w.u32(n);
    w.unique(n != 0, [&w, &res, v, n] {
      w.conformance(n);
      for (const Translation& t : res.items) {  // LSAPR_TRANSLATED_NAME(_EX) (2.2.19/2.2.21)
        w.align(4);
        w.enum16(t.use);
        w.unicode_string(t.name);
        w.u32(static_cast<std::uint32_t>(t.domain_index));
        if (v == NamesVariant::names_ex) w.u32(0);  // Flags
      }
    });
  });
  w.u32(res.mapped);  // MappedCount
}

void encode_sids_result(NdrWriter& w, SidsVariant v, const LookupResult& res) {
  w.unique_param(res.domains_present, [&] { write_domains(w, res.domains); });
  w.param([&] {  // LSAPR_TRANSLATED_SIDS / _EX2 (MS-LSAT 2.2.15/2.2.26)
    const auto n = static_cast<std::uint32_t>(res.items.size());
    w.u32(n);
    w.unique(n != 0, [&w, &res, v, n] {
      w.conformance(n);
      for (const Translation& t : res.items) {  // LSA_TRANSLATED_SID / LSAPR_TRANSLATED_SID_EX2
        w.align(4);
        w.enum16(t.use);
        if (v == SidsVariant::sids) {
          w.u32(t.mapped() ? t.rid() : 0);  // RelativeId
        } else {
          w.unique(t.mapped(), [&w, &t] { w.sid(t.sid); });
        }
        w.u32(static_cast<std::uint32_t>(t.domain_index));
        if (v == SidsVariant::sids_ex2) w.u32(0);  // Flags
      }
    });
  });
  w.u32(res.mapped);
}

}  // namespace smbsrv::rpc::lsa
