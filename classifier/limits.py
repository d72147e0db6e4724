"""Size limits that keep one hostile job from taking a worker down.

Each limit can be set from the environment, so operators tune them without code changes.
"""

import os
from dataclasses import dataclass

from classifier.errors import SettingError


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise SettingError(f"{name}={value!r}: expected a whole number of at least 1")
    return number


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10_000_000  # one job's text/html/paragraphs, in UTF-8 bytes
    max_paragraphs: int = 50_000
    max_paragraph_chars: int = 200_000

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(
            max_bytes=_env_int("PARASIFT_MAX_BYTES", cls.max_bytes),
            max_paragraphs=_env_int("PARASIFT_MAX_PARAGRAPHS", cls.max_paragraphs),
            max_paragraph_chars=_env_int("PARASIFT_MAX_PARAGRAPH_CHARS", cls.max_paragraph_chars),
        )
