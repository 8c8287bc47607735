"""Plugin tests run pytest in-process (``pytester.runpytest``).

pytester forgets the modules an inner run imported; torch cannot be imported twice in
one process (the second import crashes in native code), and a scored run may import it
(monitor.1's environment fingerprint). Importing it once here keeps it loaded.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("torch") is not None:
    import torch  # noqa: F401
