"""parasift's classifier: label every paragraph of an article as body, appeal or cruft.

The names below load on first use (PEP 562): `parasift submit` and the other service commands
import this package for its command line and errors, and need not wait for scikit-learn.
"""

from importlib import import_module
from typing import Any

from classifier.errors import InvalidInput

_WHERE = {"LABELS": "classifier.jobs", "classify": "classifier.labeling",
          "classify_many": "classifier.labeling", "ParasiftModel": "classifier.store",
          "default_model": "classifier.store", "load_model": "classifier.store"}

__all__ = ["LABELS", "InvalidInput", "ParasiftModel", "classify", "classify_many",
           "default_model", "load_model"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
