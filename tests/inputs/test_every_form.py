"""Every documented form of every shared input, fed to every built-in check that takes it.

The acceptance test of "a team input that works in one check works in all of them": the
matrix is generated from the registry (a check *takes* an input when it is one of its
parameters), so a new check that takes ``slices`` or ``eval_data`` is covered without an
edit here. The synthetic world, the model forms and the table forms live in
:mod:`forms` (beside this file).

Per case: the check does not crash on the form (not ERROR, no raw exception text; when a
form does not apply, NOT_AUTOMATED naming the input). Per group: the same data handed
over in different forms gives the same verdict and the same key numbers; float class
labels are judged as classes (accuracy) with the known value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import forms
import numpy as np
import pandas as pd
import pytest

import mltestscore.checks  # noqa: F401  (registers the built-in checks)
from mltestscore.context import CheckContext
from mltestscore.registry import BUILTIN_CHECKS
from mltestscore.results import Status
from mltestscore.runner import run_builtin

pytest.importorskip("torch")


def takers(name: str) -> list[str]:
    """The built-in checks with a parameter called ``name``."""
    return sorted(
        test_id
        for test_id, spec in BUILTIN_CHECKS.items()
        if name in spec.inputs + spec.optional_inputs
    )


def takes(test_id: str) -> tuple[str, ...]:
    spec = BUILTIN_CHECKS[test_id]
    return spec.inputs + spec.optional_inputs


# Combinations the matrix cannot sensibly give, each with its reason (never a silent skip);
# none today: (test_id, input) -> why.
EXCLUDED: dict[tuple[str, str], str] = {}

# Raw exception text that must never reach a report in place of an explanation.
CRASH_TEXTS = (
    "operands could not be broadcast",
    "object has no attribute",
    "unhashable type",
    "is not subscriptable",
    "index out of bounds",
    "Traceback",
    "must be real number, not",
    "must have the same dtype",
    "expected scalar type",
    "Expected all tensors to be on the same device",
)

# Checks that judge column names: ``(X, y)`` arrays and a Dataset (no names) are run for
# "no crash" but not compared with the named tables.
NEEDS_COLUMN_NAMES = {
    "data.1": "a table schema names its columns",
    "data.2": "reports importance per column name",
    "data.3": "matches feature_fns to the model's columns by name",
    "data.4": "judges the feature names",
}

# The numbers that must not depend on how the same data were handed over (evidence keys).
KEY_NUMBERS: dict[str, tuple[str, ...]] = {
    "data.1": ("valid", "rows", "checked_columns", "failing_columns", "failures"),
    "data.2": ("metric", "baseline", "rows", "features", "within_noise", "importance"),
    "data.3": ("rows", "importance_source", "importance_unknown"),
    "data.4": ("features", "feature_source", "violations"),
    "data.5": ("scanned_columns", "sampled_rows", "findings"),
    "infra.1": ("max_abs_param_diff", "differing_count", "predictions"),
    "infra.4": ("promote_ok", "rows", "metrics", "table"),
    "model.2": ("n_versions", "spearman"),
    "model.3": ("n_runs", "coverage", "best", "chosen"),
    "model.4": ("metric", "curve", "n_versions", "slope_per_day", "age_budget_days"),
    "model.5": ("metric", "task", "model", "baselines", "lead", "n_train", "n_eval"),
    "model.6": ("metric", "overall", "slices"),
    "model.7": ("gaps", "attributes"),
    "monitor.2": ("valid", "rows", "checked_columns", "failing_columns", "failures"),
    "monitor.3": ("examples", "served_features", "feature_skew", "distribution_skew"),
    "monitor.5": ("output_problems", "nonfinite_weights"),
    "monitor.7": ("rows", "labelled", "metric", "metric_value", "regression"),
}
# Model forms computing the same function: only the prediction-derived numbers must agree.
MODEL_KEY_NUMBERS: dict[str, tuple[str, ...]] = {
    "data.2": ("metric", "baseline", "within_noise"),
    "data.3": ("importance_source",),
    "data.4": ("features", "violations"),
    "infra.4": ("promote_ok", "table"),
    "model.5": ("metric", "model", "lead"),
    "model.6": ("metric", "overall", "slices"),
    "model.7": ("gaps",),
    "monitor.7": ("metric", "metric_value", "regression"),
}
# Checks whose verdict depends on the kind of model by design, not on its predictions.
MODEL_KIND_MATTERS = {
    "infra.2": "the smoke suite trains torch modules only",
    "infra.5": "traces a model's internals (torch hooks, scikit-learn steps)",
    "infra.6": "exports with the framework's own exporter",
    "monitor.5": "inspects weights and activations",
    "monitor.6": "times the model: latency differs by kind",
}
# Where a check reports the metric of the whole eval set: the float-labels value check.
OVERALL_METRIC: dict[str, Callable[[dict[str, Any]], Any]] = {
    "data.2": lambda ev: ev["baseline"],
    "infra.4": lambda ev: next(r["candidate"] for r in ev["table"] if r["slice"] == "(all)"),
    "model.4": lambda ev: min(ev["curve"], key=lambda r: r["age_days"])["metric"],
    "model.5": lambda ev: ev["model"],
    "model.6": lambda ev: ev["overall"],
    "monitor.7": lambda ev: ev["metric_value"],
}
# Rows per declared slice, as each check reports them.
SLICE_ROWS: dict[str, Callable[[dict[str, Any]], dict[str, int]]] = {
    "infra.4": lambda ev: {r["slice"]: r["rows"] for r in ev["table"] if r["slice"] != "(all)"},
    "model.6": lambda ev: {r["slice"]: r["size"] for r in ev["slices"]},
}


# -- running one case ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str
    evidence: dict[str, Any]
    given: str  # type name of the value under test
    still_training: bool | None  # a torch model left in train mode: is it still?

    def show(self) -> str:
        trace = self.evidence.get("traceback", "")
        return f"{self.status.value}: {self.message}" + (f"\n{trace}" if trace else "")


def run(test_id: str, inputs: dict[str, Any], tmp_path: Path, given: Any) -> Outcome:
    context = CheckContext(root=tmp_path, baseline_path=tmp_path / ".mltestscore" / "b.json")
    thresholds = forms.THRESHOLDS.get(test_id)
    evidence = run_builtin(test_id, inputs, thresholds=thresholds, context=context)
    training = getattr(given, "training", None)
    return Outcome(
        evidence.status,
        evidence.message,
        dict(evidence.evidence),
        type(given).__name__,
        training if isinstance(training, bool) else None,
    )


class Outcomes:
    """Each case run once per session: the per-form and the agreement tests share it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.done: dict[tuple[str, ...], Outcome] = {}

    def get(self, key: tuple[str, ...], make: Callable[[Path], Outcome]) -> Outcome:
        if key not in self.done:
            tmp = self.root / re.sub(r"[^\w.-]+", "_", "-".join(key))
            tmp.mkdir(parents=True)
            self.done[key] = make(tmp)
        return self.done[key]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcomes]:
    yield Outcomes(tmp_path_factory.mktemp("every_form"))


