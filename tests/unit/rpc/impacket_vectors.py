#!/usr/bin/python3
"""Golden DCE/RPC PDUs from impacket (a real client implementation) for rpc_pipe_test.cpp.

Run: /usr/bin/python3 tests/unit/rpc/impacket_vectors.py
It prints the PDUs impacket builds (bind with NDR20/NDR64/BTFN contexts as Windows offers them,
a fragmented request), and parses our server's answers recorded in rpc_pipe_test.cpp (kOurBindAck,
kOurResponse) with impacket's own parsers, asserting the fields. The test checks that our decoder
accepts the former and that our encoder produces exactly the latter.
"""
from impacket.dcerpc.v5 import rpcrt
from impacket.uuid import uuidtup_to_bin

SRVSVC = ('4b324fc8-1670-01d3-1278-5a47bf6ee188', '3.0')
NDR20 = ('8a885d04-1ceb-11c9-9fe8-08002b104860', '2.0')
NDR64 = ('71710533-beba-4937-8319-b5dbef9ccc36', '1.0')
BTFN = ('6cb71c2c-9812-4540-0300-000000000000', '1.0')


def bind():
    b = rpcrt.MSRPCBind()
    for i, ts in enumerate([NDR20, NDR64, BTFN]):
        item = rpcrt.CtxItem()
        item['ContextID'] = i
        item['TransItems'] = 1
        item['AbstractSyntax'] = uuidtup_to_bin(SRVSVC)
        item['TransferSyntax'] = uuidtup_to_bin(ts)
        b.addCtxItem(item)
    h = rpcrt.MSRPCHeader()
    h['type'] = rpcrt.MSRPC_BIND
    h['flags'] = rpcrt.PFC_FIRST_FRAG | rpcrt.PFC_LAST_FRAG
    h['call_id'] = 1
    h['pduData'] = b.getData()
    return h.get_packet()


def request(flags, call_id, stub, opnum=15):
    r = rpcrt.MSRPCRequestHeader()
    r['flags'] = flags
    r['call_id'] = call_id
    r['ctx_id'] = 0
    r['op_num'] = opnum
    r['alloc_hint'] = len(stub)
    r['pduData'] = stub
    return r.get_packet()


# Our server's bind_ack to bind() above (secondary address \PIPE\srvsvc, assoc group 0x5353),
# as recorded in rpc_pipe_test.cpp.
OUR_BIND_ACK = (
    "05000c03100000007400000001000000b810b810535300000d005c504950455c7372767376630000"
    "0300000000000000045d888aeb1cc9119fe808002b10486002000000020002000000000000000000000000000000000000000000030000000000000000000000000000000000000000000000")
OUR_RESPONSE = "05000203100000001c000000020000000400000000000000deadbeef"


def main():
    print("bind:", bind().hex())
    print("request first:", request(rpcrt.PFC_FIRST_FRAG, 2, b'\x01\x02\x03\x04').hex())
    print("request last:", request(rpcrt.PFC_LAST_FRAG, 2, b'\x05\x06\x07\x08').hex())

    ack = rpcrt.MSRPCBindAck(bytes.fromhex(OUR_BIND_ACK))
    assert ack['type'] == rpcrt.MSRPC_BINDACK, ack['type']
    assert ack['frag_len'] == len(bytes.fromhex(OUR_BIND_ACK))
    assert ack['max_tfrag'] == 4280 and ack['max_rfrag'] == 4280
    assert ack['assoc_group'] == 0x5353
    addr = ack['SecondaryAddr']
    addr = addr.decode() if isinstance(addr, bytes) else addr
    assert addr.rstrip('\x00') == '\\PIPE\\srvsvc', addr
    results = [(c['Result'], c['Reason'], c['TransferSyntax']) for c in ack.getCtxItems()]
    assert results[0] == (0, 0, uuidtup_to_bin(NDR20)), results[0]
    assert results[1][:2] == (2, 2), results[1]
    assert results[2][:2] == (3, 0), results[2]
    resp = rpcrt.MSRPCRespHeader(bytes.fromhex(OUR_RESPONSE))
    assert resp['type'] == rpcrt.MSRPC_RESPONSE and resp['call_id'] == 2
    assert resp['pduData'] == bytes.fromhex('deadbeef'), resp['pduData']
    print("impacket parses our bind_ack and response: ok")


if __name__ == '__main__':
    main()
