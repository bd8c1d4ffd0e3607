// wkssvc (MS-WKST): NetrWkstaGetInfo (opnum 0), which Windows clients ask before browsing a server
// (without it a Windows 7 client waits for a timeout). Any other opnum: nca_s_op_rng_error.
#include <string>

#include "rpc/svc_common.hpp"

namespace smbsrv::rpc {
namespace {

using svc::fault;
using svc::reply;

class Wkssvc final : public Interface {
 public:
  explicit Wkssvc(std::shared_ptr<const Directory> dir) : dir_(std::move(dir)) {}

  SyntaxId abstract_syntax() const override {
    return {uuid_from_string("6bffd098-a112-3610-9833-46c3f87e345a"), 1, 0};
  }

  CallResult call(std::uint16_t opnum, std::span<const std::uint8_t> stub, const CallContext&) override {
    if (opnum != 0) return fault(kNcaOpRangeError);
    return wksta_get_info(stub);
  }

 private:
  // NetrWkstaGetInfo (MS-WKST 3.2.4.1): WKSTA_INFO_100/101/102 (2.2.5.1-3); the other levels
  // (502, 1013, 1018, 1046) are not served: ERROR_INVALID_LEVEL.
  CallResult wksta_get_info(Bytes stub) {
    NdrReader r(stub);
    r.unique_wstring_param();  // ServerName: ignored
    const std::uint32_t level = r.u32();
    if (!r.ok()) return fault(kNcaFaultNdr);

    const bool known = level == 100 || level == 101 || level == 102;
    const std::string computer = dir_->server_name();
    const std::string langroup = dir_->domain_name();
    NdrWriter w;
    w.param([&] {  // WKSTA_INFO, switch_is(Level)
      w.u32(level);
      w.unique(known, [&] {
        w.u32(svc::kPlatformIdNt);
        w.unique_wstring(computer);
        w.unique_wstring(langroup);
        w.u32(svc::kVersionMajor);
        w.u32(svc::kVersionMinor);
        if (level == 100) return;
        w.unique_wstring(std::string_view{});  // wki101_lanroot: no LAN Manager directory
        if (level == 101) return;
        w.u32(0);  // wki102_logged_on_users: interactive users, of which a server has none here
      });
    });
    w.u32(known ? svc::kErrorSuccess : svc::kErrorInvalidLevel);
    return reply(w);
  }

  std::shared_ptr<const Directory> dir_;
};

}  // namespace

std::unique_ptr<Interface> make_wkssvc(std::shared_ptr<const Directory> dir) {
  return std::make_unique<Wkssvc>(std::move(dir));
}

}  // namespace smbsrv::rpc