def assert_handled(outcome: Outcome, test_id: str, name: str) -> None:
    """Not a crash; not automated only with a reason that names the input."""
    assert "missing_fixtures" not in outcome.evidence, (
        f"harness: {test_id} needs {outcome.evidence['missing_fixtures']}; add a value to "
        f"forms.DEFAULTS"
    )
    assert outcome.status is not Status.ERROR, f"{test_id} crashed on {name}: {outcome.show()}"
    for text in CRASH_TEXTS:
        assert text not in outcome.message, f"{test_id}: raw exception text: {outcome.show()}"
    if outcome.status is Status.NOT_AUTOMATED:
        named = rf"\b(ml_)?{re.escape(name)}\b|\b{re.escape(outcome.given)}\b"
        assert re.search(named, outcome.message), (
            f"{test_id}: not automated without naming {name}: {outcome.show()}"
        )


def _close(a: Any, b: Any, rel: float, abs_: float) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rel, abs_) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y, rel, abs_) for x, y in zip(a, b, strict=True))
    numbers = (int, float, np.integer, np.floating)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool | np.bool_):
        if math.isnan(float(a)) and math.isnan(float(b)):
            return True
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)
    return bool(a == b)


def disagreements(
    outcomes: dict[str, Outcome], keys: tuple[str, ...], rel: float = 1e-6, abs_: float = 1e-9
) -> list[str]:
    """How each form's verdict and key numbers differ from the first form's."""
    (first, reference), *others = outcomes.items()
    found = []
    for form, outcome in others:
        if outcome.status is not reference.status:
            found.append(
                f"{form}: {outcome.status.value} ({outcome.message[:160]}) but {first}: "
                f"{reference.status.value} ({reference.message[:160]})"
            )
            continue
        for key in keys:
            a, b = reference.evidence.get(key), outcome.evidence.get(key)
            if not _close(a, b, rel, abs_):
                shown = json.dumps(b, default=str)[:200], json.dumps(a, default=str)[:200]
                found.append(f"{form}: {key}={shown[0]} but {first}: {key}={shown[1]}")
    return found


