"""Report renderers: pure functions of a run's result."""
