"""The schema adapters: pandera, Great Expectations and tensor schemas → SchemaReport."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

from mltestscore.schema import SchemaReport, TensorSchema, validate


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    return frame[["mean radius", "mean texture", "worst area", "target"]].copy()


@pytest.fixture(scope="module")
def cancer_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "mean radius": pa.Column(float, pa.Check.in_range(5, 30)),
            "mean texture": pa.Column(float, pa.Check.in_range(5, 45)),
            "worst area": pa.Column(float, pa.Check.ge(0)),
            "target": pa.Column(int, pa.Check.isin([0, 1])),
        }
    )


def test_pandera_valid_data_gives_a_clean_report(cancer, cancer_schema) -> None:
    report = validate(cancer_schema, cancer)
    assert isinstance(report, SchemaReport)
    assert report.valid and report.engine == "pandera" and report.rows == len(cancer)
    assert report.failures == () and report.failure_rate_by_column == {}
    assert set(report.checked_columns) == set(cancer.columns)


def test_pandera_lazy_validation_reports_every_failure(cancer, cancer_schema) -> None:
    bad = cancer.copy()
    bad.loc[[3, 7, 9], "mean radius"] = -1.0  # out of range
    bad.loc[5, "mean texture"] = np.nan  # not nullable
    bad.loc[11, "target"] = 4  # not in the label set
    report = validate(cancer_schema, bad)
    assert not report.valid
    by_column = {f.column: f for f in report.failures}
    assert set(by_column) == {"mean radius", "mean texture", "target"}
    assert by_column["mean radius"].count == 3
    assert by_column["mean radius"].example_rows == (3, 7, 9)
    assert report.failure_count_by_column == {"mean radius": 3, "mean texture": 1, "target": 1}
    assert report.failure_rate_by_column["mean radius"] == pytest.approx(3 / len(bad))


def test_non_lazy_validation_stops_at_the_first_failure(cancer, cancer_schema) -> None:
    bad = cancer.copy()
    bad.loc[3, "mean radius"] = -1.0
    bad.loc[11, "target"] = 4
    report = validate(cancer_schema, bad, lazy=False)
    assert not report.valid and len(report.failures) == 1


def test_column_level_failures_fail_every_row_and_show_the_observed_dtype(cancer) -> None:
    schema = pa.DataFrameSchema({"mean radius": pa.Column(int), "missing": pa.Column(float)})
    report = validate(schema, cancer)
    assert report.failure_rate_by_column == {"mean radius": 1.0, "missing": 1.0}
    dtype_failure = next(f for f in report.failures if f.column == "mean radius")
    assert dtype_failure.detail == "observed float64"
    assert report.unchecked_columns == ("mean texture", "worst area", "target")


def test_dataframe_model_class_is_accepted(cancer) -> None:
    class Cancer(pa.DataFrameModel):
        target: int = pa.Field(isin=[0, 1])

    assert validate(Cancer, cancer).valid
    assert not validate(Cancer, cancer.assign(target=cancer["target"] + 5)).valid


def test_failing_values_never_reach_the_report() -> None:
    emails = pd.DataFrame({"contact": ["ann@example.com", "bob@example.org", "carl"]})
    schema = pa.DataFrameSchema({"contact": pa.Column(str, pa.Check.str_length(max_value=4))})
    evidence = json.dumps(validate(schema, emails).to_evidence())
    assert "example.com" not in evidence and "example.org" not in evidence
    assert '"count": 2' in evidence


def test_string_index_labels_are_not_reported(cancer, cancer_schema) -> None:
    bad = cancer.copy()
    bad.index = [f"patient-{i}@clinic.org" for i in range(len(bad))]
    bad.iloc[0, 0] = -1.0
    report = validate(cancer_schema, bad)
    assert report.failures[0].example_rows == ()
    assert "clinic.org" not in json.dumps(report.to_evidence())


def test_pandera_schema_json_file(tmp_path, cancer, cancer_schema) -> None:
    path = tmp_path / "schema.json"
    path.write_text(cancer_schema.to_json(), encoding="utf-8")
    assert validate(path, cancer).valid
    assert not validate(path, cancer.assign(target=9)).valid


def test_bad_inputs_get_clear_messages(tmp_path, cancer, cancer_schema) -> None:
    with pytest.raises(TypeError, match="expected a pandera DataFrameSchema"):
        validate({"mean radius": float}, cancer)
    with pytest.raises(TypeError, match="needs a pandas DataFrame"):
        validate(cancer_schema, cancer.to_numpy())
    with pytest.raises(ValueError, match="does not exist"):
        validate(cancer_schema, tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="empty"):
        validate(cancer_schema, cancer.iloc[:0])
    (tmp_path / "other.json").write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match="neither a pandera schema"):
        validate(tmp_path / "other.json", cancer)


# --- Great Expectations ---------------------------------------------------------------


@pytest.fixture(scope="module")
def gx_suite():
    gx = pytest.importorskip("great_expectations")
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name="cancer",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="mean radius", min_value=5, max_value=30),
            gxe.ExpectColumnValuesToNotBeNull(column="mean texture"),
            gxe.ExpectColumnValuesToBeInSet(column="target", value_set=[0, 1]),
        ],
    )


def test_gx_suite_passes_and_fails_with_counts(cancer, gx_suite) -> None:
    assert validate(gx_suite, cancer).valid
    bad = cancer.copy()
    bad.loc[0:9, "mean radius"] = 100.0
    bad.loc[3, "target"] = 7
    report = validate(gx_suite, bad)
    assert report.engine == "great_expectations" and not report.valid
    counts = {f.column: f.count for f in report.failures}
    assert counts == {"mean radius": 10, "target": 1}
    assert "100.0" not in json.dumps(report.to_evidence())
    assert report.unchecked_columns == ("worst area",)


def test_gx_suite_on_a_missing_column_fails_every_row(cancer) -> None:
    gx = pytest.importorskip("great_expectations")
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(
        name="m", expectations=[gxe.ExpectColumnValuesToNotBeNull(column="age")]
    )
    report = validate(suite, cancer)
    assert report.failure_rate_by_column == {"age": 1.0}


def test_gx_suite_json_file(tmp_path, cancer, gx_suite) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(gx_suite.to_json_dict()), encoding="utf-8")
    assert validate(path, cancer).valid
    report = validate(path, cancer.assign(target=5))
    assert report.engine == "great_expectations" and report.failure_rate_by_column == {
        "target": 1.0
    }


def test_missing_gx_names_the_extra(monkeypatch) -> None:
    from mltestscore.schema.gx_adapter import import_gx

    monkeypatch.setitem(sys.modules, "great_expectations", None)
    with pytest.raises(ImportError, match=r"mltestscore\[gx\]"):
        import_gx()


# --- tensor schemas -------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8) in [0, 1]
    return images, data.target


DIGIT_SCHEMA = TensorSchema((1, 8, 8), "float32", 0.0, 1.0, tuple("0123456789"))


def test_tensor_schema_accepts_digit_images(digits) -> None:
    report = validate(DIGIT_SCHEMA, digits)
    assert report.valid and report.engine == "tensor" and report.rows == 1797


def test_tensor_schema_finds_range_nan_and_label_problems(digits) -> None:
    images, labels = digits[0].copy(), digits[1].astype(object)
    images[5, 0, 0, 0] = 3.0  # raw 0-16 pixel left unscaled
    images[7, 0, 1, 1] = np.nan
    labels[9] = "x"
    report = validate(DIGIT_SCHEMA, (images, labels))
    found = {(f.column, f.check): f.example_rows for f in report.failures}
    assert found == {
        ("inputs", "finite"): (7,),
        ("inputs", "max_value(1.0)"): (5,),
        ("labels", "label_in_vocabulary"): (9,),
    }


def test_tensor_schema_shape_and_dtype(digits) -> None:
    images, labels = digits
    report = validate(DIGIT_SCHEMA, (images[:, :, :, :4].astype(np.float64), labels))
    details = {f.check: f.detail for f in report.failures}
    assert details == {"dtype(float32)": "observed float64", "shape(1, 8, 8)": "observed (1, 8, 4)"}
    assert report.failure_rate_by_column == {"inputs": 1.0}


def test_tensor_schema_on_torch_dataset(digits) -> None:
    torch = pytest.importorskip("torch")
    images, labels = digits
    dataset = torch.utils.data.TensorDataset(torch.tensor(images), torch.tensor(labels))
    assert validate(DIGIT_SCHEMA, dataset).valid
    assert not validate(DIGIT_SCHEMA, torch.tensor(images) * 16).valid


def test_tensor_schema_on_variable_width_lines_with_string_labels() -> None:
    rng = np.random.default_rng(0)
    schema = TensorSchema((1, 8, None), "float32", 0.0, 1.0, tuple("0123456789"), True)
    lines = [(rng.random((1, 8, 8 * k), dtype=np.float32), "31415"[:k]) for k in (1, 3, 5)]
    assert validate(schema, lines).valid
    lines.append((rng.random((1, 9, 8), dtype=np.float32), "12a"))
    report = validate(schema, lines)
    assert {(f.column, f.count) for f in report.failures} == {("inputs", 1), ("labels", 1)}
    assert report.failures[0].detail == "observed (1, 9, 8)"


def test_tensor_schema_rejects_bad_definitions() -> None:
    with pytest.raises(ValueError, match="positive int or None"):
        TensorSchema((1, 0, 8))
    with pytest.raises(ValueError, match="min_value"):
        TensorSchema((8,), min_value=2, max_value=1)
    with pytest.raises(ValueError, match="empty"):
        validate(TensorSchema((8,)), np.zeros((0, 8)))
