"""Built-in checks run end to end through the plugin, fed by a team's fixtures."""

from __future__ import annotations

import json

# Imported here, once: pytester's in-process runs restore sys.modules, and numpy
# cannot be imported twice in one process.
import numpy  # noqa: F401
import pandas  # noqa: F401
import pytest

FEATURES = """
def bucket(age):
    if age < 18:
        return "minor"
    if age < 65:
        return "adult"
    return "senior"


def ratio(a, b):
    if b == 0:
        return 0.0
    return a / b
"""


def load(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "reports/ml-score.json").read_text())


def entry(report: dict, test_id: str) -> dict:
    return next(t for t in report["tests"] if t["id"] == test_id)


@pytest.mark.parametrize(("pii", "status"), [(False, "automated"), (True, "failed")])
def test_data5_privacy_scan_through_fixture(
    pytester: pytest.Pytester, pii: bool, status: str
) -> None:
    contact = (
        '["ann@example.com", "bob@example.org", "cy@example.net"] * 20'
        if pii
        else '["a", "b", "c"] * 20'
    )
    pytester.makeconftest(f"""
        import pandas as pd
        import pytest

        @pytest.fixture(scope="session")
        def ml_train_data():
            return pd.DataFrame({{"age": list(range(60)), "contact": {contact}}})
    """)
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--ml-score")
    report = load(pytester)
    assert entry(report, "data.5")["status"] == status
    if pii:
        result.stdout.fnmatch_lines(["*ml-score::data.5*"])
        assert "ann@example.com" not in json.dumps(report)  # counts, never values


@pytest.mark.parametrize(("tests", "status"), [("full", "automated"), ("partial", "failed")])
def test_data7_feature_coverage_measured_during_the_run(
    pytester: pytest.Pytester, tests: str, status: str
) -> None:
    pytester.makepyprojecttoml("""
        [tool.pytest.ini_options]
        pythonpath = ["."]
        [tool.mltestscore]
        feature_modules = ["features"]
    """)
    pytester.makepyfile(features=FEATURES)
    if tests == "full":
        body = """
            from features import bucket, ratio
            def test_bucket():
                assert [bucket(a) for a in (3, 30, 70)] == ["minor", "adult", "senior"]
            def test_ratio():
                assert ratio(1, 2) == 0.5 and ratio(1, 0) == 0.0
        """
    else:
        body = """
            from features import bucket
            def test_bucket():
                assert bucket(30) == "adult"
        """
    pytester.makepyfile(test_features=body)
    result = pytester.runpytest_subprocess("--ml-score")
    report = load(pytester)
    data7 = entry(report, "data.7")
    assert data7["status"] == status, data7["reason"]
    if status == "failed":
        result.stdout.fnmatch_lines(["*ml-score::data.7*"])


def test_per_check_fixture_overrides_the_shared_one(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pandas as pd
        import pytest

        @pytest.fixture(scope="session")
        def ml_train_data():
            return pd.DataFrame({"contact": ["ann@example.com"] * 30})

        @pytest.fixture(scope="session")
        def ml_data5_train_data():
            return pd.DataFrame({"contact": ["a", "b", "c"] * 10})
    """)
    pytester.makepyfile(test_ok="def test_ok(): pass")
    pytester.runpytest("--ml-score")
    assert entry(load(pytester), "data.5")["status"] == "automated"


@pytest.mark.parametrize(("scale", "status"), [(0.5, "automated"), (5.0, "failed")])
def test_contract_modules_become_evidence(
    pytester: pytest.Pytester, scale: float, status: str
) -> None:
    pytester.makepyprojecttoml("""
        [tool.pytest.ini_options]
        pythonpath = ["."]
        [tool.mltestscore]
        contract_modules = ["team_models"]
    """)
    pytester.makepyfile(
        team_models=f"""
        import numpy as np
        import mltestscore

        @mltestscore.model_contract(output_range=(0.0, 1.0), input={{"shape": (None, 2)}})
        def predict(x):
            return np.asarray(x).mean(axis=1) * {scale}

        @mltestscore.model_contract()
        class Net:
            pass
    """
    )
    pytester.makeconftest("""
        import numpy as np
        import pytest

        @pytest.fixture(scope="session")
        def ml_canary_inputs():
            return np.array([[0.2, 0.4], [0.9, 1.0]])
    """)
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--ml-score", "-rs")
    result.stdout.fnmatch_lines(["*contract on team_models.Net needs an instance*"])
    report = load(pytester)
    for test_id in ("infra.2", "monitor.5", "monitor.6"):
        sources = [
            a["source"]
            for a in entry(report, test_id)["automated"]
            if a["status"] != "not_automated"
        ]
        assert sources == ["check:mltestscore.pytest_plugin.session.contract[team_models.predict]"]
        assert entry(report, test_id)["status"] == status
