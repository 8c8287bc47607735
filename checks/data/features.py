"""The model's input features: one decision for data.2, data.3 and data.4.

In order: the ``feature_names`` input (``ml_feature_names``) when declared; the model's
``feature_names_in_`` (a scikit-learn estimator or pipeline fitted on a DataFrame); else
the data's columns minus ``target`` (a DataFrame, a table path, records, or the ``X`` of an
``(X, y)`` pair). So data.2 and data.4 judge the same features: a model fitted on 13
columns is judged on those 13 even when the data it is handed holds a 14th.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mltestscore.checks.data.messages import short_list
from mltestscore.inputs.tables import Tabular, as_frame, tabular


def declared_features(feature_names: object) -> list[str] | None:
    """The ``feature_names`` input as a list of strings (``None`` when not given)."""
    if feature_names is None:
        return None
    names = None
    if not isinstance(feature_names, (str, bytes)) and isinstance(feature_names, Iterable):
        names = list(feature_names)
    if names is None or not all(isinstance(f, str) for f in names):
        raise TypeError("feature_names: expected a list of feature names (strings)")
    return [str(f) for f in names]


def data_columns(data: object, target: str | None, what: str) -> list[str]:
    """The feature columns of ``data`` (``target`` left out); ``[]`` when it has no names."""
    if isinstance(data, (tuple, list)) and len(data) == 2 and hasattr(data[0], "columns"):
        data = data[0]  # (X, y): the features are X's columns
    columns: Any = getattr(data, "columns", None)
    if columns is None or callable(columns):
        if not isinstance(data, (str, Path, Mapping, list)):
            return []
        try:
            columns = as_frame(data, what).columns
        except TypeError:  # a list that is not records (arrays, images)
            return []
    return [str(c) for c in columns if c != target]


def model_features(
    feature_names: object, model: object, data: object, target: str | None, what: str
) -> tuple[list[str], str]:
    """The model's input features and where they came from (see the module docstring)."""
    declared = declared_features(feature_names)
    if declared is not None:
        return declared, "feature_names"
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is not None:
        return [str(n) for n in fitted], "model.feature_names_in_"
    columns = data_columns(data, target, what) if data is not None else []
    return columns, f"{what} columns" if columns else ""


def model_tabular(
    model: object, data: object, target: str | None, what: str
) -> tuple[Tabular, str]:
    """``data`` as rows × the model's input features (:func:`model_features`), in its order,
    and where the feature names came from.

    A DataFrame keeps only the columns the model was fitted on; one lacking any of them is
    an error naming them. Arrays are named after the model's features when the widths
    match (else ``x0``, ``x1``, …). Raises :class:`mltestscore.inputs.tables.NotTabular`
    for images and other non-tabular features.
    """
    fitted = getattr(model, "feature_names_in_", None)
    data_ = tabular(data, target, what, fitted)
    if not isinstance(data_.X, pd.DataFrame):
        named = fitted is not None and len(fitted) == len(data_.feature_names)
        return data_, "model.feature_names_in_" if named else f"{what} column positions"
    names, source = model_features(None, model, data_.X, None, what)
    if names == list(data_.feature_names):
        return data_, source
    present = set(data_.feature_names)
    missing = [n for n in names if n not in present]
    if missing:
        raise ValueError(
            f"{what} lacks {len(missing)} of the model's input features ({source}): "
            f"{short_list(missing)}"
        )
    columns = {str(c): c for c in data_.X.columns}
    X = data_.X[[columns[n] for n in names]]
    return Tabular(X, data_.y, tuple(names)), source
