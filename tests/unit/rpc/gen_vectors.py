#!/usr/bin/python3
"""Writes rpc_vectors.hpp: request stubs for srvsvc, wkssvc and lsarpc built by impacket's NDR
(an independent client implementation), so the services' decoders are tested against what a real
client marshals. Run from anywhere: /usr/bin/python3 tests/unit/rpc/gen_vectors.py

The policy handle in lsarpc requests is kHandle (20 bytes of 0xAB); tests patch in a handle the
service returned (it is always the first 20 bytes of the stub)."""
import os
import random
import sys

from impacket.dcerpc.v5 import srvs, wkst, lsat, lsad
from impacket.dcerpc.v5.ndr import NULL
from impacket.dcerpc.v5.dtypes import RPC_UNICODE_STRING

random.seed(1)  # impacket picks some referent ids at random
HANDLE = b'\xab' * 20
MACHINE = 'S-1-5-21-1111-2222-3333'

vectors = []  # (interface, name, opnum, bytes)


def add(iface, name, req):
    vectors.append((iface, name, req.opnum, req.getData()))


def share_enum(level, server='\\\\127.0.0.1\x00', resume=0, maxlen=0xffffffff):
    r = srvs.NetrShareEnum()
    r['ServerName'] = server
    r['PreferedMaximumLength'] = maxlen
    r['ResumeHandle'] = resume
    r['InfoStruct']['Level'] = level
    r['InfoStruct']['ShareInfo']['tag'] = level
    r['InfoStruct']['ShareInfo']['Level%d' % level]['Buffer'] = NULL
    return r


for lvl in (0, 1, 2, 502):
    add('srvsvc', 'share_enum_%d' % lvl, share_enum(lvl))
add('srvsvc', 'share_enum_1_null_server_null_resume', share_enum(1, server=NULL, resume=NULL))
add('srvsvc', 'share_enum_1_small', share_enum(1, maxlen=64))

for lvl in (0, 1, 2, 501, 502, 1005, 7):
    r = srvs.NetrShareGetInfo()
    r['ServerName'] = NULL
    r['NetName'] = 'Data\x00'
    r['Level'] = lvl
    add('srvsvc', 'share_get_info_%d' % lvl, r)
r = srvs.NetrShareGetInfo()
r['ServerName'] = '\\\\SMBSRV\x00'
r['NetName'] = 'nosuch\x00'
r['Level'] = 1
add('srvsvc', 'share_get_info_unknown', r)

for lvl in (100, 101, 102, 103):
    r = srvs.NetrServerGetInfo()
    r['ServerName'] = '\\\\127.0.0.1\x00'
    r['Level'] = lvl
    add('srvsvc', 'server_get_info_%d' % lvl, r)

r = srvs.NetrRemoteTOD()
r['ServerName'] = NULL
add('srvsvc', 'remote_tod', r)

for lvl in (100, 101, 102, 502):
    r = wkst.NetrWkstaGetInfo()
    r['ServerName'] = '\\\\127.0.0.1\x00'
    r['Level'] = lvl
    add('wkssvc', 'wksta_get_info_%d' % lvl, r)

r = lsad.LsarOpenPolicy2()
r['SystemName'] = '\\\\127.0.0.1\x00'
r['ObjectAttributes']['RootDirectory'] = NULL
r['ObjectAttributes']['ObjectName'] = NULL
r['ObjectAttributes']['SecurityDescriptor'] = NULL
r['ObjectAttributes']['SecurityQualityOfService'] = NULL
r['DesiredAccess'] = 0x02000000
add('lsarpc', 'open_policy2', r)

r = lsad.LsarOpenPolicy2()
r['SystemName'] = NULL
r['ObjectAttributes']['Length'] = 24
r['ObjectAttributes']['RootDirectory'] = NULL
r['ObjectAttributes']['ObjectName'] = NULL
r['ObjectAttributes']['SecurityDescriptor'] = NULL
r['ObjectAttributes']['SecurityQualityOfService']['Length'] = 12
r['ObjectAttributes']['SecurityQualityOfService']['ImpersonationLevel'] = 2
r['ObjectAttributes']['SecurityQualityOfService']['ContextTrackingMode'] = 1
r['ObjectAttributes']['SecurityQualityOfService']['EffectiveOnly'] = 0
r['DesiredAccess'] = 0x00000800
add('lsarpc', 'open_policy2_qos', r)

r = lsad.LsarOpenPolicy()
r['SystemName'] = NULL
r['ObjectAttributes']['RootDirectory'] = NULL
r['ObjectAttributes']['ObjectName'] = NULL
r['ObjectAttributes']['SecurityDescriptor'] = NULL
r['ObjectAttributes']['SecurityQualityOfService'] = NULL
r['DesiredAccess'] = 0x02000000
add('lsarpc', 'open_policy', r)

r = lsad.LsarClose()
r['ObjectHandle'] = HANDLE
add('lsarpc', 'close', r)

