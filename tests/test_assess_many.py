"""Many firms in one pass give each firm exactly what assessing it alone gives."""

import json

import pandas as pd

from scoring.api import InputError, assess, assess_many
from scoring.models import Firm
from tests.conftest import ROOT, TODAY


def test_assess_many_equals_assess_one_by_one():
    samples = pd.read_csv(ROOT / "data" / "sample_firms.csv", dtype=str, keep_default_na=False)
    firms = [{k: v for k, v in row.items() if v != ""} for row in samples.to_dict("records")]
    typed = Firm.model_validate(json.loads((ROOT / "data" / "example_firm.json").read_text()))
    firms += [typed, {"employees": 3}]  # a typed firm, and one without a name
    together = assess_many(firms, today=TODAY)
    assert isinstance(together[-1], InputError)
    for firm, result in zip(firms[:-1], together[:-1], strict=True):
        if isinstance(result, InputError):
            continue
        alone = assess(firm, today=TODAY)
        assert result.model_dump() == alone.model_dump(), result.name
    assert sum(not isinstance(r, InputError) for r in together) == len(firms) - 2
