#!/usr/bin/env python3
"""Compare two SPEC §10.3 job results field by field.

Usage: compare_results.py A.json B.json

Every symbol and field of each must be in the other; numbers agree within SPEC §10.2's
tolerance max(1e-9 × |x|, 1e-9); `timestamp` fields are skipped (the job's finish time differs
between runs). Prints the mismatches (at most 20) and exits 1 if there are any.
"""
import json
import sys


def compare(x, y, path, out):
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(set(x) | set(y)):
            if k == "timestamp":
                continue
            if k not in x or k not in y:
                out.append(f"{path}.{k}: present on one side only")
            else:
                compare(x[k], y[k], f"{path}.{k}", out)
    elif isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            out.append(f"{path}: {len(x)} items vs {len(y)}")
        for i, (p, q) in enumerate(zip(x, y)):
            compare(p, q, f"{path}[{i}]", out)
    elif (isinstance(x, (int, float)) and isinstance(y, (int, float))
          and not isinstance(x, bool) and not isinstance(y, bool)):
        if abs(x - y) > max(1e-9 * abs(x), 1e-9):
            out.append(f"{path}: {x} vs {y}")
    elif x != y:
        out.append(f"{path}: {x!r} vs {y!r}")


def main():
    a = json.load(open(sys.argv[1]))["data"]
    b = json.load(open(sys.argv[2]))["data"]
    out = []
    compare(a, b, "data", out)
    for line in out[:20]:
        print(line)
    print(f"symbols {len(a)} mismatches {len(out)}")
    sys.exit(1 if out else 0)


if __name__ == "__main__":
    main()
