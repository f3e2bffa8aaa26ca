#!/usr/bin/env python3
"""Checks that each PNG given exists, decodes, and is not blank: more than --min-colours distinct
pixel values and more than 1% of the pixels differ from the most common (background) value.
--self-test first proves the check can fail: a blank white PNG must be reported blank."""
import argparse
import os
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as image  # noqa: E402
import numpy as np  # noqa: E402


def looks_blank(pixels, min_colours):
    flat = pixels.reshape(-1, pixels.shape[-1]) if pixels.ndim == 3 else pixels.reshape(-1, 1)
    values, counts = np.unique(flat, axis=0, return_counts=True)
    ink = 1.0 - counts.max() / counts.sum()
    return len(values) <= min_colours or ink <= 0.01, len(values), ink


def self_test(min_colours):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "blank.png")
        image.imsave(path, np.ones((60, 80, 3)))
        blank, _, _ = looks_blank(image.imread(path), min_colours)
    if not blank:
        print("check_png: self-test failed: a blank image passed", file=sys.stderr)
        sys.exit(2)
    print("self-test: a blank PNG is reported blank")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pngs", nargs="+")
    parser.add_argument("--min-colours", type=int, default=16)
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test(args.min_colours)
    failed = False
    for path in args.pngs:
        try:
            pixels = image.imread(path)
        except Exception as error:  # noqa: BLE001 - any decode failure is a failed check
            print("%s: cannot read: %s" % (path, error), file=sys.stderr)
            failed = True
            continue
        blank, distinct, ink = looks_blank(pixels, args.min_colours)
        print("%s: %dx%d, %d distinct values, %.1f%% non-background" % (path, pixels.shape[1], pixels.shape[0],
                                                                      distinct, 100 * ink))
        if blank:
            print("%s: looks blank" % path, file=sys.stderr)
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
