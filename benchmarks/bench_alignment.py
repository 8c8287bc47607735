"""Character alignment for confusion pairs: rapidfuzz's editops against the pure-Python
fallback, on the same noisy lines, in one run.

Run: ``python benchmarks/bench_alignment.py [--length 2000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from mltestscore import alignment


def noisy_pair(rng: random.Random, length: int) -> tuple[str, str]:
    truth = "".join(rng.choice("0123456789") for _ in range(length))
    out = []
    for ch in truth:
        roll = rng.random()
        if roll < 0.05:
            out.append(rng.choice("0123456789"))  # substitution
        elif roll < 0.08:
            continue  # deletion
        else:
            out.append(ch)
        if rng.random() < 0.03:
            out.append(rng.choice("0123456789"))  # insertion
    return truth, "".join(out)


def timed(fn: object, truth: str, predicted: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(truth, predicted)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    truth, predicted = noisy_pair(random.Random(1), args.length)
    fast = timed(alignment.edit_pairs, truth, predicted, args.repeats)
    slow = timed(alignment._align, truth, predicted, max(1, args.repeats // 2))
    fallback_edits = [p for p in alignment._align(truth, predicted) if p[0] != p[1]]
    same = len(alignment.edit_pairs(truth, predicted)) == len(fallback_edits)
    print(f"{args.length}-character line, median of {args.repeats}:")
    print(f"  rapidfuzz editops : {fast * 1000:9.2f} ms")
    print(f"  pure-Python align : {slow * 1000:9.2f} ms")
    print(f"  ratio fallback/rapidfuzz: {slow / max(fast, 1e-9):.0f}x; same edit count: {same}")


if __name__ == "__main__":
    main()
