"""tiering's domain core: China's tiered technology-enterprise ladders as data and vector rules.

Public API::

    scoring.assess(firm)        -> Assessment      one firm, with trace, gaps and path
    scoring.assess_frame(df)    -> DataFrame       many firms, the batch output contract
    scoring.what_if(firm, changes, overrides) -> WhatIf
"""

from scoring.api import OUTPUT_COLUMNS, InputError, WhatIf, assess, assess_frame, what_if
from scoring.models import Assessment, Firm
from scoring.rulesets import RuleFileError
from scoring.vocabulary import LADDERS

__all__ = [
    "LADDERS",
    "OUTPUT_COLUMNS",
    "Assessment",
    "Firm",
    "InputError",
    "RuleFileError",
    "WhatIf",
    "assess",
    "assess_frame",
    "what_if",
]
