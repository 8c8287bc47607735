"""The 28 tests of the ML Test Score rubric (Breck et al., IEEE Big Data 2017).

Ids are stable strings (``data.1`` … ``monitor.7``); titles are the paper's.
Each entry says what the test asks and how a team earns its point, by an
automated input (a fixture) or by manual evidence in ``[tool.mltestscore]``.
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS: tuple[str, ...] = ("data", "model", "infra", "monitor")

SECTION_TITLES: dict[str, str] = {
    "data": "Tests for features and data",
    "model": "Tests for model development",
    "infra": "Tests for ML infrastructure",
    "monitor": "Monitoring tests for ML",
}


@dataclass(frozen=True)
class RubricTest:
    """One test of the rubric."""

    id: str
    section: str
    number: int
    title: str
    asks: str
    automated: str
    manual: str


def _t(tid: str, title: str, asks: str, automated: str, manual: str) -> RubricTest:
    section, number = tid.split(".")
    return RubricTest(tid, section, int(number), title, asks, automated, manual)


_MANUAL = (
    'Record a reviewed document in [tool.mltestscore.manual."{id}"] with '
    "document, reviewer and reviewed (date) for 0.5 points."
)

RUBRIC: tuple[RubricTest, ...] = (
    _t(
        "data.1",
        "Feature expectations are captured in a schema",
        "Are the expected properties of each feature (type, range, nullability, "
        "category set) written down in a schema that the training data is checked against?",
        "Provide the schema (pandera or Great Expectations) and the training data; the "
        "training data must validate. `mltestscore schema infer` drafts a schema.",
        "A reviewed document describing each feature's expectations.",
    ),
    _t(
        "data.2",
        "All features are beneficial",
        "Does every feature contribute to model quality enough to justify its presence?",
        "Provide the fitted model and evaluation data; permutation importance must put "
        "every feature above the noise band.",
        "A feature-ablation study, reviewed.",
    ),
    _t(
        "data.3",
        "No feature's cost is too much",
        "Is the cost of each feature (latency, memory, dependencies) weighed against its benefit?",
        "Provide the team's feature functions; per-feature compute time and memory are "
        "measured against importance and a budget.",
        "A reviewed cost/benefit table of the features.",
    ),
    _t(
        "data.4",
        "Features adhere to meta-level requirements",
        "Do features respect project-level rules: no banned, deprecated or protected attributes?",
        "Declare deny/allow lists; the model's input features must satisfy them.",
        "A reviewed list of feature requirements and their audit.",
    ),
    _t(
        "data.5",
        "The data pipeline has appropriate privacy controls",
        "Is personally identifiable information kept out of the data, with access controlled?",
        "Provide the training data; a PII scan (emails, phones, card numbers, IDs, IPs) "
        "must find nothing outside declared columns.",
        "A reviewed privacy assessment of the pipeline.",
    ),
    _t(
        "data.6",
        "New features can be added quickly",
        "Can a new feature go from idea to production quickly?",
        "Provide the fast-subset pipeline; a synthetic new feature must flow end to end.",
        "Documented calendar time from feature idea to production, reviewed.",
    ),
    _t(
        "data.7",
        "All input feature code is tested",
        "Is the code that computes input features covered by tests?",
        "Declare the feature modules; coverage measured during the run must reach the threshold.",
        "A reviewed report of the feature code's tests.",
    ),
    _t(
        "model.1",
        "Model specs are reviewed and submitted",
        "Is the model's configuration and code in version control and reviewed?",
        "Declare the model spec files; they must be tracked by git, clean and committed.",
        "A reviewed record of model-spec code review.",
    ),
    _t(
        "model.2",
        "Offline and online metrics correlate",
        "Do improvements in the offline metric translate into the online (business) metric?",
        "Provide a log of offline and online metrics per model version; their rank "
        "correlation must reach the threshold.",
        "A reviewed analysis of offline/online metric correlation.",
    ),
    _t(
        "model.3",
        "All hyperparameters have been tuned",
        "Has every hyperparameter been tuned, and is the chosen configuration near the best?",
        "Provide sweep results; every declared hyperparameter must be swept and the chosen "
        "configuration within tolerance of the best.",
        "A reviewed tuning report.",
    ),
    _t(
        "model.4",
        "The impact of model staleness is known",
        "Is it known how quickly model quality decays as the model ages?",
        "Provide older model versions (model store) and current data; an age-vs-quality "
        "curve is measured.",
        "A reviewed staleness study.",
    ),
    _t(
        "model.5",
        "A simpler model is not better",
        "Does the model beat a simple baseline by a meaningful margin?",
        "Provide the model and data; a simple baseline is trained and must be beaten by the margin.",
        "A reviewed baseline comparison.",
    ),
    _t(
        "model.6",
        "Model quality is sufficient on all important data slices",
        "Is quality acceptable on every important slice, not only on average?",
        "Declare slices; each slice's metric must meet its floor and not regress.",
        "A reviewed per-slice quality report.",
    ),
    _t(
        "model.7",
        "The model is tested for considerations of inclusion",
        "Does the model perform comparably across user groups?",
        "Declare groups; metric gaps between groups must stay within tolerance.",
        "A reviewed fairness/inclusion assessment.",
    ),
    _t(
        "infra.1",
        "Training is reproducible",
        "Does training twice on the same data with the same seed give the same model?",
        "Provide the training function; two seeded runs must agree within tolerance.",
        "A reviewed reproducibility study.",
    ),
    _t(
        "infra.2",
        "Model specs are unit tested",
        "Is the model code unit tested: does it train, overfit a batch, stay finite?",
        "Provide a torch model, batch and loss function (the troubleshooting suite must "
        "pass) or a scikit-learn estimator and its training data (its spec test must pass).",
        "A reviewed record of the model's unit tests.",
    ),
    _t(
        "infra.3",
        "The ML pipeline is integration tested",
        "Is the whole pipeline (data, training, evaluation, export, serving) tested end to end?",
        "Provide the pipeline stages; they must run end to end on a fast subset.",
        "A reviewed integration-test procedure.",
    ),
    _t(
        "infra.4",
        "Model quality is validated before serving",
        "Is a candidate model checked against the serving model before it is pushed?",
        "Provide candidate and serving models with held-out data; no regression beyond "
        "tolerance and the absolute floor met.",
        "A reviewed pre-serving validation procedure.",
    ),
    _t(
        "infra.5",
        "The model is debuggable",
        "Can a single example be traced step by step through the model?",
        "Provide the model and an example; a per-layer trace must be recorded.",
        "A reviewed debugging procedure.",
    ),
    _t(
        "infra.6",
        "Models are canaried before serving",
        "Is the exported model loaded by the serving runtime and checked before serving?",
        "Provide the model and canary inputs; the exported artifact must load in a separate "
        "process and reproduce the outputs.",
        "A reviewed canary procedure.",
    ),
    _t(
        "infra.7",
        "Serving models can be rolled back",
        "Can the serving model be rolled back to the previous version safely?",
        "Provide the model store; rollback to the previous version must load and serve.",
        "A reviewed rollback drill.",
    ),
    _t(
        "monitor.1",
        "Dependency changes result in notification",
        "Are changes in upstream dependencies noticed?",
        "The environment fingerprint is compared with the recorded baseline.",
        "A reviewed dependency-notification procedure.",
    ),
    _t(
        "monitor.2",
        "Data invariants hold for inputs",
        "Do serving inputs satisfy the training schema?",
        "Provide the schema and a sample of serving inputs; they must validate.",
        "A reviewed input-monitoring procedure.",
    ),
    _t(
        "monitor.3",
        "Training and serving are not skewed",
        "Are features computed the same way in training and in serving?",
        "Provide serving examples and the training-side feature code; skew must stay "
        "within thresholds.",
        "A reviewed skew analysis.",
    ),
    _t(
        "monitor.4",
        "Models are not too stale",
        "Is the serving model younger than its staleness budget?",
        "Provide the model store; the serving model's age must be within budget.",
        "A reviewed model-refresh procedure.",
    ),
    _t(
        "monitor.5",
        "Models are numerically stable",
        "Are weights, activations and outputs free of NaN and Inf?",
        "Provide the model and data; no NaN/Inf in weights, outputs or training.",
        "A reviewed numerical-stability monitor.",
    ),
    _t(
        "monitor.6",
        "Computing performance has not regressed",
        "Have latency, throughput and memory stayed within budget?",
        "Provide the predict function and inputs; performance is compared with the baseline.",
        "A reviewed performance-monitoring procedure.",
    ),
    _t(
        "monitor.7",
        "Prediction quality has not regressed",
        "Is prediction quality on recent serving data as good as before?",
        "Provide recent labelled serving data; quality and prediction drift are compared "
        "with the baseline.",
        "A reviewed prediction-quality monitor.",
    ),
)

RUBRIC_BY_ID: dict[str, RubricTest] = {t.id: t for t in RUBRIC}

# A point is earned only by a verified pass. A check that ran but could not judge
# (Status.INCONCLUSIVE: nothing to compare with, too few rows, a baseline recorded in
# this very run) scores like a test with no automated evidence: 0 points, status
# "unjudged" (or the manual 0.5 when reviewed manual evidence is recorded), shown
# apart from a pass in every report, and the check's pytest item is skipped with
# "could not judge: ...". The cases where a built-in check says so:
COULD_NOT_JUDGE: dict[str, str] = {
    "infra.4": "there is no serving model to compare the candidate with (ml_serving_model or "
    "the model store's previous version), or the candidate is the serving model itself: "
    "meeting the absolute floor alone does not show the candidate is no worse.",
    "monitor.1": "the run records the environment baseline (--ml-score-update-baseline, or "
    "the first run): nothing was compared.",
    "monitor.6": "the run records the performance baseline, or there is nothing to time "
    "beside the candidate (no recorded baseline and no ml_baseline_predict): a regression "
    "cannot be judged from one measurement.",
    "monitor.7": "the run records the prediction baseline: nothing was compared.",
}
DEFAULT_COULD_NOT_JUDGE = (
    "the built-in check passes, fails or errs whenever its inputs are present; without them "
    "it is not automated."
)


def could_not_judge(test_id: str) -> str:
    """When the built-in check for ``test_id`` reports that it could not judge."""
    return COULD_NOT_JUDGE.get(test_id, DEFAULT_COULD_NOT_JUDGE)


TEST_IDS: tuple[str, ...] = tuple(t.id for t in RUBRIC)


class UnknownTestId(KeyError):
    """Raised for an id that is not one of the 28 rubric tests."""

    def __str__(self) -> str:
        return str(self.args[0])


def get(test_id: str) -> RubricTest:
    """Return the rubric test for ``test_id`` or raise :class:`UnknownTestId`."""
    try:
        return RUBRIC_BY_ID[test_id]
    except KeyError:
        raise UnknownTestId(
            f"unknown ML Test Score id {test_id!r}: expected one of "
            f"data.1-7, model.1-7, infra.1-7, monitor.1-7"
        ) from None


def manual_hint(test_id: str) -> str:
    return _MANUAL.format(id=test_id)