def _params(cases: list[tuple[str, ...]]) -> list[Any]:
    marks = []
    for case in cases:
        reason = EXCLUDED.get((case[0], case[1]))
        kw = {"marks": pytest.mark.skip(reason=reason)} if reason else {}
        marks.append(pytest.param(*case, id="-".join(case), **kw))
    return marks


# -- tables and logs -------------------------------------------------------------------


def named_forms(name: str) -> dict[str, Callable[[pd.DataFrame, Path], Any]]:
    """Forms that keep the column names: the same table, to be judged the same."""
    records = forms.RECORDS_FORM if name in forms.RECORDS_INPUTS else {}
    return forms.TABLE_FORMS | records


def table_forms(test_id: str, name: str) -> dict[str, Callable[[pd.DataFrame, Path], Any]]:
    canonical = forms.base_inputs(test_id, takes(test_id), name).get(name)
    xy = forms.TABLE_INPUTS[name] and isinstance(canonical, pd.DataFrame)
    xy = xy and forms.TARGET in canonical.columns
    numeric = xy and all(
        pd.api.types.is_numeric_dtype(t) for t in canonical.drop(columns=[forms.TARGET]).dtypes
    )
    return (
        named_forms(name)
        | (forms.XY_FRAME_FORM if xy else {})
        | (forms.UNNAMED_FORMS if numeric else {})
    )


TABLE_GROUPS = [(t, name) for name in forms.TABLE_INPUTS for t in takers(name)]
TABLE_CASES = [(t, name, form) for t, name in TABLE_GROUPS for form in table_forms(t, name)]


def table_outcome(outcomes: Outcomes, test_id: str, name: str, form: str) -> Outcome:
    def make(tmp: Path) -> Outcome:
        inputs = forms.base_inputs(test_id, takes(test_id), name)
        canonical = inputs[name]
        assert isinstance(canonical, pd.DataFrame), f"harness: no table for {test_id} {name}"
        inputs[name] = table_forms(test_id, name)[form](canonical, tmp)
        if form in forms.UNNAMED_FORMS and "slices" in inputs:  # no column names: an index
            inputs["slices"] = {"young": (forms.FEATURES.index("age"), (0, 25))}
        return run(test_id, inputs, tmp, inputs[name])

    return outcomes.get(("table", test_id, name, form), make)


@pytest.mark.parametrize(("test_id", "name", "form"), _params(TABLE_CASES))
def test_table_form_is_handled(outcomes: Outcomes, test_id: str, name: str, form: str) -> None:
    assert_handled(table_outcome(outcomes, test_id, name, form), test_id, name)


