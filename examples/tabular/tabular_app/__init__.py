"""A small breast-cancer triage model: the tabular example scored with ``pytest --ml-score``.

Modules: :mod:`.data` (the intake table), :mod:`.features` (engineered features),
:mod:`.schema` (the pandera contract of the intake table), :mod:`.config` and
:mod:`.model` (the model spec), :mod:`.metrics` (the clinical metric),
:mod:`.pipeline` (train/evaluate), :mod:`.sweep` (hyperparameter sweep) and
:mod:`.store` (a versioned JSON model store).
"""
