"""Every hostile case file through `verify case check` and `verify case open`: outcome, exit code, memory, time.

The attacks come from ``tests/hostile_cases.py`` (the same set the test suite and the
workbench's suite use). Each command runs as a child process; its peak RSS comes from
``wait4``. The verdict per run is ``tests.hostile_cases.attack_problems`` (refused with one
``error:`` line naming the reason, or opened with every string visible, under 500 MB).

    .venv/bin/python benchmarks/case_attacks.py
    # -> benchmarks/results/case_attacks.md
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_cases import MAX_MB, attack_problems, build_all  # noqa: E402
from tests.runner import run_verify  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "case_attacks.md")
    args = ap.parse_args()
    rows = []
    bad = []
    worst = {"mb": 0.0, "s": 0.0}
    honest = {"mb": 0.0, "s": 0.0}
    with tempfile.TemporaryDirectory(prefix="verify-attacks-") as tmp:
        cases = build_all(Path(tmp))
        for case in cases:
            cells = []
            for command in ("check", "open"):
                run = run_verify("case", command, str(case.path), timeout=120)
                problems = attack_problems(case, command, run)
                bad += problems
                worst["mb"] = max(worst["mb"], run.peak_mb)
                worst["s"] = max(worst["s"], run.seconds)
                cells.append((run, problems))
            (chk, p1), (opn, p2) = cells
            if case.name == "valid":
                honest = {"mb": max(chk.peak_mb, opn.peak_mb), "s": max(chk.seconds, opn.seconds)}
            outcome = {"ok": "opened", "safe": "opened, strings shown as text", "refused": "refused"}[
                case.expect
            ]
            if p1 or p2:
                outcome = "FAILED: " + "; ".join(p1 + p2)[:200]
            reason = opn.err_lines[0][7:] if opn.err_lines and opn.code == 2 else ""
            reason = reason.split(": ", 1)[-1][:110].replace("|", "/")
            rows.append(f"| {case.name} | {case.about} | {outcome} | {chk.code} / {opn.code} | "
                        f"{max(chk.peak_mb, opn.peak_mb):.0f} MB | {max(chk.seconds, opn.seconds):.1f} s | {reason} |")  # fmt: skip
    lines = [
        "# Hostile case files through the CLI",
        "",
        f"Command: `python benchmarks/case_attacks.py`: {len(rows)} archives from `tests/hostile_cases.py`, each "
        "through `python -m verify case check` and `case open` (child processes, loaded 2-core machine; the "
        f"honest case takes {honest['mb']:.0f} MB and {honest['s']:.1f} s, mostly interpreter start-up).",
        "",
        f"Worst peak RSS {worst['mb']:.0f} MB (bound {MAX_MB} MB); slowest run {worst['s']:.1f} s (bound 20 s). "
        f"Problems: {len(bad)}.",
        "",
        "| case | attack | outcome | exit check / open | peak RSS | time | error line (open) |",
        "|---|---|---|---|---:|---:|---|",
        *rows,
        "",
    ]
    text = "\n".join(lines)
    args.out.write_text(text)
    print(text)
    return 0 if not bad and worst["s"] < 20 else 1


if __name__ == "__main__":
    sys.exit(main())
