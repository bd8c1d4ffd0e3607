#!/usr/bin/env python3
"""Generates src/util/upcase_table.inc, the upcase table behind smbsrv::upcase().

    python3 scripts/gen_upcase_table.py           writes the table, prints what it wrote
    python3 scripts/gen_upcase_table.py --check   exits 1 if the committed table differs

What the table is. MS-FSA compares names after upcasing them with the volume's upcase table. On
NTFS that is the $UpCase file (on exFAT the Up-case Table): 64 Ki UTF-16 code units, each mapped
to ONE code unit. So it is a simple 1:1 mapping of the BMP: no expansion (no ß -> SS), no
normalization, and code points outside the BMP (surrogate pairs) are never changed.

What this script does. It starts from Unicode's simple uppercase mapping, taken from Python's
`unicodedata` (stdlib only: Python does not expose UnicodeData.txt's field 12, so str.upper() is
used where it gives exactly one code point; see simple_uppercase()), keeps only BMP -> BMP
mappings, and applies the decisions below, which make it agree with what Windows does.

Reference used to check those decisions: the up-case table that Microsoft publishes in the exFAT
file system specification, section 7.2.5.1 "Recommended Up-case Table" (2918 words in
compressed form), a Windows casing table of the Unicode 5.0 era (its newest mappings are
U+0180 -> U+0243, U+1D7D -> U+2C63, U+214E -> U+2132). The same table is what mkfs.exfat
(exfatprogs) writes; it was read back from a formatted image to check this script. The older
NTFS default table (as rebuilt in Apple's BSD-licensed ntfs_upcase.c, from the NT era) agrees on
every character named in the decisions that it covers. Comparing the equivalence classes of
the exFAT table with those of this script's output: with the decisions below, every pair that
Microsoft's table makes equal is equal here and vice versa, except for case pairs that Unicode
added in 5.1 and later (Latin Extended-C/D such as U+0250 -> U+2C6F, Cyrillic Extended-B,
Cherokee lowercase, Greek U+0370.., Glagolitic U+2C2F/U+2C5F, ...). For those this table
follows current Unicode: they differ between NTFS volumes anyway, since $UpCase is "a copy of
the very same uppercase information that NLS defines, burned into the drive at the time the
drive is formatted" (Michael Kaplan, Microsoft, "Sorting it all Out" blog, 2005-01-16).
(Two of Microsoft's rows map the *upper* case letter to the lower one, U+023A -> U+2C65 and
U+1FCC -> U+1FC3; the classes are the same as Unicode's, only the representative differs, and
for comparing names only the classes matter. This table always maps to the upper case letter.)

Decisions (each is applied below; the script fails if a new Unicode version adds a case that
no decision covers, so that someone decides it):

1. Mappings that do not round-trip are dropped: c -> U is kept only if U's lowercase is c
   again. Unicode maps some compatibility variants to the upper case of another letter; the
   Windows table leaves all of them unchanged (exFAT spec table: these entries are identity):
   - U+0131 LATIN SMALL LETTER DOTLESS I stays U+0131 (Unicode: -> U+0049 'I'), so "ı" and "I"
     are different names. Also dotnet/runtime (System.Globalization.Native pal_casing.c): "On
     Windows with InvariantCulture, the LATIN SMALL LETTER DOTLESS I (U+0131) capitalizes to
     itself", and its OrdinalIgnoreCase table, built to match Windows, keeps U+0131 and U+017F.
   - U+017F LATIN SMALL LETTER LONG S stays U+017F (Unicode: -> 'S'); same sources.
   - U+00B5 MICRO SIGN stays (Unicode: -> U+039C Greek capital MU).
   - U+01C5, U+01C8, U+01CB, U+01F2, the titlecase digraphs (Dž Lj Nj Dz), stay themselves
     (Unicode: -> U+01C4 etc.). Windows maps only the lower case digraphs (U+01C6 -> U+01C4),
     so "ǅ" differs from both "Ǆ" and "ǆ" (which are equal).
   - U+0345 COMBINING GREEK YPOGEGRAMMENI and U+1FBE GREEK PROSGEGRAMMENI stay (-> U+0399).
   - The Greek symbol variants U+03D0 ϐ, U+03D1 ϑ, U+03D5 ϕ, U+03D6 ϖ, U+03F0 ϰ, U+03F1 ϱ,
     U+03F5 ϵ stay (Unicode maps them to the capitals of β θ φ π κ ρ ε).
   - U+1E9B LATIN SMALL LETTER LONG S WITH DOT ABOVE stays (Unicode: -> U+1E60).
   - U+1C80..U+1C88, the Cyrillic variant letters of Unicode 9 (rounded ve, long-legged de,
     ...), stay: they postdate the published table, and are dropped by the same rule, as the
     Greek variants above are by Windows.
   The one exception to the rule is kept as Windows has it:
   - U+03C2 GREEK SMALL LETTER FINAL SIGMA -> U+03A3 Σ (exFAT spec table: 0x03C2 -> 0x03A3;
     Unicode agrees), so "Σ", "σ" and "ς" are one name although Σ lowercases to σ.
2. U+00DF LATIN SMALL LETTER SHARP S stays U+00DF and U+1E9E LATIN CAPITAL LETTER SHARP S stays
   U+1E9E (exFAT spec table: both identity). Unicode's simple uppercase of ß is ß itself (its
   full uppercase "SS" expands, which an upcase table cannot do), and an upcase table never
   lowercases, so "ß", "ẞ" and "SS" are three different names. No exception is needed.
3. Georgian Mkhedruli U+10D0..U+10FA, U+10FD..U+10FF is NOT mapped to Mtavruli
   U+1C90..U+1CBF, although Unicode 11 added that mapping: Mkhedruli is the everyday, caseless
   script (Mtavruli is used only for all-caps typography, and browsers disable this mapping for
   CSS text-transform), and Microsoft's table and every NTFS volume formatted before it keep
   the two apart. Nuskhuri U+2D00..U+2D2D IS mapped to Asomtavruli U+10A0..U+10CD, as in the
   exFAT spec table (0x2D00 -> 0x10A0 ...).
4. Greek letters with ypogegrammeni (U+1F80..U+1FAF, U+1FB3, U+1FC3, U+1FF3) map to their
   titlecase forms with prosgegrammeni (U+1F88 ...), which is Unicode's simple uppercase and
   what the exFAT spec table does (0x1F80 -> 0x1F88, 0x1FB3 -> 0x1FBC). str.upper() expands
   them ("ἈΙ"), so simple_uppercase() takes str.title() for them.
5. Everything else follows Unicode's simple uppercase as in Python's unicodedata (its version is
   recorded in the output): the accented Latin letters, Greek with tonos, Cyrillic, Armenian,
   Glagolitic, Coptic, Cherokee, the Roman numerals U+2170.., the circled letters U+24D0.. and
   the full-width Latin letters U+FF41.. all map, as on Windows. Code points that are already
   upper case, such as U+0130 'İ', U+212A KELVIN SIGN and U+2126 OHM SIGN, stay themselves.
"""

