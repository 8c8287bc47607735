"""``mltestscore reference …``: train, evaluate, predict, and manage the model store.

The main CLI registers these with :func:`add_subcommands`; each parsed command carries
its handler as ``args.func`` (returns the exit status). Standalone::

    python -m mltestscore.reference_model.cli train --config tiny --store models/
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_subcommands", "build_parser", "main"]

PRESETS = ("tiny", "default", "gpu")
Handler = Callable[[argparse.Namespace], int]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _store_options(parser: argparse.ArgumentParser, *, version: bool = True) -> None:
    parser.add_argument("--store", type=Path, required=True, metavar="DIR", help="model store root")
    parser.add_argument(
        "--name", default="recognizer", metavar="NAME", help="model name (default: recognizer)"
    )
    if version:
        parser.add_argument(
            "--version",
            type=_positive_int,
            default=None,
            metavar="N",
            help="version (default: the serving version, else the latest)",
        )


def _train(args: argparse.Namespace) -> int:
    from .config import get_config
    from .store import ModelStore
    from .train import train

    config = get_config(args.config)
    result = train(
        config,
        seed=args.seed,
        max_epochs=args.max_epochs,
        max_seconds=args.max_seconds,
        max_train_lines=args.max_train_lines,
        log=None if args.quiet else print,
    )
    store = ModelStore(args.store)
    version = store.save(
        result.model,
        config,
        name=args.name,
        metrics=result.metrics(),
        seed=args.seed,
        train_lines=result.train_lines,
        stopped=result.stopped,
    )
    if args.promote:
        store.promote(args.name, version)
    print(
        f"saved {args.name} version {version} to {args.store}"
        + (" (serving)" if args.promote else "")
        + f": val CER {result.val_cer:.4f}, {result.wall_time:.1f} s"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import dataclasses

    from .data import DigitLines
    from .metrics import character_error_rate, line_accuracy
    from .predictor import Recognizer

    recognizer = Recognizer.load(args.store, args.version, args.name)
    data_config = recognizer.metadata.config.data
    if args.data_seed is not None:
        data_config = dataclasses.replace(data_config, seed=args.data_seed)
    lines = DigitLines(data_config).generate(args.split, args.lines)
    predictions = recognizer.predict_batch(list(lines.images))
    report: dict[str, Any] = {
        "name": args.name,
        "version": recognizer.version,
        "split": args.split,
        "lines": len(lines),
        "data_seed": data_config.seed,
        "cer": character_error_rate(predictions, lines.labels),
        "line_accuracy": line_accuracy(predictions, lines.labels),
    }
    print(json.dumps(report))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from .predictor import Recognizer

    recognizer = Recognizer.load(args.store, args.version, args.name)
    for image in args.images:
        print(f"{image}\t{recognizer.predict(image)}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from .store import ModelStore

    for info in ModelStore(args.store).list(args.name):
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in sorted(info.metrics.items()))
        flag = "*" if info.serving else " "
        print(
            f"{flag} {info.version:>3}  {info.created_at:%Y-%m-%d %H:%M}  {info.config_name:<8} {metrics}"
        )
    return 0


def _promote(args: argparse.Namespace) -> int:
    from .store import ModelStore

    ModelStore(args.store).promote(args.name, args.version_to_serve)
    print(f"{args.name} version {args.version_to_serve} is serving")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from .store import ModelStore

    version = ModelStore(args.store).rollback(args.name)
    print(f"rolled back: {args.name} version {version} is serving")
    return 0


def _guarded(handler: Handler) -> Handler:
    """Library errors (bad store, version, checkpoint, image) → ``error: …`` and status 2."""

    def run(args: argparse.Namespace) -> int:
        from .checkpoint import CheckpointError
        from .export import ExportError
        from .store import StoreError

        try:
            return handler(args)
        except (CheckpointError, ExportError, StoreError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def add_subcommands(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``reference`` (with its own subcommands) on an argparse subparsers object."""
    reference: argparse.ArgumentParser = subparsers.add_parser(
        "reference", help="the bundled handwriting recognizer: train, evaluate, predict"
    )
    commands = reference.add_subparsers(dest="reference_command", required=True, metavar="COMMAND")

    p = commands.add_parser("train", help="train a preset and save it to the store")
    p.add_argument("--config", choices=PRESETS, default="tiny", help="preset (default: tiny)")
    _store_options(p, version=False)
    p.add_argument("--seed", type=int, default=0, metavar="N", help="training seed (default: 0)")
    p.add_argument(
        "--max-epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="override the preset's epochs",
    )
    p.add_argument(
        "--max-seconds",
        type=_positive_float,
        default=None,
        metavar="S",
        help="wall-clock budget (default: the preset's)",
    )
    p.add_argument(
        "--max-train-lines",
        type=_positive_int,
        default=None,
        metavar="N",
        help="train on the first N lines only",
    )
    p.add_argument("--promote", action="store_true", help="make the new version the serving one")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_guarded(_train))

    p = commands.add_parser("evaluate", help="character error rate of a stored version")
    _store_options(p)
    p.add_argument("--split", choices=("val", "test"), default="test", help="(default: test)")
    p.add_argument(
        "--lines",
        type=_positive_int,
        default=None,
        metavar="N",
        help="number of lines (default: the config's split size)",
    )
    p.add_argument(
        "--data-seed",
        type=int,
        default=None,
        metavar="N",
        help="line seed (default: the checkpoint's)",
    )
    p.set_defaults(func=_guarded(_evaluate))

    p = commands.add_parser("predict", help="read the digits in line images")
    _store_options(p)
    p.add_argument(
        "images", nargs="+", metavar="IMAGE", help="image files (grey, height of the model)"
    )
    p.set_defaults(func=_guarded(_predict))

    p = commands.add_parser("list", help="stored versions (* = serving)")
    _store_options(p, version=False)
    p.set_defaults(func=_guarded(_list))

    p = commands.add_parser("promote", help="make a version the serving one")
    _store_options(p, version=False)
    p.add_argument("version_to_serve", type=_positive_int, metavar="VERSION")
    p.set_defaults(func=_guarded(_promote))

    p = commands.add_parser("rollback", help="serve the previously serving version")
    _store_options(p, version=False)
    p.set_defaults(func=_guarded(_rollback))
    return reference


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mltestscore.reference_model.cli")
    add_subcommands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def run(args: argparse.Namespace) -> int:
    """Run a parsed command (its ``func``) and return the exit status."""
    status: int = args.func(args)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry: ``reference`` is implied, so ``main(["train", …])`` works too."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] != ["reference"]:
        args_list.insert(0, "reference")
    return run(build_parser().parse_args(args_list))


if __name__ == "__main__":
    raise SystemExit(main())