@pytest.mark.parametrize(("test_id", "name"), _params(TABLE_GROUPS))
def test_table_forms_agree(outcomes: Outcomes, test_id: str, name: str) -> None:
    same = [
        f
        for f in table_forms(test_id, name)
        if f not in forms.UNNAMED_FORMS or test_id not in NEEDS_COLUMN_NAMES
    ]
    named = {f: table_outcome(outcomes, test_id, name, f) for f in same}
    handled = {f: o for f, o in named.items() if o.status is not Status.ERROR}
    keys = KEY_NUMBERS.get(test_id, ())
    assert not disagreements(handled, keys, rel=1e-6), "\n".join(disagreements(handled, keys))


# -- models ----------------------------------------------------------------------------

MODEL_INPUTS = ("model", "serving_model", "previous_model", "baseline_model")
MODEL_GROUPS = [(t, name) for name in MODEL_INPUTS for t in takers(name)]
MODEL_CASES = [(t, name, form) for t, name in MODEL_GROUPS for form in forms.MODEL_FORMS]


def model_outcome(outcomes: Outcomes, test_id: str, name: str, form: str) -> Outcome:
    def make(tmp: Path) -> Outcome:
        inputs = forms.base_inputs(test_id, takes(test_id), name)
        inputs[name] = forms.MODEL_FORMS[form]()
        if "batch" in inputs:  # a team training a bf16 model hands over a bf16 batch
            inputs["batch"] = forms.batch_for(inputs[name])
        return run(test_id, inputs, tmp, inputs[name])

    return outcomes.get(("model", test_id, name, form), make)


@pytest.mark.parametrize(("test_id", "name", "form"), _params(MODEL_CASES))
def test_model_form_is_handled(outcomes: Outcomes, test_id: str, name: str, form: str) -> None:
    outcome = model_outcome(outcomes, test_id, name, form)
    assert_handled(outcome, test_id, name)
    if "train mode" in form:
        assert outcome.still_training, f"{test_id} left the {name} in eval mode"


@pytest.mark.parametrize(
    ("test_id", "name"), _params([g for g in MODEL_GROUPS if g[0] not in MODEL_KIND_MATTERS])
)
def test_model_forms_agree(outcomes: Outcomes, test_id: str, name: str) -> None:
    """The four model forms compute one function: the judgement of its predictions agrees."""
    found = {f: model_outcome(outcomes, test_id, name, f) for f in forms.MODEL_FORMS}
    handled = {f: o for f, o in found.items() if o.status is not Status.ERROR}
    keys = MODEL_KEY_NUMBERS.get(test_id, ())
    assert not disagreements(handled, keys), "\n".join(disagreements(handled, keys))


# -- slices ----------------------------------------------------------------------------

SLICE_CASES = [(t, form) for t in takers("slices") for form in forms.SLICE_FORMS]


def slice_outcome(outcomes: Outcomes, test_id: str, form: str) -> Outcome:
    def make(tmp: Path) -> Outcome:
        inputs = forms.base_inputs(test_id, takes(test_id), "slices")
        inputs["slices"] = forms.SLICE_FORMS[form][0]
        for data in ("eval_data", "train_data", "recent_data"):
            if data in inputs:  # a frame with the string column the slices name
                inputs[data] = forms.SLICED.copy()
        return run(test_id, inputs, tmp, inputs["slices"])

    return outcomes.get(("slices", test_id, form), make)


@pytest.mark.parametrize(("test_id", "form"), _params(SLICE_CASES))
def test_slice_form_is_handled_with_its_rows(outcomes: Outcomes, test_id: str, form: str) -> None:
    outcome = slice_outcome(outcomes, test_id, form)
    assert_handled(outcome, test_id, "slices")
    expected = {name: int(mask.sum()) for name, mask in forms.SLICE_FORMS[form][1].items()}
    if test_id in SLICE_ROWS:
        assert SLICE_ROWS[test_id](outcome.evidence) == expected, outcome.show()
    else:  # a check this file does not know yet: at least every slice is reported
        shown = json.dumps(outcome.evidence, default=str) + outcome.message
        assert all(name in shown for name in expected), outcome.show()


