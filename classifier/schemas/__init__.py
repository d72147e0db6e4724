"""JSON Schemas of the job and result messages, for producers and consumers in any language."""

import json
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent


def load_schema(name: str) -> dict[str, Any]:
    """``load_schema("job")`` or ``load_schema("result")``."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
