"""Engine fixtures: planted-drift data in every engine, one local Spark session per run.

Spark runs ``local[2]`` bound to 127.0.0.1 only (``SPARK_LOCAL_IP``,
``spark.driver.host``/``bindAddress``), UI off, and is stopped when the test
session ends. Every fixture skips when its extra is not installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from engine_data import make_data

ROWS = 60_000


@pytest.fixture(scope="session")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_data(ROWS)


@pytest.fixture(scope="session")
def parquet_paths(
    frames: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """Reference as one multi-row-group file, current as a folder of files (a dataset)."""
    pytest.importorskip("pyarrow")
    pytest.importorskip("datasketches")
    ref, cur = frames
    root = tmp_path_factory.mktemp("parquet")
    ref.to_parquet(root / "ref.parquet", row_group_size=7_000)
    (root / "cur").mkdir()
    for i, start in enumerate(range(0, len(cur), 20_000)):
        cur.iloc[start : start + 20_000].to_parquet(root / "cur" / f"part-{i}.parquet")
    return root / "ref.parquet", root / "cur"


def _java_available() -> bool:
    return bool(shutil.which("java") or os.environ.get("JAVA_HOME"))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] Spark session bound to 127.0.0.1, stopped at the end of the test session."""
    pytest.importorskip("pyspark")
    if not _java_available():
        pytest.skip("Spark needs a Java runtime (java on PATH or JAVA_HOME)")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("mltestscore-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def spark_frames(spark: Any, parquet_paths: tuple[Path, Path]) -> tuple[Any, Any]:
    ref_path, cur_path = parquet_paths
    return spark.read.parquet(str(ref_path)), spark.read.parquet(str(cur_path))
