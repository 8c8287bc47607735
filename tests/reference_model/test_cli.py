from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from PIL import Image

from mltestscore.reference_model.cli import add_subcommands, main
from mltestscore.reference_model.data import render_line


def test_registers_on_a_parent_cli():
    parser = argparse.ArgumentParser(prog="mltestscore")
    add_subcommands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["reference", "evaluate", "--store", "m", "--version", "2"])
    assert args.reference_command == "evaluate" and args.version == 2 and callable(args.func)


def test_bad_option_values_are_quoted(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--store", "m", "--version", "zero"])
    assert "expected a positive integer, got 'zero'" in capsys.readouterr().err


def test_train_evaluate_predict_list_promote_rollback(tmp_path, capsys, trained, store):
    root = str(store.root)
    # train: a fast subset run of the tiny preset
    assert (
        main(
            [
                "train",
                "--config",
                "tiny",
                "--store",
                root,
                "--max-epochs",
                "1",
                "--max-train-lines",
                "32",
                "--quiet",
                "--promote",
            ]
        )
        == 0
    )
    assert "saved recognizer version 1" in capsys.readouterr().out
    store.save(trained.model, trained.config)  # version 2

    assert main(["evaluate", "--store", root, "--version", "2", "--lines", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == 2 and report["lines"] == 20 and report["cer"] >= 0

    image = tmp_path / "line.png"
    Image.fromarray(np.round(render_line("2718", seed=1) * 255).astype(np.uint8)).save(image)
    assert main(["predict", "--store", root, "--version", "2", str(image)]) == 0
    assert capsys.readouterr().out.startswith(f"{image}\t")

    assert main(["promote", "--store", root, "2"]) == 0
    assert main(["list", "--store", root]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[-1].startswith("*   2") and listing[-2].startswith("    1")
    assert main(["rollback", "--store", root]) == 0
    assert "version 1 is serving" in capsys.readouterr().out


def test_library_errors_become_messages(tmp_path, capsys):
    assert main(["evaluate", "--store", str(tmp_path)]) == 2
    assert "error: no versions of 'recognizer'" in capsys.readouterr().err