import argparse
import os
import sys
import unicodedata

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "util", "upcase_table.inc")

# Decision 1: the non-round-tripping mappings that are dropped. The script recomputes the set
# and stops if Unicode's differs from this list, so a new case gets a decision first.
DROPPED_NON_ROUND_TRIP = {
    0x00B5, 0x0131, 0x017F, 0x01C5, 0x01C8, 0x01CB, 0x01F2, 0x0345,
    0x03D0, 0x03D1, 0x03D5, 0x03D6, 0x03F0, 0x03F1, 0x03F5,
    0x1C80, 0x1C81, 0x1C82, 0x1C83, 0x1C84, 0x1C85, 0x1C86, 0x1C87, 0x1C88,
    0x1E9B, 0x1FBE,
}
KEPT_NON_ROUND_TRIP = {0x03C2}  # final sigma -> Σ


def georgian_mkhedruli_to_mtavruli(cp, up):  # decision 3
    return 0x10D0 <= cp <= 0x10FF and 0x1C90 <= up <= 0x1CBF


def simple_uppercase(cp):
    """Unicode's simple uppercase mapping of cp (cp itself if it has none)."""
    c = chr(cp)
    u = c.upper()
    if len(u) == 1:
        return ord(u)
    # The full mapping expands. Only the Greek letters with ypogegrammeni (decision 4) have a
    # simple uppercase then; it is their (single code point) titlecase, which lowercases back.
    t = c.title()
    if len(t) == 1 and t != c and t.lower() == c:
        return ord(t)
    return cp


