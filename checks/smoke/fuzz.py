"""``fuzz_predict``: property-based fuzzing of the serving path.

Inputs are drawn with hypothesis from the data.1 schema — a :class:`TensorSchema` (shape with
free dimensions, dtype, value range) or a pandera ``DataFrameSchema`` (its own hypothesis
strategy) — and sent through ``mltestscore.guard(predict, schema=..., on_violation="raise")``:
an input the schema accepts must never crash the model or be refused by the guard, and the
output must be finite (as a float array) and inside ``output_range`` (or the contract's).
When a property breaks, hypothesis shrinks the input; the smallest failing input goes into
the finding. hypothesis is imported only when this runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mltestscore.results import Status

from .results import Finding, finding, fmt, summarize_exception


class _Broken(Exception):
    """A property of the serving path broke on one drawn input."""


def fuzz_predict(
    predict: Callable[[Any], Any],
    schema: Any,
    *,
    output_range: tuple[float | None, float | None] | None = None,
    max_examples: int = 50,
    max_rows: int = 8,
    max_free_dim: int = 32,
    seed: int = 0,
) -> Finding:
    """Hammer ``predict`` (through the serving guard) with inputs drawn from ``schema``.

    ``max_rows``: batch sizes drawn in ``[1, max_rows]``; ``max_free_dim``: the size range
    of a TensorSchema's free (``None``) dimensions. Fails with the shrunk input when a
    schema-valid input crashes the model, is refused by the guard, or gives a non-finite or
    out-of-range output; skipped when hypothesis is not installed.
    """
    try:
        import hypothesis
        from hypothesis import strategies as st
    except ImportError:
        return finding(
            "fuzz_predict",
            Status.SKIP,
            "needs hypothesis (pip install hypothesis) to draw inputs from the schema",
        )
    from mltestscore.contracts import get_contract, guard

    contract = get_contract(predict)
    if output_range is None and contract is not None:
        output_range = getattr(contract, "output_range", None)
    guarded = guard(predict, schema=schema, on_violation="raise")
    strategy = _strategy(schema, st, max_rows, max_free_dim)
    seen: list[Any] = []
    failure: dict[str, Any] = {}

    def prop(x: Any) -> None:
        seen.append(None)
        try:
            out = guarded(x)
        except Exception as exc:
            failure.update(input=x, reason=f"raised {summarize_exception(exc)}")
            raise _Broken() from exc
        problem = _judge_output(out, output_range)
        if problem:
            failure.update(input=x, reason=problem)
            raise _Broken()

    given: Any = hypothesis.given(strategy)
    test: Callable[[], None] = hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )(hypothesis.seed(seed)(given(prop)))
    m: dict[str, Any] = {"schema": type(schema).__name__, "output_range": output_range}
    try:
        test()
    except _Broken:
        m["examples"] = len(seen)
        m["shrunk_input"] = _show(failure["input"])
        m["reason"] = failure["reason"]
        return finding(
            "fuzz_predict",
            Status.FAIL,
            f"an input the schema accepts breaks the serving path: predict {failure['reason']} "
            f"on the shrunk input {_brief(failure['input'])} — handle it in predict, or tighten "
            "the schema so the guard refuses it",
            m,
        )
    m["examples"] = len(seen)
    rng = f" and within [{output_range[0]}, {output_range[1]}]" if output_range else ""
    return finding(
        "fuzz_predict",
        Status.PASS,
        f"{len(seen)} inputs drawn from the schema: predict never crashed, outputs finite{rng}",
        m,
    )


def _strategy(schema: Any, st: Any, max_rows: int, max_free_dim: int) -> Any:
    from mltestscore.schema import TensorSchema

    if isinstance(schema, TensorSchema):
        from hypothesis.extra import numpy as hnp

        dtype = np.dtype(schema.dtype or "float32")
        dims = [st.just(d) if d is not None else st.integers(1, max_free_dim) for d in schema.shape]
        shapes = st.tuples(st.integers(1, max_rows), *dims)
        if dtype.kind == "f":
            lo = -1e6 if schema.min_value is None else schema.min_value
            hi = 1e6 if schema.max_value is None else schema.max_value
            elements = st.floats(
                lo, hi, allow_nan=False, allow_infinity=False, width=dtype.itemsize * 8
            )
        elif dtype.kind in "iu":
            info = np.iinfo(dtype)
            lo = int(info.min if schema.min_value is None else schema.min_value)
            hi = int(info.max if schema.max_value is None else schema.max_value)
            elements = st.integers(lo, hi)
        else:
            elements = None
        return shapes.flatmap(lambda shape: hnp.arrays(dtype, shape, elements=elements))
    strategy = getattr(schema, "strategy", None)
    if callable(strategy):  # pandera DataFrameSchema
        return st.integers(1, max_rows).flatmap(lambda n: strategy(size=n))
    raise TypeError(
        f"fuzz_predict needs a TensorSchema or a pandera DataFrameSchema, got {type(schema).__name__}"
    )


def _judge_output(out: Any, output_range: tuple[float | None, float | None] | None) -> str | None:
    if hasattr(out, "detach"):
        out = out.detach().cpu().numpy()
    try:
        values = np.asarray(out)
    except Exception:
        return None
    if values.dtype.kind not in "biuf":
        return None
    values = values.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        return f"returned {bad} NaN/Inf value(s)"
    if output_range is not None and values.size:
        lo, hi = output_range
        if lo is not None and float(values.min()) < lo:
            return f"returned {fmt(float(values.min()))}, below the contract's {lo}"
        if hi is not None and float(values.max()) > hi:
            return f"returned {fmt(float(values.max()))}, above the contract's {hi}"
    return None


def _show(x: Any) -> Any:
    if hasattr(x, "to_dict"):
        return x.head(5).to_dict(orient="list")
    arr = np.asarray(x)
    return {"shape": list(arr.shape), "values": arr.reshape(-1)[:20].tolist()}


def _brief(x: Any) -> str:
    if hasattr(x, "to_dict"):
        return f"(a table of {len(x)} rows: {x.head(2).to_dict(orient='records')})"
    arr = np.asarray(x)
    flat = arr.reshape(-1)
    shown = ", ".join(fmt(float(v)) for v in flat[:6]) + (", …" if flat.size > 6 else "")
    return f"(shape {list(arr.shape)}: [{shown}])"