SAME_SLICE = {
    "young": ("column + bin", "dict bin", "predicate", "boolean mask"),
    "country a": ("dict value", "column value", "TOML column value"),
}


@pytest.mark.parametrize(
    ("test_id", "slice_name"), _params([(t, s) for t in takers("slices") for s in SAME_SLICE])
)
def test_one_slice_declared_several_ways_agrees(
    outcomes: Outcomes, test_id: str, slice_name: str
) -> None:
    found = {f: slice_outcome(outcomes, test_id, f) for f in SAME_SLICE[slice_name]}
    handled = {f: o for f, o in found.items() if o.status is not Status.ERROR}
    keys = KEY_NUMBERS.get(test_id, ())
    assert not disagreements(handled, keys), "\n".join(disagreements(handled, keys))


# -- float class labels ----------------------------------------------------------------

LABELLED = ("train_data", "eval_data", "recent_data")


def label_variants(test_id: str) -> list[str]:
    spec = BUILTIN_CHECKS[test_id]
    default = [] if "metric" in spec.inputs else ["default metric"]
    return default + (["plain callable metric"] if "metric" in takes(test_id) else [])


LABEL_CASES = [
    (t, variant)
    for t in sorted({t for name in LABELLED for t in takers(name)})
    if "target" in takes(t)
    for variant in label_variants(t)
]


def share_right(y_true: Any, y_pred: Any) -> float:
    """A team's metric as a bare function: its name shows it was the one used."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


@pytest.mark.parametrize(("test_id", "variant"), _params(LABEL_CASES))
def test_float_class_labels_are_judged_as_classes(
    outcomes: Outcomes, test_id: str, variant: str
) -> None:
    """0.0/1.0 labels and a bf16 model's logits: accuracy (or the team's callable) on labels."""

    def make(tmp: Path) -> Outcome:
        inputs = forms.base_inputs(test_id, takes(test_id), "eval_data")
        inputs.pop("predict", None)  # the model under test answers, not a serving function
        if "model" in inputs:
            inputs["model"] = forms.torch_model(train_mode=True)
        inputs.pop("metric", None)
        if variant == "plain callable metric" and "metric" in takes(test_id):
            inputs["metric"] = share_right
        return run(test_id, inputs, tmp, inputs.get("model"))

    outcome = outcomes.get(("labels", test_id, variant), make)
    assert_handled(outcome, test_id, "eval_data")
    text = outcome.message + json.dumps(outcome.evidence, default=str)
    assert not re.search(r"\br2\b|\bR²", text), f"{test_id} judged float labels as regression"
    if "metric" in takes(test_id):
        name = "share_right" if variant == "plain callable metric" else "accuracy"
        assert name in text, f"{test_id}: metric {name} not used: {outcome.show()}"
    if test_id in OVERALL_METRIC:
        value = OVERALL_METRIC[test_id](outcome.evidence)
        assert value == pytest.approx(forms.EVAL_ACCURACY, abs=1e-5), outcome.show()
    if outcome.still_training is not None:
        assert outcome.still_training, f"{test_id} left the model in eval mode"


# -- the matrix covers what it claims --------------------------------------------------


def test_every_builtin_check_is_loaded() -> None:
    """A section that fails to import would drop its checks from the matrix silently."""
    from mltestscore.checks import LOAD_ERRORS
    from mltestscore.rubric import RUBRIC

    assert not LOAD_ERRORS, LOAD_ERRORS
    assert {t.id for t in RUBRIC} <= set(BUILTIN_CHECKS)


def test_every_shared_input_reaches_a_check() -> None:
    for name in (*forms.TABLE_INPUTS, *MODEL_INPUTS, "slices"):
        assert takers(name), f"no built-in check takes {name}: drop it from the matrix"
