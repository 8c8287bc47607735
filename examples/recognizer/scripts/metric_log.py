"""Rebuild ``history/metric_log.csv``: offline vs online metric of each release (model.2).

In production the online metric comes from the serving logs: the share of lines
users accepted without correcting them (*auto-accept rate*). Here each release of
the team's history is retrained as it was made (data and budget of its time) and
measured twice:

- ``offline`` — character accuracy (1 − CER) on the offline test split;
- ``online`` — auto-accept rate (exact lines) on simulated production traffic,
  which is noisier than the offline data (scanner noise up to 0.12).

    python scripts/metric_log.py       # six trainings, the last one the spec's budget
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digits_app.history import PAST_RELEASES  # noqa: E402
from digits_app.model_config import load_config  # noqa: E402
from digits_app.pipeline import load_data  # noqa: E402

from mltestscore.reference_model.data import DigitLines  # noqa: E402
from mltestscore.reference_model.metrics import character_error_rate, line_accuracy  # noqa: E402
from mltestscore.reference_model.train import predict_lines, train  # noqa: E402

# version: (data of its time, training lines, epochs). Versions 2 and 3 are the earlier
# releases kept in the model store (digits_app.history.PAST_RELEASES); 6 is the spec.
OLD, RECENT = PAST_RELEASES
RELEASES = {
    1: ({"seed": 21, "max_length": 4, "noise": 0.02}, 1024, 2),
    2: (OLD.data, OLD.train_lines, OLD.epochs),
    3: (RECENT.data, RECENT.train_lines, RECENT.epochs),
    4: ({"seed": 24}, 2048, 2),
    5: ({"seed": 25}, 3000, 2),
}
SPEC_VERSION = 6  # the spec itself, trained on its own data
PRODUCTION = {"noise": 0.12, "seed": 31}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "history" / "metric_log.csv")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    app = load_config()
    test = load_data(app)["test"]  # today's offline test lines
    production = DigitLines(dataclasses.replace(app.recognizer.data, **PRODUCTION))
    traffic = production.generate("test", 1000)
    rows = []
    spec = app.recognizer
    runs = {**RELEASES, SPEC_VERSION: ({}, spec.data.train_size, spec.max_epochs)}
    for version, (changes, lines, epochs) in runs.items():
        config = spec.replace(data=changes)
        made = DigitLines(config.data)
        data = {"train": made.generate("train", lines), "val": made.generate("val", 128)}
        if version == SPEC_VERSION:
            data = load_data(app)
        result = train(config, data=data, seed=app.seed, max_epochs=epochs, log=None)
        offline = 1.0 - character_error_rate(predict_lines(result.model, test.images), test.labels)
        online = line_accuracy(predict_lines(result.model, traffic.images), traffic.labels)
        rows.append(
            {
                "version": version,
                "offline": round(offline, 5),
                "online": round(online, 5),
                "train_lines": lines,
                "epochs": epochs,
            }
        )
        print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
