"""data.4: the model's input features obey declared deny/deprecated/protected/allow lists.

Rules come from ``[tool.mltestscore]`` (``deny_features``, ``deprecated_features``,
``protected_features``, ``allow_features``) and/or a ``feature_rules`` mapping with
the same keys (or the short ``deny``/``deprecated``/``protected``/``allow``).
Patterns are shell globs (``fnmatch``), matched case-insensitively:
``"zip*"`` matches ``ZipCode``. The features are the model's inputs as data.2 sees
them (:func:`mltestscore.checks.data.features.model_features`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mltestscore.checks.data.features import model_features
from mltestscore.checks.data.messages import MAX_TABLE, short_list
from mltestscore.context import CheckContext
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated

RULES = ("deny", "deprecated", "protected", "allow")
OPTION_KEYS = {rule: f"{rule}_features" for rule in RULES}
WHY = {
    "deny": "deny-listed",
    "deprecated": "deprecated",
    "protected": "a protected attribute",
    "allow": "not on the allow-list",
}


@register_builtin_check("data.4")
def feature_rules_hold(
    feature_names: Any = None,
    model: Any = None,
    train_data: Any = None,
    target: str | None = None,
    feature_rules: Mapping[str, Any] | None = None,
    context: CheckContext | None = None,
) -> CheckResult:
    """The model's input features obey the declared deny/deprecated/protected/allow lists.

    Rules: ``[tool.mltestscore]`` ``deny_features``, ``deprecated_features``,
    ``protected_features``, ``allow_features`` (glob patterns, case-insensitive)
    and/or the ``feature_rules`` input with the same keys. Features: the
    ``feature_names`` input, else ``model.feature_names_in_``, else the columns of
    ``train_data`` minus ``target``.
    """
    options = context.options if context is not None else {}
    rules = collect_rules(feature_rules, options)
    if not rules:
        raise NotAutomated(
            "no feature rules declared: set deny_features, deprecated_features, "
            "protected_features or allow_features in [tool.mltestscore] (or define "
            "ml_feature_rules)"
        )
    features, source = model_features(feature_names, model, train_data, target, "train_data")
    if not features:
        raise NotAutomated(
            "no feature list: define ml_feature_names, or ml_model (fitted on a DataFrame) "
            "or ml_train_data as a DataFrame"
        )
    violations = evaluate(features, rules)
    evidence = {
        "features": len(features),
        "feature_source": source,
        "rules": {rule: list(patterns) for rule, patterns in rules.items()},
        "violations": [v.to_dict() for v in violations][:MAX_TABLE],
    }
    if violations:
        named = [
            f"{v.feature} ({WHY[v.rule]}{f' {v.pattern!r}' if v.pattern else ''})"
            for v in violations
        ]
        return CheckResult.failed(
            f"{len(violations)} feature rule violation(s) among {len(features)} features: "
            f"{short_list(named)}",
            evidence,
            "Remove these features from the model's inputs and retrain, or correct the "
            "declared rules if they are out of date.",
        )
    return CheckResult.passed(
        f"all {len(features)} features ({source}) obey the declared rules "
        f"({', '.join(sorted(rules))})",
        evidence,
    )


@dataclass(frozen=True)
class Violation:
    feature: str
    rule: str
    pattern: str  # the matching pattern ("" for allow-list misses)

    def to_dict(self) -> dict[str, str]:
        return {"feature": self.feature, "rule": self.rule, "pattern": self.pattern}


def _patterns(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError(f"{where}: expected a list of feature names or glob patterns, got {value!r}")


def collect_rules(
    feature_rules: Mapping[str, Any] | None, options: Mapping[str, Any]
) -> dict[str, tuple[str, ...]]:
    """Merge the rules declared in ``[tool.mltestscore]`` and in ``feature_rules``."""
    rules: dict[str, tuple[str, ...]] = {}
    for rule, key in OPTION_KEYS.items():
        if key in options:
            rules[rule] = _patterns(options[key], f"[tool.mltestscore] {key}")
    if feature_rules is not None:
        if not isinstance(feature_rules, Mapping):
            raise TypeError(
                "feature_rules: expected a mapping like {'deny': [...], 'protected': [...]}, "
                f"got {type(feature_rules).__name__}"
            )
        for key, value in feature_rules.items():
            rule = str(key).removesuffix("_features")
            if rule not in RULES:
                raise ValueError(
                    f"feature_rules: unknown rule {key!r}; expected {', '.join(RULES)}"
                )
            rules[rule] = rules.get(rule, ()) + _patterns(value, f"feature_rules[{key!r}]")
    return {rule: pats for rule, pats in rules.items() if pats}  # an empty list declares nothing


def _match(feature: str, patterns: Sequence[str]) -> str | None:
    lowered = feature.lower()
    for pattern in patterns:
        if fnmatch.fnmatchcase(lowered, pattern.lower()):
            return pattern
    return None


def evaluate(features: Sequence[str], rules: Mapping[str, Sequence[str]]) -> list[Violation]:
    """Every (feature, rule) that breaks the declared rules."""
    found: list[Violation] = []
    for feature in features:
        for rule in ("deny", "deprecated", "protected"):
            pattern = _match(feature, rules.get(rule, ()))
            if pattern is not None:
                found.append(Violation(feature, rule, pattern))
        if "allow" in rules and _match(feature, rules["allow"]) is None:
            found.append(Violation(feature, "allow", ""))
    return found
