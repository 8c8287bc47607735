"""Wall time of ``smoke.run`` per setup, beside a bare training loop of the same steps (CPU).

    python benchmarks/bench_smoke.py [--corpus] [--load N] [--repeat N] [--only SUBSTRING]
                                     [--threads N]

Setups: the smoke-test zoo (small models, default) or, with ``--corpus``, the real-model
corpus (ResNet-18, Transformers, packed LSTM, EmbeddingBag, …). One line per setup: the
best of ``--repeat`` runs, the verdict (``ok`` when a correct setup passes and a buggy one
is flagged by a check made for it), the slowest check, and the comparison — a bare loop
(forward, loss, backward, step) for as many steps as the suite's fitting checks took
(the overfit steps on the batch, the memorization steps on its training subset), run in
turn with the suite and also the best of ``--repeat`` — with the ratio between the two.
Then the median and worst time per setup, and the setups above 1.5× their bare loop.

``--load N`` starts N busy background processes (killed at the end) to show that the
verdicts come from step budgets, not from the machine's speed. A first, untimed run pays
the one-off import costs (torch loads its optimizer machinery lazily): ``cold start``.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "smoke"))

import corpus
import torch
import zoo

from mltestscore.checks import smoke
from mltestscore.checks.smoke.data import Samples
from mltestscore.checks.smoke.loop import make_optimizer
from mltestscore.checks.smoke.tensors import call_model


def run_setup(
    build: Callable[[str], zoo.Setup], name: str, threads: int
) -> tuple[float, smoke.SmokeReport, zoo.Setup]:
    s = build(name)
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


def bare_loop(
    s: zoo.Setup,
    batch: tuple[Any, Any],
    steps: int,
    read: Callable[[], tuple[Any, Any]] | None = None,
) -> float:
    """The comparison: ``steps`` plain training steps on ``batch`` — the team's own
    ``train_step`` when the setup has one (the suite trains through it too); ``read``
    re-reads the batch every step, as any loop over a dataset that is not in memory does."""
    model = copy.deepcopy(s.model).train()
    factory = s.optimizer or smoke_default_optimizer(model)
    opt = factory(model.parameters())
    inputs, targets = batch
    step = s.kwargs.get("train_step")
    start = time.perf_counter()
    if step is not None:
        for i in range(steps):
            if read is not None:
                inputs, targets = read()
            loss = step(model, (inputs, targets), opt, i)
            if isinstance(loss, dict):
                loss = loss["loss"]
            if not torch.isfinite(torch.as_tensor(loss)):
                break
        return time.perf_counter() - start
    for _ in range(steps):
        if read is not None:
            inputs, targets = read()
        opt.zero_grad()
        loss = s.loss_fn(call_model(model, inputs), targets)
        if not torch.isfinite(loss):
            break
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def smoke_default_optimizer(model: torch.nn.Module) -> Callable[[Any], torch.optim.Optimizer]:
    """The suite's default optimizer (Adam, SparseAdam for sparse embeddings)."""
    return lambda _params: make_optimizer(None, model)


def bare_time(s: zoo.Setup, report: smoke.SmokeReport) -> float:
    """A bare loop of the steps the suite's fitting checks trained."""
    total = 0.0
    overfit = report.get("overfit_one_batch")
    if overfit is not None and overfit.metrics.get("steps"):
        total += bare_loop(s, s.batch, int(overfit.metrics["steps"]))
    memorize = report.get("memorize")
    if memorize is not None and memorize.metrics.get("steps") and s.data is not None:
        view = Samples(s.data["train"], "train")
        n = int(memorize.metrics.get("samples", 128))
        gen = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(view), generator=gen)[:n].tolist()
        reread = None if view.static else (lambda: view.batch(idx))
        total += bare_loop(s, view.batch(idx), int(memorize.metrics["steps"]), reread)
    return total


