#!/usr/bin/python3
"""impacket's share listing and DCE/RPC calls over IPC$ against the example server.

Usage: impacket_rpc.py PORT USER PASSWORD DIALECT_HEX
The server runs with --server-name TESTSRV --workgroup TESTGROUP --machine-sid S-1-5-21-1111-2222-3333
and a share "docs" with the comment "Team documents". Prints PASS lines; exits non-zero on the
first failure.
"""
import sys

from impacket.smbconnection import SMBConnection
from impacket.dcerpc.v5 import transport, srvs, wkst, lsat, lsad
from impacket.dcerpc.v5.dtypes import MAXIMUM_ALLOWED
from impacket.dcerpc.v5.rpcrt import DCERPCException

port, user, password, dialect = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4], 16)
MACHINE = "S-1-5-21-1111-2222-3333"


def check(name, cond, detail=""):
    if not cond:
        print(f"FAIL {name} {detail}")
        sys.exit(1)
    print(f"PASS {name}")


conn = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port, preferredDialect=dialect)
conn.login(user, password)
shares = {s["shi1_netname"][:-1]: s["shi1_remark"][:-1] for s in conn.listShares()}
check("listShares", shares.get("docs") == "Team documents" and "IPC$" in shares and "share" in shares, shares)


def bind(pipe, uuid):
    t = transport.SMBTransport("127.0.0.1", port, pipe, smb_connection=conn)
    dce = t.get_dce_rpc()
    dce.connect()
    dce.bind(uuid)
    return dce


dce = bind(r"\srvsvc", srvs.MSRPC_UUID_SRVS)
r = srvs.hNetrShareEnum(dce, 2)
names = [e["shi2_netname"][:-1] for e in r["InfoStruct"]["ShareInfo"]["Level2"]["Buffer"]]
check("NetrShareEnum level 2", "docs" in names and "IPC$" in names, names)
r = srvs.hNetrShareGetInfo(dce, "docs\x00", 1)
check("NetrShareGetInfo level 1", r["InfoStruct"]["ShareInfo1"]["shi1_remark"][:-1] == "Team documents", r)
try:
    srvs.hNetrShareGetInfo(dce, "nosuch\x00", 1)
    check("NetrShareGetInfo unknown share", False, "succeeded")
except DCERPCException as e:
    check("NetrShareGetInfo unknown share", e.get_error_code() == 2310, str(e))
r = srvs.hNetrServerGetInfo(dce, 101)
info = r["InfoStruct"]["ServerInfo101"]
check("NetrServerGetInfo level 101", info["sv101_name"][:-1] == "TESTSRV" and info["sv101_platform_id"] == 500,
      r)
r = srvs.hNetrRemoteTOD(dce)
check("NetrRemoteTOD", r["BufferPtr"]["tod_year"] >= 2024, r)
dce.disconnect()

dce = bind(r"\wkssvc", wkst.MSRPC_UUID_WKST)
r = wkst.hNetrWkstaGetInfo(dce, 100)
w = r["WkstaInfo"]["WkstaInfo100"]
check("NetrWkstaGetInfo level 100", w["wki100_computername"][:-1] == "TESTSRV" and
      w["wki100_langroup"][:-1] == "TESTGROUP", r)
dce.disconnect()

dce = bind(r"\lsarpc", lsat.MSRPC_UUID_LSAT)
policy = lsad.hLsarOpenPolicy2(dce, MAXIMUM_ALLOWED | lsat.POLICY_LOOKUP_NAMES)["PolicyHandle"]
r = lsad.hLsarQueryInformationPolicy2(dce, policy, lsad.POLICY_INFORMATION_CLASS.PolicyAccountDomainInformation)
dom = r["PolicyInformation"]["PolicyAccountDomainInfo"]
check("LsarQueryInformationPolicy2 account domain",
      dom["DomainName"] == "TESTSRV" and dom["DomainSid"].formatCanonical() == MACHINE, r)
r = lsat.hLsarLookupNames3(dce, policy, (user,))
rid = r["TranslatedSids"]["Sids"][0]["Sid"].formatCanonical()
check("LsarLookupNames3", rid.startswith(MACHINE + "-") and r["TranslatedSids"]["Sids"][0]["Use"] == 1, r)
r = lsat.hLsarLookupSids2(dce, policy, (rid, "S-1-1-0"))
names = [n["Name"] for n in r["TranslatedNames"]["Names"]]
check("LsarLookupSids2", names == [user, "Everyone"], names)
try:
    lsat.hLsarLookupSids2(dce, policy, ("S-1-5-21-9-9-9-1000",))
    check("LsarLookupSids2 unknown", False, "succeeded")
except DCERPCException as e:
    check("LsarLookupSids2 unknown", "STATUS_NONE_MAPPED" in str(e), str(e))
r = lsat.hLsarGetUserName(dce)
check("LsarGetUserName", r["UserName"] == user, r)
lsad.hLsarClose(dce, policy)
dce.disconnect()
conn.logoff()
print("all passed")
