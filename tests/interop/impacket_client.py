#!/usr/bin/python3
"""impacket SMBConnection against the example server: list, put, get, rename, delete.

Usage: impacket_client.py PORT USER PASSWORD DIALECT(0x0210|0x0300|...)
Debian's python3-impacket 0.10 is installed for /usr/bin/python3 only.
"""
import io
import os
import sys

try:
    from impacket.smbconnection import SMBConnection
    from impacket.smb3structs import SMB2_DIALECT_21, SMB2_DIALECT_30, SMB2_DIALECT_002
except ImportError:
    print("impacket missing")
    sys.exit(77)

port, user, password, dialect = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4], 16)
conn = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port, preferredDialect=dialect)
conn.login(user, password)
assert conn.getDialect() == dialect, hex(conn.getDialect())
payload = os.urandom(3 * 1024 * 1024 + 17)
conn.createDirectory("share", "imp_dir")
conn.putFile("share", "imp_dir\\data.bin", io.BytesIO(payload).read)
names = [f.get_longname() for f in conn.listPath("share", "imp_dir\\*")]
assert "data.bin" in names, names
buf = io.BytesIO()
conn.getFile("share", "imp_dir\\data.bin", buf.write)
assert buf.getvalue() == payload, "content differs"
conn.rename("share", "imp_dir\\data.bin", "imp_dir\\renamed.bin")
names = [f.get_longname() for f in conn.listPath("share", "imp_dir\\*")]
assert "renamed.bin" in names and "data.bin" not in names, names
conn.deleteFile("share", "imp_dir\\renamed.bin")
conn.deleteDirectory("share", "imp_dir")
conn.logoff()
print("PASS impacket dialect 0x%04x" % dialect)
