#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The corpus of the xl.cfg differential test (xldiff) that our own tests
and docs hold: config-looking code blocks of docs/*.md, heredocs of the
test scripts, C string literals of the config unit tests, the disk specs
of test_disk.c and the rate= values of test_vif.c.  Written to OUTDIR as
tests-N.cfg, docs-N.cfg, unit-N.cfg, unit.disk, unit.rate (taken at run
time, so a new example or test joins the corpus by itself).

usage: extract.py TOP OUTDIR"""
import glob
import os
import re
import sys

KEYLINE = re.compile(r'^\s*[a-z_][a-z0-9_.]*\s*\+?=\s*\S')


def configish(lines):
    """A config: KEY = lines, with comments, continuations, blanks."""
    body = [l for l in lines if l.strip() and not l.lstrip().startswith('#')]
    if not body or not any(KEYLINE.match(l) for l in body):
        return False
    ok = sum(1 for l in body if KEYLINE.match(l) or l[:1] in ' \t' or l.lstrip()[:1] in '\'"]')
    return ok * 2 >= len(body) * 1 and ok >= len(body) - 1


def md_blocks(path):
    out, cur = [], None
    for line in open(path, encoding='utf-8', errors='surrogateescape'):
        if line.startswith('```'):
            if cur is None:
                cur = []
            else:
                out.append(cur)
                cur = None
            continue
        if cur is not None:
            cur.append(line.rstrip('\n'))
    return [b for b in out if configish(b)]


HEREDOC = re.compile(r"<<-?\s*'?\"?([A-Za-z_]+)'?\"?")


def heredocs(path):
    out, lines = [], open(path, encoding='utf-8', errors='surrogateescape').read().split('\n')
    i = 0
    while i < len(lines):
        m = HEREDOC.search(lines[i])
        if m and not lines[i].lstrip().startswith('#'):
            end, body = m.group(1), []
            i += 1
            while i < len(lines) and lines[i].strip() != end:
                body.append(lines[i])
                i += 1
            if configish(body):
                out.append(body)
        i += 1
    return out


LIT = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def c_strings(path):
    """String literals, adjacent ones joined, C escapes decoded."""
    src = open(path, encoding='utf-8', errors='surrogateescape').read()
    src = re.sub(r'/\*.*?\*/', ' ', src, flags=re.S)
    out, pos = [], 0
    while True:
        m = LIT.search(src, pos)
        if not m:
            break
        parts, end = [m.group(1)], m.end()
        while True:
            m2 = re.compile(r'\s*"((?:[^"\\\n]|\\.)*)"').match(src, end)
            if not m2:
                break
            parts.append(m2.group(1))
            end = m2.end()
        pos = end
        raw = ''.join(parts)
        try:
            out.append(raw.encode('latin-1', 'surrogateescape').decode('unicode_escape').encode('latin-1'))
        except (UnicodeError, ValueError):
            continue
    return out


def main():
    top, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for md in sorted(glob.glob(os.path.join(top, 'docs', '*.md'))):
        for b in md_blocks(md):
            n += 1
            open(os.path.join(outdir, 'docs-%d.cfg' % n), 'w', encoding='utf-8',
                 errors='surrogateescape').write('\n'.join(b) + '\n')
    n = 0
    scripts = glob.glob(os.path.join(top, 'tests', 'host', '*.sh')) + \
        glob.glob(os.path.join(top, 'tests', 'suites', '*')) + glob.glob(os.path.join(top, 'scripts', '*'))
    for sh in sorted(scripts):
        if not os.path.isfile(sh):
            continue
        for b in heredocs(sh):
            n += 1
            open(os.path.join(outdir, 'tests-%d.cfg' % n), 'w', encoding='utf-8',
                 errors='surrogateescape').write('\n'.join(b) + '\n')
    n = 0
    for c in ['test_config.c', 'test_convert.c', 'test_hotplug.c', 'test_disk.c', 'test_vif.c']:
        p = os.path.join(top, 'tests', 'unit', c)
        if not os.path.exists(p):
            continue
        for s in c_strings(p):
            if b'\n' in s and re.search(rb'(^|\n)\s*[a-z_][a-z0-9_.]*\s*\+?=', s):
                n += 1
                open(os.path.join(outdir, 'unit-%d.cfg' % n), 'wb').write(s)
    with open(os.path.join(outdir, 'unit.disk'), 'wb') as f:
        for s in c_strings(os.path.join(top, 'tests', 'unit', 'test_disk.c')):
            if s and b'\n' not in s and b'\0' not in s and (b',' in s or b'=' in s) and len(s) < 4096:
                f.write(s + b'\n')
    with open(os.path.join(outdir, 'unit.rate'), 'wb') as f:
        for s in c_strings(os.path.join(top, 'tests', 'unit', 'test_vif.c')):
            for m in re.finditer(rb'(?:^|,)\s*rate=([^,\n\0]*)', s):
                f.write(m.group(1) + b'\n')


if __name__ == '__main__':
    main()
