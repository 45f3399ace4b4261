"""The options of one scoring question, carried as one value from every entry point (CLI flags,
API query, form fields, a stored job) through every layer (engine, readiness, batch, reports).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODES = ("new", "review")


@dataclass(frozen=True)
class Options:
    """``as_of``: the date the firm is judged at (default: 1 July after ``fiscal_year``);
    ``mode``: a new application or a re-review (复核); ``overrides``: changed thresholds
    (``{"high_tech.rd_ratio.bands[0].min": 0.06}``); ``today``: the clock, for firms without a
    fiscal year; ``readiness``: a model bundle, ``"current"`` or None (rules only);
    ``actions``: the readiness actions' second scoring pass; ``criteria``: another folder
    of rule files (a draft notice tried out before it is published)."""

    as_of: dt.date | None = None
    mode: str = "new"
    overrides: Mapping[str, Any] | None = None
    today: dt.date | None = None
    readiness: Any = "current"
    actions: bool = True
    criteria: Path | None = None  # the rule files' folder (default: the shipped criteria/)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError("mode must be 'new' or 'review'")

    @classmethod
    def of(cls, options: Options | None = None, **changes) -> Options:
        """``options`` (or the defaults) with the keyword ``changes``: how every entry point
        takes its options, so a misspelt one is an error rather than ignored."""
        base = options or DEFAULT
        return dataclasses.replace(base, **changes) if changes else base

    def replace(self, **changes) -> Options:
        return dataclasses.replace(self, **changes)

    @functools.cached_property  # built once per options value (a frozen dataclass allows it)
    def rulesets(self):
        """The rule sets these options score with (None: the files as they are)."""
        if not self.overrides and self.criteria is None:
            return None
        from scoring.rulesets import CRITERIA_DIR, load_all, with_overrides

        directory = Path(self.criteria) if self.criteria is not None else CRITERIA_DIR
        if not self.overrides:
            return load_all(directory)
        return with_overrides(dict(self.overrides), directory)

    def to_json(self) -> dict[str, Any]:
        """What a stored job or assessment keeps (the model is named by its version instead)."""
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "mode": self.mode,
            "overrides": dict(self.overrides) if self.overrides else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None, **changes) -> Options:
        data = data or {}
        as_of = data.get("as_of")
        return cls.of(
            as_of=dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of,
            mode=data.get("mode") or "new",
            overrides=data.get("overrides") or None,
            **changes,
        )


DEFAULT = Options()
