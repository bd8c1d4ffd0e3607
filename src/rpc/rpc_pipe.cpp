// The DCE/RPC endpoint of one pipe open (MS-RPCE 2.1.1.2 over SMB, C706 chapter 12): one
// association per open, bind / alter_context / request with fragment reassembly, responses split
// into fragments of the negotiated size. Everything malformed is answered (bind_nak or fault) and
// leaves the state consistent; nothing here throws on input.
#include <atomic>
#include <map>

#include "rpc/pdu.hpp"
#include "rpc/rpc.hpp"

namespace smbsrv::rpc {

namespace {

// Our fragment sizes: 4280 is what Windows answers on ncacn_np and what its clients (and
// impacket) offer; the bind_ack carries min(client's, ours) (C706 12.6.3.1: the server's bind_ack
// fragment sizes are the ones both sides use). 1432 is C706's MustRecvFragSize: no peer may offer
// less, and a floor keeps the response fragments' stub space positive.
constexpr std::uint16_t kOurMaxFrag = 4280;
constexpr std::uint16_t kMinFrag = 1432;

std::atomic<std::uint32_t> g_next_assoc_group{0x5353};

std::uint16_t negotiate_frag(std::uint16_t client) {
  return std::max(kMinFrag, std::min(client, kOurMaxFrag));
}

class RpcPipe final : public PipeInstance {
 public:
  RpcPipe(std::vector<std::unique_ptr<Interface>> interfaces, std::string secondary_address,
          PipeClient client, PipeLimits limits)
      : interfaces_(std::move(interfaces)),
        secondary_address_(std::move(secondary_address)),
        client_(std::move(client)),
        limits_(limits) {}

  std::vector<std::vector<std::uint8_t>> write(std::span<const std::uint8_t> message) override {
    std::vector<std::vector<std::uint8_t>> out;
    Bytes rest = message;
    // One message usually holds one PDU; several are handled in order (C706 12.4: the byte
    // stream is framed by frag_length).
    while (!rest.empty()) {
      auto split = split_pdu(rest);
      if (!split || split->pdu.size() > limits_.max_fragment) {
        // No PDU boundary to trust: answer once for what the header says and drop the rest.
        unframed(rest, out);
        break;
      }
      rest = rest.subspan(split->pdu.size());
      pdu(split->hdr, split->pdu, out);
    }
    return out;
  }

 private:
  struct Call {
    bool active = false;
    bool discarding = false;  // over the limit: swallow its remaining fragments
    std::uint32_t call_id = 0;
    std::uint16_t context_id = 0, opnum = 0;
    std::vector<std::uint8_t> stub;
  };

  void unframed(Bytes rest, std::vector<std::vector<std::uint8_t>>& out) {
    auto h = decode_header(rest);
    std::uint32_t call_id = h ? h->call_id : 0;
    std::uint8_t type = h ? h->ptype : 0xFF;
    if (type == static_cast<std::uint8_t>(PType::bind)) {
      out.push_back(nak(call_id, kNakReasonNotSpecified));
    } else {
      out.push_back(fault(call_id, 0, kNcaProtoError, kPfcDidNotExecute));
    }
    call_ = {};
  }

  void pdu(const CommonHeader& h, Bytes p, std::vector<std::vector<std::uint8_t>>& out) {
    auto type = static_cast<PType>(h.ptype);
    if (h.rpc_vers != 5) {
      // MS-RPCE 3.3.1.5.1 / C706 12.6.4.4: the versions we speak go with the nak.
      if (type == PType::bind) out.push_back(nak(h.call_id, kNakProtocolVersionNotSupported));
      else out.push_back(fault(h.call_id, 0, kNcaProtoError, kPfcDidNotExecute));
      return;
    }
    switch (type) {
      case PType::bind: bind(h, p, out); return;
      case PType::alter_context: alter_context(h, p, out); return;
      case PType::request: request(h, p, out); return;
      case PType::auth3:
      case PType::co_cancel:
        return;  // no answer is defined (C706 12.6.4.8/12.6.4.2); nothing to cancel: calls run at once
      case PType::orphaned:
        if (call_.active && call_.call_id == h.call_id) call_ = {};
        return;
      default:
        // Types a server never receives (response, fault, bind_ack, ...) and unknown ones.
        out.push_back(fault(h.call_id, 0, kNcaProtoError, kPfcDidNotExecute));
        return;
    }
  }

