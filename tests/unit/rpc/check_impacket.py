#!/usr/bin/python3
"""Cross-check of srvsvc / wkssvc / lsarpc responses against impacket, an independent NDR
implementation: runs the unit tests that dump each response to the request vectors
(rpc_vectors.hpp, themselves marshalled by impacket), parses every dump with impacket's
*Response structure, checks the decoded values and that impacket consumed exactly the bytes
we sent (re-marshalling gives the same length).

usage: check_impacket.py <smbsrv_unit_tests binary>     exit 0 = all good, 77 = impacket missing"""
import os
import subprocess
import sys
import tempfile

try:
    from impacket.dcerpc.v5 import srvs, wkst, lsat, lsad
except ImportError:
    sys.exit(77)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def sid_str(sid):
    return sid.formatCanonical()


def parse(cls, data, name):
    try:
        r = cls(data)
    except Exception as e:  # noqa: BLE001
        failures.append('%s: impacket could not parse: %r' % (name, e))
        return None
    check(len(r.getData()) == len(data), '%s: re-marshalled length %d != %d' % (name, len(r.getData()), len(data)))
    return r


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, SMBSRV_RPC_DUMP_DIR=d)
        subprocess.run([binary, '--gtest_filter=*DumpsResponsesForTheImpacketCheck*'], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        dumps = {f[:-4]: open(os.path.join(d, f), 'rb').read() for f in os.listdir(d)}
    checked = 0

    for lvl in (0, 1, 2, 502):
        r = parse(srvs.NetrShareEnumResponse, dumps['srvsvc.share_enum_%d' % lvl], 'share_enum_%d' % lvl)
        if r:
            buf = r['InfoStruct']['ShareInfo']['Level%d' % lvl]['Buffer']
            names = [e['shi%d_netname' % lvl][:-1] for e in buf]
            check(names == ['IPC$', 'Data', 'Public'], 'share_enum_%d names %r' % (lvl, names))
            check(r['TotalEntries'] == 3 and r['ErrorCode'] == 0, 'share_enum_%d totals' % lvl)
            if lvl == 1:
                check(buf[0]['shi1_type'] == 0x80000003 and buf[0]['shi1_remark'] == 'IPC Service\x00', 'IPC$ entry')
            if lvl == 2:
                check(buf[1]['shi2_path'] == 'C:\\Data\x00' and buf[1]['shi2_max_uses'] == 0xFFFFFFFF, 'level 2')
            checked += 1
    r = parse(srvs.NetrShareEnumResponse, dumps['srvsvc.share_enum_1_small'], 'share_enum_1_small')
    if r:
        check(r['ErrorCode'] == 234 and r['ResumeHandle'] == 1, 'paging: %d %r' % (r['ErrorCode'], r['ResumeHandle']))
        checked += 1
    for lvl in (0, 1, 2, 501, 502, 1005):
        r = parse(srvs.NetrShareGetInfoResponse, dumps['srvsvc.share_get_info_%d' % lvl], 'share_get_info_%d' % lvl)
        if r:
            check(r['ErrorCode'] == 0, 'share_get_info_%d status' % lvl)
            if lvl != 1005:
                check(r['InfoStruct']['ShareInfo%d' % lvl]['shi%d_netname' % lvl] == 'Data\x00', 'get_info %d' % lvl)
            checked += 1
    r = parse(srvs.NetrShareGetInfoResponse, dumps['srvsvc.share_get_info_unknown'], 'share_get_info_unknown')
    if r:
        check(r['ErrorCode'] == 2310, 'unknown share status')
        checked += 1
    for lvl in (100, 101, 102):
        r = parse(srvs.NetrServerGetInfoResponse, dumps['srvsvc.server_get_info_%d' % lvl], 'server_get_info_%d' % lvl)
        if r:
            info = r['InfoStruct']['ServerInfo%d' % lvl]
            check(info['sv%d_name' % lvl] == 'SMBSRV\x00' and info['sv%d_platform_id' % lvl] == 500, 'server %d' % lvl)
            if lvl >= 101:
                check(info['sv%d_type' % lvl] == 0x9003 and info['sv%d_version_major' % lvl] == 10, 'server type')
            checked += 1
    r = parse(srvs.NetrRemoteTODResponse, dumps['srvsvc.remote_tod'], 'remote_tod')
    if r:
        b = r['BufferPtr']
        check((b['tod_year'], b['tod_month'], b['tod_day'], b['tod_hours']) == (2024, 2, 29, 13), 'tod')
        checked += 1

    for lvl in (100, 101, 102):
        r = parse(wkst.NetrWkstaGetInfoResponse, dumps['wkssvc.wksta_get_info_%d' % lvl], 'wksta_get_info_%d' % lvl)
        if r:
            info = r['WkstaInfo']['WkstaInfo%d' % lvl]
            check(info['wki%d_computername' % lvl] == 'SMBSRV\x00' and info['wki%d_langroup' % lvl] == 'WORKGROUP\x00',
                  'wksta %d' % lvl)
            checked += 1

    for name, cls in (('open_policy2', lsad.LsarOpenPolicy2Response), ('open_policy2_qos', lsad.LsarOpenPolicy2Response),
                      ('open_policy', lsad.LsarOpenPolicyResponse), ('close', lsad.LsarCloseResponse)):
        r = parse(cls, dumps['lsarpc.' + name], name)
        if r:
            check(r['ErrorCode'] == 0, '%s status %x' % (name, r['ErrorCode']))
            checked += 1
    for base, cls in (('query_info_policy', lsad.LsarQueryInformationPolicyResponse),
                      ('query_info_policy2', lsad.LsarQueryInformationPolicy2Response)):
        r = parse(cls, dumps['lsarpc.%s_5' % base], base + '_5')
        if r:
            info = r['PolicyInformation']['PolicyAccountDomainInfo']
            check(info['DomainName'] == 'SMBSRV' and sid_str(info['DomainSid']) == 'S-1-5-21-1111-2222-3333', base + '_5')
            checked += 1
        r = parse(cls, dumps['lsarpc.%s_3' % base], base + '_3')
        if r:
            check(r['PolicyInformation']['PolicyPrimaryDomainInfo']['Name'] == 'WORKGROUP', base + '_3')
            checked += 1
        r = parse(cls, dumps['lsarpc.%s_12' % base], base + '_12')
        if r:
            check(r['PolicyInformation']['PolicyDnsDomainInfo']['Name'] == 'WORKGROUP', base + '_12')
            checked += 1

    want = ['SMBSRV\\alice', '\\Everyone', 'BUILTIN\\Administrators', 'SMBSRV\\SMBSRV', None]
    for name, cls in (('lookup_sids', lsat.LsarLookupSidsResponse), ('lookup_sids2', lsat.LsarLookupSids2Response),
                      ('lookup_sids3', lsat.LsarLookupSids3Response)):
        r = parse(cls, dumps['lsarpc.' + name], name)
        if r:
            # impacket shows an empty RPC_UNICODE_STRING (NULL buffer) as b''
            doms = [dd['Name'] if isinstance(dd['Name'], str) else dd['Name'].decode()
                    for dd in r['ReferencedDomains']['Domains']]
            got = []
            for n in r['TranslatedNames']['Names']:
                got.append(None if n['Use'] == 8 else '%s\\%s' % (doms[n['DomainIndex']], n['Name']))
            check(got == want, '%s: %r' % (name, got))
            check(r['ErrorCode'] == 0x107 and r['MappedCount'] == 4, name + ' status')
            checked += 1
    for name, cls in (('lookup_names3', lsat.LsarLookupNames3Response), ('lookup_names4', lsat.LsarLookupNames4Response)):
        r = parse(cls, dumps['lsarpc.' + name], name)
        if r:
            got = [sid_str(s['Sid']) if s['Use'] != 8 else None for s in r['TranslatedSids']['Sids']]
            check(got == ['S-1-5-21-1111-2222-3333-1000', 'S-1-5-21-1111-2222-3333-1001', 'S-1-1-0', 'S-1-5-32-544',
                          None], '%s: %r' % (name, got))
            checked += 1
    r = parse(lsat.LsarLookupNamesResponse, dumps['lsarpc.lookup_names'], 'lookup_names')
    if r:
        got = [s['RelativeId'] for s in r['TranslatedSids']['Sids']]
        check(got == [1000, 1001, 0, 544, 0], 'lookup_names: %r' % got)
        checked += 1
    r = parse(lsat.LsarGetUserNameResponse, dumps['lsarpc.get_user_name'], 'get_user_name')
    if r:
        check(r['UserName'] == 'alice', 'get_user_name %r' % r['UserName'])
        checked += 1

    for f in failures:
        print('FAIL', f)
    print('%d responses parsed by impacket, %d failures' % (checked, len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
