"""The digit-line reader: a handwriting recognizer service built on mltestscore's reference model.

Modules: ``model_config`` (the reviewed spec), ``features`` (feature code, training side),
``serving`` (the request handler), ``pipeline`` (data → train → evaluate → export → load →
predict, release), ``history`` (the model store and its releases), ``traffic`` (simulated
production requests), ``evaluation`` / ``analysis`` / ``importance`` (how the team measures
the model), ``baseline`` (the simpler model), ``losses``, ``newfeature``.
"""