  void bind(const CommonHeader& h, Bytes p, std::vector<std::vector<std::uint8_t>>& out) {
    // A second bind on an association is a protocol error (C706 12.6.4.3: bind starts an
    // association; alter_context adds contexts to it).
    if (bound_) { out.push_back(nak(h.call_id, kNakReasonNotSpecified)); return; }
    // No DCE authentication on these pipes: the SMB session authenticates (MS-RPCE 2.2.2.5's
    // reason for an auth type we do not know).
    if (h.auth_length != 0) { out.push_back(nak(h.call_id, kNakAuthenticationTypeNotRecognized)); return; }
    // Only NDR20 little-endian is read here; a big-endian client is refused, not misread.
    if (!drep_supported(h)) { out.push_back(nak(h.call_id, kNakReasonNotSpecified)); return; }
    auto b = decode_bind(p);
    if (!b) { out.push_back(nak(h.call_id, kNakReasonNotSpecified)); return; }
    if (b->contexts.size() > limits_.max_contexts) { out.push_back(nak(h.call_id, kNakLocalLimitExceeded)); return; }

    bound_ = true;
    max_xmit_ = negotiate_frag(b->max_recv_frag);
    max_recv_ = negotiate_frag(b->max_xmit_frag);
    assoc_group_ = b->assoc_group_id != 0 ? b->assoc_group_id : new_assoc_group();
    BindAckPdu ack;
    ack.hdr = reply_header(h, PType::bind_ack);
    ack.max_xmit_frag = max_xmit_;
    ack.max_recv_frag = max_recv_;
    ack.assoc_group_id = assoc_group_;
    ack.secondary_address = secondary_address_;
    for (const auto& e : b->contexts) ack.results.push_back(evaluate(e));
    out.push_back(encode_bind_ack(ack));
  }

  void alter_context(const CommonHeader& h, Bytes p, std::vector<std::vector<std::uint8_t>>& out) {
    // alter_context has no nak: errors are faults (C706 12.6.4.1; MS-RPCE 3.3.1.5.6).
    if (!bound_ || h.auth_length != 0 || !drep_supported(h)) {
      out.push_back(fault(h.call_id, 0, kNcaProtoError, kPfcDidNotExecute));
      return;
    }
    auto b = decode_bind(p);
    if (!b) { out.push_back(fault(h.call_id, 0, kNcaProtoError, kPfcDidNotExecute)); return; }
    BindAckPdu ack;
    ack.hdr = reply_header(h, PType::alter_context_resp);
    ack.max_xmit_frag = max_xmit_;
    ack.max_recv_frag = max_recv_;
    ack.assoc_group_id = assoc_group_;
    // sec_addr is empty in alter_context_resp (MS-RPCE 2.2.2.8).
    for (const auto& e : b->contexts) ack.results.push_back(evaluate(e));
    out.push_back(encode_bind_ack(ack));
  }

