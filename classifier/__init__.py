"""parasift's classifier: label every paragraph of an article as body, appeal or cruft."""

from classifier.errors import InvalidInput
from classifier.jobs import LABELS
from classifier.labeling import classify, classify_many
from classifier.store import ParasiftModel, default_model, load_model

__all__ = ["LABELS", "InvalidInput", "ParasiftModel", "classify", "classify_many",
           "default_model", "load_model"]
