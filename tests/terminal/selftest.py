#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Unit checks of the terminal driver (no VM): the screen classifier tells the default
theme's form, the failure box, the fallback theme and a blank screen apart, and the key map
types what it is asked to."""

import os
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import terminal as T  # noqa: E402

W, H = 320, 200


def rgb(c):
    return bytes(int(c[i:i + 2], 16) for i in (1, 3, 5))


def image(rects, background):
    px = bytearray(rgb(background) * (W * H))
    for (x0, y0, x1, y1, colour) in rects:
        c = rgb(colour)
        for y in range(y0, y1):
            for x in range(x0, x1):
                o = (y * W + x) * 3
                px[o:o + 3] = c
    return b"P6\n%d %d\n255\n" % (W, H) + bytes(px)


def border(x0, y0, x1, y1, colour, w=3):
    return [(x0, y0, x1, y0 + w, colour), (x0, y1 - w, x1, y1, colour),
            (x0, y0, x0 + w, y1, colour), (x1 - w, y0, x1, y1, colour)]


FORM = [(20, 30, 300, 170, T.PANEL), (40, 60, 150, 75, T.FIELD), (40, 90, 150, 105, T.FIELD),
        (40, 120, 150, 135, T.LOGIN_BUTTON[0])] + border(38, 58, 152, 77, T.BUSY_BORDER, 2)
CASES = {
    "form": image(FORM, T.BACKGROUND),
    "failure": image(FORM + border(170, 60, 290, 140, T.FAILURE_BORDER), T.BACKGROUND),
    "fallback": image([(100, 60, 220, 75, T.FIELD), (100, 90, 220, 105, T.FIELD)], T.FALLBACK),
    "blank": image([], "#000000"),
    "other": image([(0, 0, 160, 200, "#aa0000")], "#00aa00"),
}


def main():
    failed = 0
    n = 0
    for script in sys.argv[1:]:  # the driver's scripts at least parse
        with open(script) as f:
            compile(f.read(), script, "exec", dont_inherit=True)
    with tempfile.TemporaryDirectory() as d:
        for want, data in CASES.items():
            p = os.path.join(d, want + ".ppm")
            with open(p, "wb") as f:
                f.write(data)
            got = T.describe(T.Screen(p))
            n += 1
            if got == want:
                print("ok %d - a %s screen is recognised" % (n, want))
            else:
                failed += 1
                print("not ok %d - a %s screen was taken for %s" % (n, want, got))
    for text, want in (("a@B.c", ["a", "shift 2", "shift b", "dot", "c"]),
                       ("x-y_z", ["x", "minus", "y", "shift minus", "z"])):
        got = [" ".join(T.qcodes(ch)) for ch in text]
        n += 1
        if got == want:
            print("ok %d - %r types as %s" % (n, text, got))
        else:
            failed += 1
            print("not ok %d - %r types as %s, not %s" % (n, text, got, want))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
