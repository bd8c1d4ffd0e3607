// NDR20 reader (src/rpc/ndr.hpp) over arbitrary bytes. The first byte selects a shape: 0 a
// top-level [unique,string] wchar_t*, 1 a share-enum tree (deferred strings in an array), 2 an
// array of pointers to RPC_SID, 3 an array of RPC_UNICODE_STRING, 4 a context handle + hyper +
// uuid, 5 a linked list (the depth bound). Decoded values are re-encoded and decoded again: the
// result must be equal (the writer and reader agree).
#include <cstdint>

#include "fuzz/rpc_fuzz_support.hpp"

using namespace smbsrv;
using namespace smbsrv::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Bytes in(data + 1, size - 1);
  rpc::NdrReader r(in);
  switch (data[0] % 6) {
    case 0: {
      auto s = r.unique_wstring_param();
      if (r.ok() && s) {
        rpc::NdrWriter w;
        w.unique_wstring_param(*s);
        rpc::NdrReader again(w.bytes());
        if (again.unique_wstring_param() != s || !again.ok()) __builtin_trap();
      }
      break;
    }
    case 1: {
      std::vector<ShareItem> items;
      if (read_share_enum(r, items)) {
        rpc::NdrWriter w;
        write_share_enum(w, items);
        std::vector<ShareItem> back;
        rpc::NdrReader again(w.bytes());
        if (!w.ok() || !read_share_enum(again, back) || back != items) __builtin_trap();
      }
      break;
    }
    case 2: {
      std::vector<std::optional<codec::Sid>> sids;
      if (read_sid_enum(r, sids)) {
        for (const auto& s : sids) {
          if (s && s->sub_authorities.size() > codec::kMaxSubAuthorities) __builtin_trap();
        }
      }
      break;
    }
    case 3: {
      std::vector<Name> names;
      if (read_names(r, names)) {
        rpc::NdrWriter w;
        write_names(w, names);
        std::vector<Name> back;
        rpc::NdrReader again(w.bytes());
        if (!w.ok() || !read_names(again, back) || back != names) __builtin_trap();
      }
      break;
    }
    case 4: {
      r.param([&] {
        (void)r.context_handle();
        (void)r.hyper();
        (void)r.uuid();
        (void)r.enum16();
        (void)r.raw(r.conformance(1));
      });
      break;
    }
    default: {
      std::function<void()> node = [&] { r.unique(node); };
      r.param(node);
      break;
    }
  }
  return 0;
}
