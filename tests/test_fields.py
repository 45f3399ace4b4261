"""Input parsing and validation: unknown is never zero, and bad cells are reported by field."""

import numpy as np
import pandas as pd
import pytest

from scoring.fields import FIELDS, canonicalize, credit_code_valid
from tests.conftest import ROOT

VALID_CODE = "91350100M000100Y43"  # a widely published example code with a valid check character


def test_credit_code_check_character():
    codes = pd.Series(
        [VALID_CODE, VALID_CODE[:-1] + "4", "91350100M000100Y4", None, "9135010OM000100Y43"]
    )
    assert credit_code_valid(codes).tolist() == [True, False, False, False, False]


def test_credit_code_lowercase_and_spaces_accepted():
    assert credit_code_valid(pd.Series([f"  {VALID_CODE.lower()} "])).tolist() == [True]


def test_invalid_credit_code_is_reported_and_ignored():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "credit_code": ["91350100M000100Y44"]}))
    assert frame.text("credit_code")[0] is None
    assert [(e.field, e.value) for e in frame.errors] == [("credit_code", "91350100M000100Y44")]


def test_empty_cells_are_unknown_not_zero():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "employees": [""], "is_high_tech": [""]}))
    assert np.isnan(frame.num("employees")[0])
    assert np.isnan(frame.num("is_high_tech")[0])
    assert frame.errors == []


def test_missing_columns_are_unknown():
    frame = canonicalize(pd.DataFrame({"name": ["甲"]}))
    assert np.isnan(frame.num("revenue_y0")[0])
    assert frame.text("ip_acquisition")[0] is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1,234.5", 1234.5), ("１２３４", 1234.0), (" 88 ", 88.0), ("¥1000", 1000.0), (12.5, 12.5)],
)
def test_number_cells(cell, expected):
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "revenue_y0": [cell]}))
    assert frame.num("revenue_y0")[0] == expected
    assert frame.errors == []


def test_percent_cell_for_a_ratio():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "niche_market_share": ["12.5%"]}))
    assert frame.num("niche_market_share")[0] == pytest.approx(0.125)


@pytest.mark.parametrize("cell", ["七百万", "12a", "n/a", "inf"])
def test_text_in_a_number_column_is_an_error_not_zero(cell):
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "revenue_y0": [cell]}))
    assert np.isnan(frame.num("revenue_y0")[0])
    assert [e.field for e in frame.errors] == ["revenue_y0"]
    assert "不是有效数字" in frame.errors[0].zh


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("是", 1.0), ("否", 0.0), ("Y", 1.0), ("n", 0.0), ("true", 1.0), ("0", 0.0), (True, 1.0)],
)
def test_bool_cells(cell, expected):
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "is_high_tech": [cell]}))
    assert frame.num("is_high_tech")[0] == expected


def test_bad_bool_is_reported():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "is_high_tech": ["也许"]}))
    assert np.isnan(frame.num("is_high_tech")[0])
    assert frame.errors[0].field == "is_high_tech"


@pytest.mark.parametrize("cell", ["2020-03-15", "2020/03/15", "2020年3月15日", "43905"])
def test_date_cells(cell):
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "registered_on": [cell]}))
    assert str(frame.columns["registered_on"][0])[:10] == "2020-03-15"
    assert frame.errors == []


def test_bad_date_is_reported():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "registered_on": ["2020-13-45"]}))
    assert np.isnat(frame.columns["registered_on"][0])
    assert frame.errors[0].field == "registered_on"


@pytest.mark.parametrize(
    ("cell", "canon"),
    [("省级", "provincial"), ("国家级", "national"), ("provincial", "provincial"), ("无", "none")],
)
def test_enum_cells_accept_chinese_labels(cell, canon):
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "rd_institution_level": [cell]}))
    assert frame.text("rd_institution_level")[0] == canon


def test_bad_enum_is_reported():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "high_tech_field": ["区块链"]}))
    assert frame.text("high_tech_field")[0] is None
    assert frame.errors[0].field == "high_tech_field"


def test_negative_staff_is_invalid():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "employees": [-3]}))
    assert np.isnan(frame.num("employees")[0])
    assert frame.errors[0].field == "employees"


def test_negative_profit_is_valid():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "net_profit_y0": [-500000]}))
    assert frame.num("net_profit_y0")[0] == -500000
    assert frame.errors == []


def test_fractional_headcount_is_invalid():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "employees": [10.5]}))
    assert np.isnan(frame.num("employees")[0])


def test_tech_staff_above_employees_is_invalid():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "employees": [10], "tech_staff": [12]}))
    assert np.isnan(frame.num("tech_staff")[0])
    assert frame.num("employees")[0] == 10
    assert frame.errors[0].field == "tech_staff"


def test_rd_above_ten_times_revenue_is_a_warning_that_keeps_the_value():
    frame = canonicalize(
        pd.DataFrame({"name": ["甲"], "revenue_y0": [100], "rd_expense_y0": [1001]})
    )
    assert frame.num("rd_expense_y0")[0] == 1001
    assert [(e.field, e.severity) for e in frame.errors] == [("rd_expense_y0", "warning")]


def test_self_rated_points_out_of_range():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "hte_advancement": [9]}))
    assert np.isnan(frame.num("hte_advancement")[0])


def test_region_code_must_be_six_digits():
    frame = canonicalize(pd.DataFrame({"name": ["甲"], "region_code": ["4401"]}))
    assert frame.text("region_code")[0] is None
    assert frame.errors[0].field == "region_code"


def test_every_contract_field_is_known():
    shared = ROOT.parent / "shared" / "contract" / "firm-fields.csv"
    packaged = ROOT / "scoring" / "firm_fields.csv"
    if shared.exists():
        assert packaged.read_bytes() == shared.read_bytes(), "refresh scoring/firm_fields.csv"
    contract = pd.read_csv(packaged)
    assert set(contract["field"]) <= set(FIELDS)
    extensions = {name for name, spec in FIELDS.items() if spec.extension}
    assert not extensions & set(contract["field"]), "an extension field now belongs to the contract"


def test_typed_columns_from_a_dataframe_are_accepted_and_checked():
    df = pd.DataFrame(
        {
            "name": ["甲", "乙"],
            "is_high_tech": [1.0, 2.0],
            "employees": [10, 20],
            "registered_on": pd.to_datetime(["2020-01-01", None]),
        }
    )
    frame = canonicalize(df)
    assert frame.num("is_high_tech")[0] == 1.0
    assert np.isnan(frame.num("is_high_tech")[1])
    assert [(e.row, e.field) for e in frame.errors] == [(1, "is_high_tech")]
    assert frame.num("employees").tolist() == [10.0, 20.0]
