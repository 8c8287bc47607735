"""Wall time of ``smoke.run`` on every setup of the smoke-test zoo (CPU).

    python benchmarks/bench_smoke.py [--repeat N] [--only SUBSTRING] [--threads N]

One line per setup: the best of ``--repeat`` runs, whether it was flagged, the slowest
check, and the comparison — a bare training loop (forward, loss, backward, step) on the
same batch for as many steps as the overfit check took — with the ratio between the two:
what the whole suite costs next to the one check that trains. A first, untimed run pays
the one-off import costs (torch loads its optimizer machinery lazily); it is printed as
``cold start``.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "smoke"))

import torch
import zoo

from mltestscore.checks import smoke
from mltestscore.checks.smoke.tensors import call_model


def run_setup(name: str, threads: int) -> tuple[float, smoke.SmokeReport, zoo.Setup]:
    s = zoo.build(name)
    start = time.perf_counter()
    report = smoke.run(
        s.model,
        s.batch,
        s.loss_fn,
        optimizer=s.optimizer,
        data=s.data,
        num_threads=threads,
        **s.kwargs,
    )
    return time.perf_counter() - start, report, s


def bare_loop(s: zoo.Setup, steps: int) -> float:
    """The comparison: ``steps`` plain training steps on the setup's batch."""
    model = copy.deepcopy(s.model).train()
    factory = s.optimizer or (lambda p: torch.optim.Adam(p, lr=3e-4))
    opt = factory(model.parameters())
    inputs, targets = s.batch
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = s.loss_fn(call_model(model, inputs), targets)
        if not torch.isfinite(loss):
            break
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="runs per setup (default 1)"
    )
    parser.add_argument(
        "--only",
        default="",
        metavar="SUBSTRING",
        help="setups whose name contains it (default all)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N", help="torch CPU threads (default 1)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.threads < 1:
        parser.error("--repeat and --threads must be at least 1")
    warnings.simplefilter("ignore", UserWarning)  # torch's broadcasting warning from the zoo
    names = [n for n in zoo.ALL if args.only in n]
    if not names:
        parser.error(f"no setup name contains {args.only!r}")
    torch.set_num_threads(args.threads)

    cold = run_setup(names[0], args.threads)[0]
    print(f"torch {torch.__version__}, {args.threads} thread(s), cold start {cold:.2f} s")
    print(
        f"{'setup':28} {'bug':14} {'run s':>7} {'flagged':>8}  {'bare loop s':>11} {'ratio':>6}  slowest check"
    )
    total = total_bare = 0.0
    for name in names:
        runs = [run_setup(name, args.threads) for _ in range(args.repeat)]
        best, report, s = min(runs, key=lambda r: r[0])
        overfit = report.get("overfit_one_batch")
        steps = int(overfit.metrics.get("steps", 0)) if overfit is not None else 0
        bare = min(bare_loop(s, steps) for _ in range(args.repeat)) if steps else 0.0
        total, total_bare = total + best, total_bare + bare
        slow = max(report.findings, key=lambda f: f.seconds)
        flagged = ("yes" if not report.passed else "no") + ("+err" if report.errors else "")
        ratio = f"{best / bare:6.1f}" if bare > 0 else "     -"
        print(
            f"{name:28} {s.bug or '-':14} {best:7.3f} {flagged:>8}  {bare:11.3f} {ratio}  "
            f"{slow.name} ({slow.seconds:.2f} s)"
        )
    buggy = sum(n in zoo.BUGGY for n in names)
    print(
        f"total {total:.2f} s for {len(names)} setups ({buggy} buggy, {len(names) - buggy} "
        f"correct); bare overfit loops {total_bare:.2f} s; ratio {total / max(total_bare, 1e-9):.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