def build():
    table = {}
    non_round_trip = set()
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue  # surrogate code units: never changed
        up = simple_uppercase(cp)
        if up == cp or up > 0xFFFF:
            continue
        if chr(up).lower() != chr(cp):
            non_round_trip.add(cp)
            if cp not in KEPT_NON_ROUND_TRIP:
                continue
        if georgian_mkhedruli_to_mtavruli(cp, up):
            continue
        table[cp] = up
    expected = DROPPED_NON_ROUND_TRIP | KEPT_NON_ROUND_TRIP
    if non_round_trip != expected:
        sys.exit("gen_upcase_table: Unicode %s has non-round-tripping mappings that no decision covers: "
                 "new %s, gone %s" % (unicodedata.unidata_version,
                                      sorted(hex(c) for c in non_round_trip - expected),
                                      sorted(hex(c) for c in expected - non_round_trip)))
    # Sanity: a projection (upcasing twice is upcasing once), so that equal upcases is an
    # equivalence; the checks below pin the decisions.
    for cp, up in table.items():
        assert table.get(up, up) == up, hex(cp)
    assert 0x0131 not in table and 0x017F not in table and 0x00DF not in table
    assert 0x1E9E not in table and 0x01C5 not in table and table[0x01C6] == 0x01C4
    assert table[0x03C2] == 0x03A3 and table[0x03C3] == 0x03A3 and 0x10D0 not in table
    assert table[0x2D00] == 0x10A0 and table[0x1F80] == 0x1F88 and table[0xFF41] == 0xFF21
    return table


def ranges_of(table):
    """Runs of mapped code points with one delta, stepping by 1 or 2 (the alternating
    upper/lower blocks such as Latin Extended-A). Runs follow the sorted code points, so they
    never overlap."""
    cps = sorted(table)
    out = []
    i = 0
    while i < len(cps):
        first = cps[i]
        delta = table[first] - first
        stride = 1
        if i + 1 < len(cps) and cps[i + 1] - first in (1, 2) and table[cps[i + 1]] - cps[i + 1] == delta:
            stride = cps[i + 1] - first
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + stride and table[cps[j + 1]] - cps[j + 1] == delta:
            j += 1
        out.append((first, cps[j], stride if j > i else 1, delta))
        i = j + 1
    # Expanding the runs gives the table back.
    expanded = {}
    for first, last, stride, delta in out:
        for cp in range(first, last + 1, stride):
            expanded[cp] = cp + delta
    assert expanded == table
    return out


def render(table, ranges):
    def name(cp):
        return unicodedata.name(chr(cp), "U+%04X" % cp).lower()

    lines = [
        "// Generated by scripts/gen_upcase_table.py: do not edit; change the script and run it.",
        "// Unicode %s simple uppercase mappings of the BMP, with the exceptions that make it match"
        % unicodedata.unidata_version,
        "// Windows' upcase table (the decisions and their sources are in the script).",
        "// %d code points map to another one, in %d runs." % (len(table), len(ranges)),
        "// Each run: {first, last, stride, delta}: first, first+stride, ... last map to cp + delta.",
        "",
        'inline constexpr char kUpcaseUnicodeVersion[] = "%s";' % unicodedata.unidata_version,
        "inline constexpr std::size_t kUpcaseMappedCount = %d;" % len(table),
        "inline constexpr UpcaseRun kUpcaseRuns[] = {",
    ]
    for first, last, stride, delta in ranges:
        line = "    {0x%04X, 0x%04X, %d, %d},  // " % (first, last, stride, delta)
        comment = name(first) if first == last else "%s .. U+%04X" % (name(first), last)
        if len(line) + len(comment) > 110:
            comment = comment[:110 - len(line) - 3] + "..."
        lines.append(line + comment)
    lines.append("};")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed table instead of writing it")
    args = ap.parse_args()
    table = build()
    ranges = ranges_of(table)
    text = render(table, ranges)
    if args.check:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("gen_upcase_table: %s is not what the script generates (Unicode %s here)"
                         % (os.path.normpath(OUT), unicodedata.unidata_version))
        print("upcase table up to date")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s: Unicode %s, %d mapped code points in %d runs"
          % (os.path.normpath(OUT), unicodedata.unidata_version, len(table), len(ranges)))


if __name__ == "__main__":
    main()
