"""The canary's serving process for scikit-learn models converted by skl2onnx (infra.6).

Run as a *script* in a fresh interpreter, not imported::

    python sklearn_serve.py --artifact model.onnx --inputs canary.npy \
        --outputs out.npy --report report.json

It runs the one serving loop, ``checks/infra/serve.py`` (loaded by path: the process
imports onnxruntime and numpy only, never mltestscore or scikit-learn), with
``--format onnx``. ``canary.npy`` is a plain ``(N, F)`` array (one graph input) or a
structured array with one field per DataFrame column (one graph input per column); the
answer is the ``probabilities`` output when the graph has one, else its first output.
Exit status: 0 served; 3 the runtime could not load the artifact; 4 it loaded but could
not run the inputs.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

SERVE_SCRIPT = Path(__file__).resolve().parents[1] / "infra" / "serve.py"


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == here:
        del sys.path[0]  # the script's folder holds generic module names
    serve = runpy.run_path(str(SERVE_SCRIPT))  # defines main(); not run as __main__
    args = sys.argv[1:] if argv is None else argv
    return int(serve["main"](["--format", "onnx", *args]))


if __name__ == "__main__":
    sys.exit(main())
