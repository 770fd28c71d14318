#!/usr/bin/env python3
# amanatar.py - packs files into a tar exactly as docs/format.md says amana writes its
# container: ustar headers, mode 0644, owner 0:0 with empty names, device numbers 0, every
# mtime the envelope's created time, zero padding, two zero end blocks and nothing after.
# Written from the format's text, not from amana's code, so that tests can build containers
# that differ from a sealed one only where the test changes a member (stock tar writes other
# headers, which amana refuses).
#
#   python3 amanatar.py OUT NAME...     (run in the folder holding the members)
#
# The time is read from ./envelope's "created:" line (0 when there is no envelope). Names
# must be ASCII and at most 100 bytes, sizes below 8 GiB: what a pax record would carry is
# out of this helper's scope.
import calendar
import os
import sys
import time


def octal(value, width):
    # libarchive's ustar fields: zero-padded octal digits, then a space (and a NUL for the
    # 8-byte fields).
    if width == 12:
        return b"%011o " % value
    return b"%06o \0" % value


def header(name, size, mtime):
    raw = name.encode("ascii")
    if len(raw) > 100 or size >= 8 << 30:
        sys.exit("amanatar.py: %s needs a pax record, which this helper does not write" % name)
    h = bytearray(512)
    h[0:len(raw)] = raw
    h[100:108] = octal(0o644, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12)
    h[136:148] = octal(mtime, 12)
    h[148:156] = b" " * 8
    h[156:157] = b"0"
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[329:337] = octal(0, 8)
    h[337:345] = octal(0, 8)
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def created():
    try:
        with open("envelope", "rb") as f:
            for line in f.read().decode("utf-8").split("\n"):
                if line.startswith("created: "):
                    return calendar.timegm(time.strptime(line[9:], "%Y-%m-%dT%H:%M:%SZ"))
    except FileNotFoundError:
        pass
    return 0


def main():
    out, names = sys.argv[1], sys.argv[2:]
    mtime = created()
    with open(out, "wb") as f:
        for name in names:
            with open(name, "rb") as m:
                data = m.read()
            f.write(header(name, len(data), mtime))
            f.write(data)
            f.write(b"\0" * (-len(data) % 512))
        f.write(b"\0" * 1024)


if __name__ == "__main__":
    main()
