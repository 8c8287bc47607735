"""The neutral input layer: what a team hands over, normalized once for every check.

Every check reads arrays, tables, predictions, labels, slices and times through these
modules, so an input that works for one check works for all. They import only numpy and
pandas at import time (torch, pyarrow and polars inside the functions that need them) and
never import :mod:`mltestscore.checks`.

``arrays`` — tensors, frames and lists as numpy; comparing outputs; evidence values.
    ``to_numpy(value, what)`` (detach, cpu, bfloat16/float16 → float32), ``is_tensor``,
    ``is_torch_module``, ``is_sklearn_estimator``, ``first_output``,
    ``compare_outputs(a, b, atol=, rtol=) -> OutputDiff``, ``content_id``, ``describe``,
    ``json_number``, ``rounded``.
``tables`` — files and ``(X, y)``.
    ``read_table(path, what)`` (CSV, TSV, Parquet, JSON, JSONL/NDJSON),
    ``as_frame(data, what, required=())`` (DataFrame, path, columns mapping, records,
    polars), ``split_features(data, target, what, limit=) -> (X, y)`` (DataFrame + target,
    ``(X, y)``, torch ``Dataset``, path), ``split_with_frame(...) -> (X, y, frame)`` (the
    frame slice predicates see), ``tabular(data, target, what) -> Tabular`` (rows ×
    features, raises ``NotTabular``), ``head(data, rows)``, ``row_count(data, what)``.
``predict`` — calling a model.
    ``predict(model, inputs, predict_fn=None, what=)`` (torch: eval + no_grad, device and
    dtype, chunked, train mode restored; ``.predict``; callables), ``predict_labels``,
    ``predict_scores`` (``predict_proba``/``decision_function``/logits),
    ``make_predict(model, predict_fn=None)``, ``to_model_input``, ``model_device_dtype``,
    ``call_model``, ``torch_forward``, ``PredictFn``.
``labels`` — one decision about classes and metrics.
    ``is_classification(y)``, ``as_labels(outputs, y_true=None)``,
    ``labels_and_note(outputs, y_true=None)``, ``default_metric(y, metric=None, model=None)``,
    ``safe_metric(fn, y, pred)``.
``slices`` — ``ml_slices`` in every documented form.
    ``build_slices(frame, slices, n, where) -> list[Slice]``,
    ``slice_masks(frame, slices, n, where) -> [(name, mask)]`` (``None`` → ``[]``),
    ``spec_mask(frame, spec, n, where)``.
``times`` — ``as_utc(value, what)`` (datetime, date, ISO-8601, epoch seconds → aware UTC).
``protocols`` — ``ModelStore``, ``RecordsPredictions``, ``StoreVersion``, ``Predictor``,
    ``ProbabilisticPredictor``, ``SupportsStateDict``, ``TrainFn``, ``ModelLike``.
"""
