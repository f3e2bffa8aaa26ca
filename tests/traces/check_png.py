#!/usr/bin/env python3
"""Checks that each PNG given exists, decodes, and is not blank: more than --min-colours distinct
pixel values and more than 1% of the pixels differ from the most common (background) value."""
import argparse
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as image  # noqa: E402
import numpy as np  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pngs", nargs="+")
    parser.add_argument("--min-colours", type=int, default=16)
    args = parser.parse_args()
    failed = False
    for path in args.pngs:
        try:
            pixels = image.imread(path)
        except Exception as error:  # noqa: BLE001 - any decode failure is a failed check
            print("%s: cannot read: %s" % (path, error), file=sys.stderr)
            failed = True
            continue
        flat = pixels.reshape(-1, pixels.shape[-1]) if pixels.ndim == 3 else pixels.reshape(-1, 1)
        values, counts = np.unique(flat, axis=0, return_counts=True)
        ink = 1.0 - counts.max() / counts.sum()
        print("%s: %dx%d, %d distinct values, %.1f%% non-background" % (path, pixels.shape[1], pixels.shape[0],
                                                                      len(values), 100 * ink))
        if len(values) <= args.min_colours or ink <= 0.01:
            print("%s: looks blank" % path, file=sys.stderr)
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