  // One presentation context (MS-RPCE 3.3.1.5.3): accept NDR20 for a known interface whose major
  // version matches and minor is not newer than ours; BTFN gets negotiate_ack with the features
  // we support (none); NDR64 alone is refused.
  ContextResult evaluate(const ContextElem& e) {
    ContextResult res;
    res.result = kProviderRejection;
    if (!e.transfer_syntaxes.empty()) {
      if (auto bits = btfn_bits(e.transfer_syntaxes.front())) {
        (void)bits;
        res.result = kNegotiateAck;
        res.reason = 0;  // no optional features (security context multiplexing, keep orphan)
        return res;
      }
    }
    int iface = -1;
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
      SyntaxId ours = interfaces_[i]->abstract_syntax();
      if (ours.uuid == e.abstract_syntax.uuid && ours.major == e.abstract_syntax.major &&
          e.abstract_syntax.minor <= ours.minor) {
        iface = static_cast<int>(i);
        break;
      }
    }
    if (iface < 0) { res.reason = kAbstractSyntaxNotSupported; return res; }
    bool ndr20 = false;
    for (const auto& t : e.transfer_syntaxes) ndr20 = ndr20 || t == ndr20_syntax();
    if (!ndr20) { res.reason = kProposedTransferSyntaxesNotSupported; return res; }
    auto it = contexts_.find(e.context_id);
    if (it != contexts_.end()) {
      // A context id already in use keeps its interface (MS-RPCE 3.3.1.5.6).
      if (it->second != iface) { res.reason = kReasonNotSpecified; return res; }
    } else if (contexts_.size() >= limits_.max_contexts) {
      res.reason = kLocalLimitExceeded;
      return res;
    } else {
      contexts_.emplace(e.context_id, iface);
    }
    res.result = kAcceptance;
    res.transfer_syntax = ndr20_syntax();
    return res;
  }

  void request(const CommonHeader& h, Bytes p, std::vector<std::vector<std::uint8_t>>& out) {
    if (!bound_ || h.auth_length != 0 || !drep_supported(h)) {
      call_ = {};
      out.push_back(fault(h.call_id, 0, kNcaProtoError, kPfcDidNotExecute));
      return;
    }
    auto r = decode_request(p);
    if (!r) {
      call_ = {};
      out.push_back(fault(h.call_id, 0, kNcaProtoError, kPfcDidNotExecute));
      return;
    }
    bool first = (h.pfc_flags & kPfcFirstFrag) != 0;
    bool last = (h.pfc_flags & kPfcLastFrag) != 0;
    if (call_.discarding && !first && call_.call_id == h.call_id) {
      if (last) call_ = {};
      return;  // the rest of a call already answered with a fault
    }
    if (first) {
      if (call_.active) {
        // A new call while one is being reassembled: these pipes carry one call at a time (no
        // PFC_CONC_MPX), so both are dropped.
        abort_call(h, r->context_id, kNcaProtoError, out);
        return;
      }
      call_ = {};
      if (!contexts_.contains(r->context_id)) {
        abort_call(h, r->context_id, kNcaUnkIf, out);
        return;
      }
      call_.active = true;
      call_.call_id = h.call_id;
      call_.context_id = r->context_id;
      call_.opnum = r->opnum;
    } else if (!call_.active || call_.call_id != h.call_id || call_.context_id != r->context_id) {
      abort_call(h, r->context_id, kNcaProtoError, out);  // a fragment of no call in progress
      return;
    }
    if (r->stub.size() > limits_.max_request - call_.stub.size()) {
      abort_call(h, call_.context_id, kNcaProtoError, out);  // over our limit (PipeLimits)
      return;
    }
    call_.stub.insert(call_.stub.end(), r->stub.begin(), r->stub.end());
    if (!last) return;

    Call c = std::move(call_);
    call_ = {};
    Interface& iface = *interfaces_[static_cast<std::size_t>(contexts_.at(c.context_id))];
    CallContext ctx{client_};
    CallResult result = iface.call(c.opnum, c.stub, ctx);
    if (result.fault != 0) {
      // The call did not run when the interface refused the opnum or could not read the stub.
      bool not_run = result.fault == kNcaOpRangeError || result.fault == kNcaFaultNdr;
      out.push_back(fault(h.call_id, c.context_id, result.fault, not_run ? kPfcDidNotExecute : 0));
      return;
    }
    respond(h, c.context_id, result.stub, out);
  }

