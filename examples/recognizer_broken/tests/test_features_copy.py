"""The feature code's unit tests, unchanged from the healthy project (data.7)."""

from test_features import *  # noqa: F403
