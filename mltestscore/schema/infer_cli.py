"""``mltestscore schema infer DATA``: print or write a draft schema for review (data.1).

Registered on the ``mltestscore`` command line by :func:`add_subcommands`; the
inference itself is :mod:`mltestscore.schema.infer`. pandas and numpy load only
when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mltestscore.schema.infer import infer_schema, infer_tensor_schema, to_pandera, to_python


def add_subcommands(subparsers: Any) -> None:
    """Register ``schema infer DATA [-o OUT] [--target COL] …`` on the ``mltestscore`` CLI.

    The parser's ``func`` default is ``run(args) -> int`` (the exit status).
    """
    schema = subparsers.add_parser("schema", help="draft and check data schemas")
    actions = schema.add_subparsers(dest="schema_command", metavar="COMMAND", required=True)
    infer = actions.add_parser(
        "infer", help="draft a pandera schema (or a tensor schema for .npy/.npz) from data"
    )
    infer.add_argument(
        "data", metavar="DATA", help="training data: CSV, TSV, Parquet, JSONL, or .npy/.npz arrays"
    )
    infer.add_argument(
        "-o", "--output", metavar="OUT", help="write the draft here (default: standard output)"
    )
    infer.add_argument("--target", metavar="COL", help="target column (made optional)")
    infer.add_argument(
        "--format",
        choices=("python", "json"),
        default="python",
        help="python source or pandera JSON (default: python)",
    )
    infer.add_argument(
        "--margin",
        type=_fraction,
        default=0.1,
        metavar="FRACTION",
        help="widen numeric ranges by this share of their span (default: 0.1)",
    )
    infer.add_argument(
        "--max-categories",
        type=_count,
        default=20,
        metavar="N",
        help="text columns with at most N values get a category set (default: 20)",
    )
    infer.add_argument(
        "--unique",
        action="store_true",
        help="mark integer/text columns whose values are all distinct as unique",
    )
    infer.set_defaults(func=run_infer)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 10.0:
        raise argparse.ArgumentTypeError(f"expected a non-negative fraction, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a count (0 or more), got {text!r}")
    return value


def _tensor_source(data: Path) -> str:
    import numpy as np

    loaded = np.load(data, allow_pickle=False)
    if isinstance(loaded, np.ndarray):
        x, y = loaded, None
    else:
        with loaded:
            keys = list(loaded.keys())
            if not keys:
                raise ValueError(f"DATA: {data} holds no arrays")
            xkey = next((k for k in ("x", "X", "images", "inputs") if k in keys), keys[0])
            ykey = next((k for k in ("y", "labels", "targets") if k in keys), None)
            x, y = loaded[xkey], (loaded[ykey] if ykey else None)
    schema = infer_tensor_schema(x, y)
    return (
        f'"""Draft tensor schema inferred from {data.name}: review before use."""\n\n'
        "from mltestscore.schema import TensorSchema\n\n"
        f"schema = {schema!r}\n"
    )


def run_infer(args: argparse.Namespace) -> int:
    """``mltestscore schema infer``: print or write the draft; 2 on bad input."""
    from mltestscore.inputs.tables import read_table

    path = Path(args.data)
    try:
        if path.suffix.lower() in (".npy", ".npz"):
            if not path.is_file():
                raise ValueError(f"DATA: file {path} does not exist")
            text = _tensor_source(path)
        else:
            frame = read_table(path, "DATA")
            columns = infer_schema(
                frame,
                target=args.target,
                margin=args.margin,
                max_categories=args.max_categories,
                unique=args.unique,
            )
            text = (
                to_python(columns, source=path.name, rows=len(frame), margin=args.margin)
                if args.format == "python"
                else to_pandera(columns).to_json(indent=2) + "\n"
            )
    except (ValueError, TypeError, OSError) as exc:
        print(f"mltestscore schema infer: error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(
            f"wrote a draft schema ({args.format}) to {args.output}: review it before use",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0