def verdict(s: zoo.Setup, report: smoke.SmokeReport) -> str:
    failed = {f.name for f in report.failed}
    if report.errors:
        return "ERROR"
    if s.bug is None:
        return "ok" if report.passed else "FALSE-FAIL"
    return "ok" if failed & set(s.flags) else "MISSED"


@contextmanager
def busy(n: int) -> Iterator[None]:
    """``n`` background processes spinning on a core each, killed on exit."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(max(0, n))]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="the real-model corpus")
    parser.add_argument(
        "--load", type=int, default=0, metavar="N", help="busy background processes (default 0)"
    )
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
    if args.repeat < 1 or args.threads < 1 or args.load < 0:
        parser.error("--repeat and --threads must be at least 1, --load at least 0")
    warnings.simplefilter("ignore", UserWarning)  # torch's broadcasting warning from the zoo
    source: Any = corpus if args.corpus else zoo
    names = [n for n in source.ALL if args.only in n]
    if not names:
        parser.error(f"no setup name contains {args.only!r}")
    torch.set_num_threads(args.threads)

    with busy(args.load):
        cold = run_setup(source.build, names[0], args.threads)[0]
        print(
            f"torch {torch.__version__}, {args.threads} thread(s), {args.load} busy "
            f"process(es), cold start {cold:.2f} s"
        )
        print(
            f"{'setup':40} {'bug':12} {'run s':>7} {'verdict':>10}  {'bare s':>7} {'ratio':>6}"
            "  slowest check"
        )
        times, bares, bad = [], [], []
        for name in names:
            # the suite and its bare loop take turns, so that both see the same machine
            runs, bare_runs = [], []
            for _ in range(args.repeat):
                runs.append(run_setup(source.build, name, args.threads))
                bare_runs.append(bare_time(runs[-1][2], runs[-1][1]))
            best, report, s = min(runs, key=lambda r: r[0])
            bare = min(bare_runs)
            times.append(best)
            bares.append(bare)
            v = verdict(s, report)
            if v != "ok":
                bad.append(name)
            slow = max(report.findings, key=lambda f: f.seconds)
            ratio = f"{best / bare:6.1f}" if bare > 0 else "     -"
            print(
                f"{name:40} {s.bug or '-':12} {best:7.2f} {v:>10}  {bare:7.2f} {ratio}  "
                f"{slow.name} ({slow.seconds:.2f} s)"
            )
    buggy = sum(n in source.BUGGY for n in names)
    ratios = [t / b for t, b in zip(times, bares, strict=True) if b > 0]
    print(
        f"{len(names)} setups ({buggy} buggy, {len(names) - buggy} correct): median "
        f"{statistics.median(times):.2f} s, worst {max(times):.2f} s, total {sum(times):.1f} s; "
        f"bare loops total {sum(bares):.1f} s; ratio to the bare loop: median "
        f"{statistics.median(ratios) if ratios else float('nan'):.1f}x, overall "
        f"{sum(times) / max(sum(bares), 1e-9):.1f}x"
    )
    over = [(n, t, b) for n, t, b in zip(names, times, bares, strict=True) if b > 0 and t > 1.5 * b]
    if over:
        print(
            f"above 1.5x the bare loop: {len(over)} setup(s), bare loops "
            f"{min(b for _, _, b in over) * 1e3:.0f}–{max(b for _, _, b in over) * 1e3:.0f} ms; "
            f"the suite's extra time there is at most {max(t - b for _, t, b in over) * 1e3:.0f} ms "
            "(the one-pass checks and, for losses without a closed-form floor, its search): "
            + ", ".join(f"{n} {t / b:.1f}x" for n, t, b in over)
        )
    else:
        print("above 1.5x the bare loop: none")
    print("verdicts: all ok" if not bad else f"verdicts wrong for: {', '.join(bad)}")
    return 0 if not bad else 1


if __name__ == "__main__":
    raise SystemExit(main())
