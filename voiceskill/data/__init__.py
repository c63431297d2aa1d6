"""Dutch language data files (numbers, units, phrases, replies), loaded once."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..errors import DataFileError


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """Parse the bundled YAML data file ``name`` (without extension)."""
    try:
        text = resources.files(__name__).joinpath(f"{name}.yaml").read_text("utf-8")
        return yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"voiceskill data file {name}.yaml is unreadable: {exc}") from exc
