"""Re-run the hyperparameter sweep behind ``digits_app/config.toml`` (model.3's evidence).

One factor at a time around the spec: each hyperparameter takes three values while
the others keep the spec's, every run trains the spec's full budget with its seed
and is scored by the validation CER. Writes ``history/sweep.csv``::

    python scripts/sweep.py            # about 7 trainings: minutes on a laptop CPU
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digits_app.model_config import load_config  # noqa: E402
from digits_app.pipeline import load_data  # noqa: E402

from mltestscore.reference_model.train import train  # noqa: E402

GRID = {"lr": (0.002, 0.004, 0.008), "hidden": (64, 128, 192), "dropout": (0.0, 0.1, 0.3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "history" / "sweep.csv")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    app = load_config()
    data = load_data(app)
    spec = {name: getattr(app.recognizer, name) for name in GRID}
    runs = [dict(spec)]
    for name, values in GRID.items():
        runs.extend(dict(spec, **{name: v}) for v in values if v != spec[name])
    rows = []
    for i, run in enumerate(runs, 1):
        started = time.perf_counter()
        result = train(app.recognizer.replace(**run), data=data, seed=app.seed, log=None)
        rows.append(
            {
                **run,
                "val_cer": round(result.val_cer, 5),
                "test_cer": round(result.test_cer or 0.0, 5),
                "epochs": len(result.history),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        print(f"[{i}/{len(runs)}] {rows[-1]}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
