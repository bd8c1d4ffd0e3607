#!/usr/bin/python3
"""impacket SMBConnection against the example server: list, put, get, rename, delete.

Usage: impacket_client.py PORT USER PASSWORD DIALECT(0x0210|0x0300|...) [SHARE [EXPECT]]
  EXPECT: "ok" (default), "encrypted" (everything after SESSION_SETUP must travel encrypted),
          "refused-login" / "refused-tree" (ACCESS_DENIED at SESSION_SETUP / TREE_CONNECT).
Debian's python3-impacket 0.10 is installed for /usr/bin/python3 only. impacket 0.10 offers
SMB2_GLOBAL_CAP_ENCRYPTION at 3.0 and, when the server answers with it, encrypts every request
after login (AES-128-CCM); at 3.1.1 it never encrypts (its SupportsEncryption stays False).
"""
import io
import os
import sys

try:
    from impacket.smbconnection import SMBConnection, SessionError
    from impacket.smb3structs import SMB2_SESSION_FLAG_ENCRYPT_DATA
    from impacket.nt_errors import STATUS_ACCESS_DENIED
except ImportError:
    print("impacket missing")
    sys.exit(77)

port, user, password, dialect = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4], 16)
share = sys.argv[5] if len(sys.argv) > 5 else "share"
expect = sys.argv[6] if len(sys.argv) > 6 else "ok"


def is_access_denied(e):
    return isinstance(e, SessionError) and e.getErrorCode() == STATUS_ACCESS_DENIED


conn = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port, preferredDialect=dialect)
# Count what arrives on the wire: 0xFD 'SMB' (transformed) versus 0xFE 'SMB' (plain).
smb3 = conn.getSMBServer()
received = {"plain": 0, "encrypted": 0}
nb = smb3._NetBIOSSession
orig_recv = nb.recv_packet


def counting_recv(*args, **kwargs):
    pkt = orig_recv(*args, **kwargs)
    received["encrypted" if pkt.get_trailer().startswith(b"\xfdSMB") else "plain"] += 1
    return pkt


nb.recv_packet = counting_recv

try:
    conn.login(user, password)
except Exception as e:  # noqa: BLE001 - report anything unexpected as it is
    if expect == "refused-login" and is_access_denied(e):
        print("PASS impacket dialect 0x%04x: SESSION_SETUP refused with ACCESS_DENIED" % dialect)
        sys.exit(0)
    raise
assert expect != "refused-login", "login succeeded, ACCESS_DENIED expected"
assert conn.getDialect() == dialect, hex(conn.getDialect())
encrypting = bool(smb3._Session["SessionFlags"] & SMB2_SESSION_FLAG_ENCRYPT_DATA)
if expect == "encrypted":
    assert encrypting, "impacket did not turn encryption on (server did not offer it?)"
received = {"plain": 0, "encrypted": 0}  # from here on: after SESSION_SETUP

if expect == "refused-tree":
    try:
        conn.connectTree(share)
    except Exception as e:  # noqa: BLE001
        if is_access_denied(e):
            print("PASS impacket dialect 0x%04x: TREE_CONNECT %s refused with ACCESS_DENIED" % (dialect, share))
            sys.exit(0)
        raise
    raise AssertionError("TREE_CONNECT to %s succeeded, ACCESS_DENIED expected" % share)

payload = os.urandom(3 * 1024 * 1024 + 17)
conn.createDirectory(share, "imp_dir")
conn.putFile(share, "imp_dir\\data.bin", io.BytesIO(payload).read)
names = [f.get_longname() for f in conn.listPath(share, "imp_dir\\*")]
assert "data.bin" in names, names
buf = io.BytesIO()
conn.getFile(share, "imp_dir\\data.bin", buf.write)
assert buf.getvalue() == payload, "content differs"
conn.rename(share, "imp_dir\\data.bin", "imp_dir\\renamed.bin")
names = [f.get_longname() for f in conn.listPath(share, "imp_dir\\*")]
assert "renamed.bin" in names and "data.bin" not in names, names
conn.deleteFile(share, "imp_dir\\renamed.bin")
conn.deleteDirectory(share, "imp_dir")
if expect == "encrypted":
    assert received["plain"] == 0 and received["encrypted"] > 0, received
conn.logoff()
print("PASS impacket dialect 0x%04x share %s%s (answers after login: %d encrypted, %d plain)"
      % (dialect, share, " encrypted" if encrypting else "", received["encrypted"], received["plain"]))