for cls, nm in ((lsad.LsarQueryInformationPolicy, 'query_info_policy'),
                (lsad.LsarQueryInformationPolicy2, 'query_info_policy2')):
    for cls_level in (3, 5, 12, 1):
        r = cls()
        r['PolicyHandle'] = HANDLE
        r['InformationClass'] = cls_level
        add('lsarpc', '%s_%d' % (nm, cls_level), r)

SIDS = [MACHINE + '-1000', 'S-1-1-0', 'S-1-5-32-544', MACHINE, 'S-1-5-21-9-9-9-500']


def sid_request(cls, with_handle, sids, extra):
    r = cls()
    if with_handle:
        r['PolicyHandle'] = HANDLE
    r['SidEnumBuffer']['Entries'] = len(sids)
    for s in sids:
        item = lsat.LSAPR_SID_INFORMATION()
        item['Sid'].fromCanonical(s)
        r['SidEnumBuffer']['SidInfo'].append(item)
    r['TranslatedNames']['Names'] = NULL
    r['LookupLevel'] = lsat.LSAP_LOOKUP_LEVEL.LsapLookupWksta
    if extra:
        r['LookupOptions'] = 0
        r['ClientRevision'] = 2
    return r


add('lsarpc', 'lookup_sids', sid_request(lsat.LsarLookupSids, True, SIDS, False))
add('lsarpc', 'lookup_sids2', sid_request(lsat.LsarLookupSids2, True, SIDS, True))
add('lsarpc', 'lookup_sids3', sid_request(lsat.LsarLookupSids3, False, SIDS, True))
add('lsarpc', 'lookup_sids2_none', sid_request(lsat.LsarLookupSids2, True, ['S-1-5-21-9-9-9-500'], True))

NAMES = ['alice', 'SMBSRV\\bob', 'Everyone', 'BUILTIN\\Administrators', 'nosuchuser']


def name_request(cls, with_handle, names, extra):
    r = cls()
    if with_handle:
        r['PolicyHandle'] = HANDLE
    r['Count'] = len(names)
    for n in names:
        item = RPC_UNICODE_STRING()
        item['Data'] = n
        r['Names'].append(item)
    r['TranslatedSids']['Sids'] = NULL
    r['LookupLevel'] = lsat.LSAP_LOOKUP_LEVEL.LsapLookupWksta
    if extra:
        r['LookupOptions'] = 0
        r['ClientRevision'] = 2
    return r


add('lsarpc', 'lookup_names', name_request(lsat.LsarLookupNames, True, NAMES, False))
add('lsarpc', 'lookup_names3', name_request(lsat.LsarLookupNames3, True, NAMES, True))
add('lsarpc', 'lookup_names4', name_request(lsat.LsarLookupNames4, False, NAMES, True))
add('lsarpc', 'lookup_names3_none', name_request(lsat.LsarLookupNames3, True, ['nobody'], True))

r = lsat.LsarGetUserName()
r['SystemName'] = NULL
r['UserName'] = NULL
r['DomainName'] = NULL
add('lsarpc', 'get_user_name', r)


def cname(s):
    return 'k' + ''.join(p.capitalize() for p in s.split('_'))


out = ['// Generated by tests/unit/rpc/gen_vectors.py from impacket\'s NDR marshalling (do not edit).',
       '#pragma once', '', '#include <cstdint>', '#include <vector>', '',
       'namespace smbsrv::rpc::vectors {', '',
       'struct Vector {', '  const char* name;', '  std::uint16_t opnum;', '  std::vector<std::uint8_t> stub;', '};', '']
for iface in ('srvsvc', 'wkssvc', 'lsarpc'):
    out.append('inline const std::vector<Vector>& %s() {' % iface)
    out.append('  static const std::vector<Vector> v = {')
    for (i, name, opnum, data) in vectors:
        if i != iface:
            continue
        hexes = ', '.join('0x%02x' % b for b in data)
        out.append('    {"%s", %d, {%s}},' % (name, opnum, hexes))
    out.append('  };')
    out.append('  return v;')
    out.append('}')
    out.append('')
out.append('}  // namespace smbsrv::rpc::vectors')
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'rpc_vectors.hpp')
with open(path, 'w') as f:
    f.write('\n'.join(out) + '\n')
print('wrote %d vectors to %s' % (len(vectors), path))

# Seeds of the fuzz target tests/fuzz/fuzz_rpc_services.cpp: [mode][opnum LE16][stub], mode =
# interface index, | 4 for lsarpc requests that carry a policy handle (the target opens one).
corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fuzz', 'corpus', 'rpc_services')
os.makedirs(corpus, exist_ok=True)
for (iface, name, opnum, data) in vectors:
    mode = ('srvsvc', 'wkssvc', 'lsarpc').index(iface)
    if iface == 'lsarpc' and data[:20] == HANDLE:
        mode |= 4
    with open(os.path.join(corpus, 'seed-%s-%s' % (iface, name)), 'wb') as f:
        f.write(bytes([mode, opnum & 0xff, opnum >> 8]) + data)
print('wrote %d seeds to %s' % (len(vectors), os.path.normpath(corpus)))
