"""A longer fuzz of every importer than the test suite's (tests/formats/test_fuzz.py, 150 examples):

    python bench/fuzz_imports.py --examples 2000 [--random]

``--random`` draws new cases each run (the suite's are fixed, so it is repeatable). Prints a table: examples,
seconds, outcome; a failure prints hypothesis' smallest failing case (seed file and edits) above it.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=2000)
    ap.add_argument("--random", action="store_true", help="new random cases (default: the fixed derandomised ones)")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT), LANDGAP_FUZZ_EXAMPLES=str(args.examples))
    if args.random:
        env["LANDGAP_FUZZ_RANDOM"] = "1"
    t0 = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/formats/test_fuzz.py"], cwd=ROOT, env=env)
    print(f"\n| examples | seconds | outcome |\n|---:|---:|---|\n| {args.examples} | {time.perf_counter() - t0:.0f} | "
          f"{'no traceback, no partial write' if code == 0 else 'FAILED (see above)'} |")
    return code


if __name__ == "__main__":
    sys.exit(main())
