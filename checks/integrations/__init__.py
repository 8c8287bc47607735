"""Adapters from the tools teams already use to the inputs the built-in checks take.

One module per tool, each importing its tool only when called (the extras
``lightning``, ``mlflow`` and ``sklearn-onnx``):

- :mod:`.sklearn_onnx` and :mod:`.sklearn_serve`: infra.6 for scikit-learn (export with
  skl2onnx, canary in a separate onnxruntime process);
- :mod:`.sklearn_spec`: infra.2 for scikit-learn (the estimator's spec test);
- :mod:`.mlflow_store`: the MLflow model registry as a ``model_store`` (aliases for
  serving and candidate, promote and rollback through aliases), reading versions through
  the codecs of :mod:`.mlflow_codecs` (safetensors weights; MLflow's pickling flavours
  only when trusted explicitly); :mod:`.mlflow_registry`: the tracking URI, aliases, tags
  and artifact paths it writes and reads back;
- :mod:`.mlflow_runs`: MLflow runs as evidence (model.1's spec params, model.2's metric
  history, model.3's sweep) and :func:`.mlflow_runs.log_to_mlflow` (the score back to a run);
- :mod:`.lightning_step`: the smoke suite through a ``LightningModule``'s own
  ``training_step`` and ``configure_optimizers``; :mod:`.lightning_adapter`: ``train_fn``,
  the infra.3 pipeline, batches and evaluation data from it and its
  ``LightningDataModule``; :mod:`.lightning_smoke`: ``smoke.run(module)`` alone;
  :mod:`.lightning_fixtures` defines the ``ml_*`` fixtures from them in a team's
  ``conftest.py``.

Nothing here imports pytest (the fixture helper is handed ``pytest.fixture``); the
checks import these modules lazily, inside the check that needs them.
"""
