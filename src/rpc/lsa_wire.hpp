// The wire forms of lsarpc's requests and lookup results (MS-LSAD 3.1.4.4, MS-LSAT 2.2 and
// 3.1.4.4-11), over the checked NDR reader and writer. Internal to src/rpc.
#pragma once

#include <string>
#include <vector>

#include "rpc/lsa_names.hpp"
#include "rpc/ndr.hpp"

namespace smbsrv::rpc::lsa {

enum class OpenVariant { v1, v2, v3 };  // LsarOpenPolicy, LsarOpenPolicy2, LsarOpenPolicy3
struct OpenRequest {
  bool root_directory_present = false;  // ObjectAttributes.RootDirectory, which MUST be NULL
  std::uint32_t desired_access = 0;
  std::uint32_t in_version = 0;         // OpenPolicy3
};
bool decode_open(Bytes stub, OpenVariant v, OpenRequest& out);

/// LsarGetUserName: whether the client passed a DomainName pointer (then it gets one back).
bool decode_get_user_name(Bytes stub, bool& want_domain);

// LSAPR_TRANSLATED_NAMES (LookupSids) or LSAPR_TRANSLATED_NAMES_EX (LookupSids2/3).
enum class NamesVariant { names, names_ex };
struct SidsRequest {
  ContextHandle handle;
  std::vector<codec::Sid> sids;
  bool null_entry = false;  // an LSAPR_SID_INFORMATION with a NULL Sid
};
bool decode_lookup_sids(Bytes stub, NamesVariant v, bool has_handle, SidsRequest& out);

// LSAPR_TRANSLATED_SIDS (LookupNames) or LSAPR_TRANSLATED_SIDS_EX2 (LookupNames3/4).
enum class SidsVariant { sids, sids_ex2 };
struct NamesRequest {
  ContextHandle handle;
  std::vector<std::string> names;
};
bool decode_lookup_names(Bytes stub, SidsVariant v, bool has_handle, NamesRequest& out);

struct LookupResult {
  bool domains_present = false;  // ReferencedDomains is NULL on failure
  DomainList domains;
  std::vector<Translation> items;
  std::uint32_t mapped = 0;
};
/// ReferencedDomains, TranslatedNames and MappedCount of a LookupSids response (the caller
/// appends the NTSTATUS).
void encode_names_result(NdrWriter& w, NamesVariant v, const LookupResult& r);
/// ReferencedDomains, TranslatedSids and MappedCount of a LookupNames response.
void encode_sids_result(NdrWriter& w, SidsVariant v, const LookupResult& r);

}  // namespace smbsrv::rpc::lsa
