#!/usr/bin/env python3
"""Baseline for bench/bench_name_check.sh: what a user would write to check names by hand.

Usage: name_check_baseline.py ROOT
Prints every file under ROOT whose basename does not match the grammar of Phụ lục 2,
NN.Ten tai lieu[.SoThuTu][_signed].pdf; exit 1 when there is one. Checks the shape only: not the
catalog (STT 1-104 with its own name), the STT padding, the SoThuTu rules, nor the folder names.
"""
import os
import re
import sys

GRAMMAR = re.compile(r"[0-9]{2,3}\.[A-Za-z0-9 ]+(\.[1-9][0-9]*)?(_signed)?\.pdf")


def main():
    bad = 0
    out = sys.stdout
    for top, _dirs, files in os.walk(sys.argv[1]):
        for name in files:
            if not GRAMMAR.fullmatch(name):
                out.write(os.path.join(top, name) + "\n")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
