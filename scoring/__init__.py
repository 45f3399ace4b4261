"""tiering's domain core: China's tiered technology-enterprise ladders as data and vector rules.

Public API::

    scoring.assess(firm)        -> Assessment      one firm, with trace, gaps and path
    scoring.assess_frame(df)    -> DataFrame       many firms, the batch output contract
    scoring.what_if(firm, changes, overrides) -> WhatIf
    scoring.Options(...)        the options of a question (as_of, mode, overrides, readiness)

Names are loaded on first use (PEP 562), so ``import scoring.readiness`` or
``scoring.vocabulary`` does not pull in the whole pipeline.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "LADDERS": "scoring.vocabulary",
    "OUTPUT_COLUMNS": "scoring.frames",
    "Assessment": "scoring.models",
    "Firm": "scoring.models",
    "InputError": "scoring.api",
    "Options": "scoring.options",
    "RuleFileError": "scoring.rulesets",
    "WhatIf": "scoring.api",
    "assess": "scoring.api",
    "assess_frame": "scoring.api",
    "assess_many": "scoring.api",
    "what_if": "scoring.api",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scoring' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
