#!/usr/bin/python3
"""Extended attributes through impacket's SMB3 layer: SET_INFO / QUERY_INFO FileFullEaInformation
(MS-FSCC 2.4.15) and the ExtA create context (MS-SMB2 2.2.13.2.1), checked on the wire and, for
the local backend, as the "user." xattrs they are stored as.

Usage: impacket_ea.py PORT USER PASSWORD SHARE_DIR
"""
import os
import struct
import sys

try:
    from impacket.smbconnection import SMBConnection
    from impacket import smb3, smb3structs as s3
except ImportError:
    print("impacket missing")
    sys.exit(77)

port, user, password, share_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
FULL_EA = 15  # FileFullEaInformation
EA_INFO = 7   # FileEaInformation
SL_RESTART_SCAN, SL_RETURN_SINGLE_ENTRY = 1, 2
STATUS_NO_EAS_ON_FILE = 0xC0000052
STATUS_INVALID_EA_NAME = 0x80000013
STATUS_ACCESS_DENIED = 0xC0000022


def full_list(eas):
    """FILE_FULL_EA_INFORMATION entries, 4-byte aligned."""
    out = b""
    for i, (name, value) in enumerate(eas):
        entry = struct.pack("<BBH", 0, len(name), len(value)) + name + b"\0" + value
        size = 4 + len(entry)
        pad = (-size) % 4 if i + 1 < len(eas) else 0
        out += struct.pack("<I", size + pad if i + 1 < len(eas) else 0) + entry + b"\0" * pad
    return out


def get_list(names):
    """FILE_GET_EA_INFORMATION entries, 4-byte aligned."""
    out = b""
    for i, name in enumerate(names):
        entry = struct.pack("<B", len(name)) + name + b"\0"
        size = 4 + len(entry)
        pad = (-size) % 4 if i + 1 < len(names) else 0
        out += struct.pack("<I", size + pad if i + 1 < len(names) else 0) + entry + b"\0" * pad
    return out


def parse(buf):
    eas, pos = [], 0
    while True:
        nxt, _flags, nlen, vlen = struct.unpack_from("<IBBH", buf, pos)
        name = bytes(buf[pos + 8:pos + 8 + nlen])
        value = bytes(buf[pos + 9 + nlen:pos + 9 + nlen + vlen])
        eas.append((name, value))
        if nxt == 0:
            return eas
        pos += nxt


def status_of(fn):
    try:
        fn()
    except smb3.SessionError as e:  # the SMB3 layer raises its own class
        return e.get_error_code()
    return 0


conn = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port, preferredDialect=0x0300)
conn.login(user, password)
smb = conn.getSMBServer()
tid = conn.connectTree("share")
rw = s3.FILE_READ_DATA | s3.FILE_WRITE_DATA | s3.FILE_READ_EA | s3.FILE_WRITE_EA | s3.FILE_READ_ATTRIBUTES
fid = smb.create(tid, "ea.txt", rw, s3.FILE_SHARE_READ | s3.FILE_SHARE_WRITE, s3.FILE_NON_DIRECTORY_FILE,
                 s3.FILE_OVERWRITE_IF, 0)

# No EAs yet.
assert status_of(lambda: smb.queryInfo(tid, fid, fileInfoClass=FULL_EA, flags=SL_RESTART_SCAN)) \
    == STATUS_NO_EAS_ON_FILE
# Set two, list them, read one back by name (plus one that does not exist), delete one.
smb.setInfo(tid, fid, full_list([(b"color", b"blue"), (b"Size", b"XL")]), fileInfoClass=FULL_EA)
listed = parse(smb.queryInfo(tid, fid, fileInfoClass=FULL_EA, flags=SL_RESTART_SCAN))
assert listed == [(b"Size", b"XL"), (b"color", b"blue")], listed
one = parse(smb.queryInfo(tid, fid, get_list([b"COLOR", b"nothere"]), fileInfoClass=FULL_EA))
assert one == [(b"color", b"blue"), (b"nothere", b"")], one
size = struct.unpack("<I", smb.queryInfo(tid, fid, fileInfoClass=EA_INFO)[:4])[0]
assert size == 16 + 18, size  # "Size" (15, padded to 16), then "color"
smb.setInfo(tid, fid, full_list([(b"size", b"")]), fileInfoClass=FULL_EA)
listed = parse(smb.queryInfo(tid, fid, fileInfoClass=FULL_EA, flags=SL_RESTART_SCAN | SL_RETURN_SINGLE_ENTRY))
assert listed == [(b"color", b"blue")], listed
# A bad name changes nothing.
assert status_of(lambda: smb.setInfo(tid, fid, full_list([(b"ok", b"1"), (b"a*b", b"2")]),
                                     fileInfoClass=FULL_EA)) == STATUS_INVALID_EA_NAME
# The server's own xattrs are not EAs: neither listed nor settable.
assert status_of(lambda: smb.setInfo(tid, fid, full_list([(b"smbsrv.dos", b"x")]),
                                     fileInfoClass=FULL_EA)) == STATUS_ACCESS_DENIED
smb.close(tid, fid)
# On disk: user.<name> xattrs.
path = os.path.join(share_dir, "ea.txt")
on_disk = sorted(n for n in os.listxattr(path) if n.startswith("user.") and not n.startswith("user.smbsrv."))
assert on_disk == ["user.color"], on_disk
assert os.getxattr(path, "user.color") == b"blue"
# An xattr set on the host is an EA to the client.
os.setxattr(path, "user.host", b"made-locally")
fid = smb.create(tid, "ea.txt", rw, s3.FILE_SHARE_READ, 0, s3.FILE_OPEN, 0)
listed = parse(smb.queryInfo(tid, fid, fileInfoClass=FULL_EA, flags=SL_RESTART_SCAN))
assert listed == [(b"color", b"blue"), (b"host", b"made-locally")], listed
smb.close(tid, fid)

# The ExtA create context puts EAs on a new file.
ctx = s3.SMB2CreateContext()
data = full_list([(b"from.create", b"yes")])
ctx["Next"] = 0
ctx["NameOffset"] = 16
ctx["NameLength"] = 4
ctx["DataOffset"] = 24
ctx["DataLength"] = len(data)
ctx["Buffer"] = b"ExtA" + b"\0" * 4 + data
fid = smb.create(tid, "made.txt", rw, s3.FILE_SHARE_READ, s3.FILE_NON_DIRECTORY_FILE, s3.FILE_CREATE, 0,
                 createContexts=[ctx])
listed = parse(smb.queryInfo(tid, fid, fileInfoClass=FULL_EA, flags=SL_RESTART_SCAN))
assert listed == [(b"from.create", b"yes")], listed
smb.close(tid, fid)
assert os.getxattr(os.path.join(share_dir, "made.txt"), "user.from.create") == b"yes"
conn.logoff()
print("PASS impacket extended attributes")