  // Drops the call in progress and answers this one with a fault; the rest of this call's
  // fragments (up to PFC_LAST_FRAG) are then swallowed, so the client gets one answer per call.
  void abort_call(const CommonHeader& h, std::uint16_t context_id, std::uint32_t status,
                  std::vector<std::vector<std::uint8_t>>& out) {
    call_ = {};
    if ((h.pfc_flags & kPfcLastFrag) == 0) {
      call_.discarding = true;
      call_.call_id = h.call_id;
    }
    out.push_back(fault(h.call_id, context_id, status, kPfcDidNotExecute));
  }

  // The response stub split into fragments of at most max_xmit_ bytes, each one message; every
  // fragment but the last carries a multiple of 8 stub bytes, alloc_hint is what remains
  // (C706 12.6.4.10).
  void respond(const CommonHeader& h, std::uint16_t context_id, const std::vector<std::uint8_t>& stub,
               std::vector<std::vector<std::uint8_t>>& out) {
    const std::size_t room = (max_xmit_ - kResponseHeaderSize) & ~std::size_t{7};
    std::size_t off = 0;
    do {
      std::size_t n = std::min(room, stub.size() - off);
      ResponsePdu r;
      r.hdr = reply_header(h, PType::response);
      r.hdr.pfc_flags = static_cast<std::uint8_t>((off == 0 ? kPfcFirstFrag : 0) |
                                                  (off + n == stub.size() ? kPfcLastFrag : 0));
      r.alloc_hint = static_cast<std::uint32_t>(stub.size() - off);
      r.context_id = context_id;
      r.stub = Bytes(stub).subspan(off, n);
      out.push_back(encode_response(r));
      off += n;
    } while (off < stub.size());
  }

  static CommonHeader reply_header(const CommonHeader& req, PType type) {
    CommonHeader h;
    h.ptype = static_cast<std::uint8_t>(type);
    h.pfc_flags = kPfcFirstFrag | kPfcLastFrag;
    h.call_id = req.call_id;
    return h;
  }

  std::vector<std::uint8_t> nak(std::uint32_t call_id, std::uint16_t reason) {
    BindNakPdu n;
    n.hdr.ptype = static_cast<std::uint8_t>(PType::bind_nak);
    n.hdr.pfc_flags = kPfcFirstFrag | kPfcLastFrag;
    n.hdr.call_id = call_id;
    n.reason = reason;
    n.versions = {{5, 0}};
    return encode_bind_nak(n);
  }

  std::vector<std::uint8_t> fault(std::uint32_t call_id, std::uint16_t context_id, std::uint32_t status,
                                  std::uint8_t flags) {
    FaultPdu f;
    f.hdr.ptype = static_cast<std::uint8_t>(PType::fault);
    f.hdr.pfc_flags = static_cast<std::uint8_t>(kPfcFirstFrag | kPfcLastFrag | flags);
    f.hdr.call_id = call_id;
    f.context_id = context_id;
    f.status = status;
    return encode_fault(f);
  }

  static std::uint32_t new_assoc_group() {
    std::uint32_t g = g_next_assoc_group.fetch_add(1, std::memory_order_relaxed);
    return g != 0 ? g : g_next_assoc_group.fetch_add(1, std::memory_order_relaxed);
  }

  std::vector<std::unique_ptr<Interface>> interfaces_;
  std::string secondary_address_;
  PipeClient client_;
  PipeLimits limits_;
  bool bound_ = false;
  std::uint16_t max_xmit_ = kOurMaxFrag, max_recv_ = kOurMaxFrag;
  std::uint32_t assoc_group_ = 0;
  std::map<std::uint16_t, int> contexts_;  // accepted p_cont_id -> index in interfaces_
  Call call_;
};

}  // namespace

std::unique_ptr<PipeInstance> make_rpc_pipe(std::vector<std::unique_ptr<Interface>> interfaces,
                                             std::string secondary_address, PipeClient client,
                                             PipeLimits limits) {
  return std::make_unique<RpcPipe>(std::move(interfaces), std::move(secondary_address), std::move(client),
                                   limits);
}

}  // namespace smbsrv::rpc
