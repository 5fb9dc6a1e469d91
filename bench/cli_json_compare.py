"""Every CLI command's --json output on the sample county and a seeded county, recorded or compared byte for byte.

    python bench/cli_json_compare.py record DIR [--parcels 10000]   # run each command, keep its stdout
    python bench/cli_json_compare.py compare DIR [--parcels 10000]  # run them again here, say what differs

A restructuring must not change what the CLI says: record on the old checkout, compare on the new one. Paths that
commands print (the output files) are made the same on both sides by running in the same scratch folder.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCRATCH = Path(tempfile.gettempdir()) / "landgap-cli-json"


def commands(ws: Path, out: Path) -> dict[str, list[str]]:
    w = ["--workspace", str(ws), "--json"]
    return {
        "validate": ["validate", *w],
        "available": ["available", *w],
        "available-by": ["available", *w, "--by", "2027-12-31", "--min-mu", "20"],
        "available-industry": ["available", *w, "--industry", "纺织鞋服"],
        "fit": ["fit", *w, "--industry", "纺织鞋服", "--need-mu", "60"],
        "fit-big": ["fit", *w, "--industry", "纺织鞋服", "--need-mu", "5000"],
        "fit-floor": ["fit", *w, "--industry", "电子信息", "--floor-m2", "3000"],
        "match": ["match", *w],
        "match-as-of": ["match", *w, "--as-of", "2027-12-31"],
        "plan": ["plan", *w, "--budget-wan", "3000"],
        "terrain": ["terrain", *w],
        "export-geojson": ["export-layer", *w, "--format", "geojson", "--out", str(out / "parcels.geojson")],
        "export-coordfile": ["export-layer", *w, "--format", "coordfile", "--out", str(out / "parcels.txt")],
        "history": ["history", *w],
        "brief": ["brief", *w, "--out", str(out / "brief.docx")],
    }


def run_all(parcels: int | None) -> dict[str, bytes]:
    root = Path(__file__).resolve().parent.parent
    py = sys.executable
    shutil.rmtree(SCRATCH, ignore_errors=True)
    SCRATCH.mkdir(parents=True)
    results = {}
    env = dict(os.environ, PYTHONPATH=str(root))
    env.pop("LANDGAP_WORKSPACE", None)
    counties = [("sample", None)] + ([(f"seeded{parcels}", parcels)] if parcels else [])
    for name, n in counties:
        ws = SCRATCH / name / "county.gpkg"
        ws.parent.mkdir()
        seed = ["seed", "--out", str(ws), "--seed", "0", "--json"] + (["--parcels", str(n)] if n else [])
        done = subprocess.run([py, "cli.py", *seed], cwd=root, env=env, capture_output=True)
        results[f"{name}/seed"] = done.stdout + f"\nexit {done.returncode}".encode()
        for key, argv in commands(ws, ws.parent).items():
            done = subprocess.run([py, "cli.py", *argv], cwd=root, env=env, capture_output=True)
            results[f"{name}/{key}"] = done.stdout + f"\nexit {done.returncode}".encode()
            if key.startswith("export-"):        # the exported file too, not only what the command says of it
                written = Path(argv[argv.index("--out") + 1])
                results[f"{name}/{key}"] += f"\nsha256 {hashlib.sha256(written.read_bytes()).hexdigest()}".encode()
            print(f"{name}/{key}: exit {done.returncode}, {len(done.stdout)} bytes", file=sys.stderr)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=("record", "compare"))
    ap.add_argument("dir", type=Path)
    ap.add_argument("--parcels", type=int, default=10000, help="seeded county size (0: the sample county only)")
    args = ap.parse_args()
    results = run_all(args.parcels or None)
    if args.action == "record":
        for key, data in results.items():
            (args.dir / key).parent.mkdir(parents=True, exist_ok=True)
            (args.dir / key).write_bytes(data)
        print(f"recorded {len(results)} outputs in {args.dir}")
        return 0
    differ = [k for k, v in results.items() if not (args.dir / k).exists() or (args.dir / k).read_bytes() != v]
    print(f"{'command':32} same")
    for key in results:
        print(f"{key:32} {'no' if key in differ else 'yes'}")
    print(f"{len(results) - len(differ)} of {len(results)} outputs byte-identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
