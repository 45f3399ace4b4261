"""The input contract: field specs, cell parsing and the canonical frame.

Every field may be empty, and empty means *unknown* (NaN / NaT / None), never zero.
A cell that cannot be parsed is reported by field and treated as unknown; it is never
coerced silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # text, integer, number, money, bool, date
    unit: str
    label_zh: str
    used_by: str
    definition: str
    extension: bool  # True for fields this project adds beside the shared contract


def _load_specs() -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    for filename, extension in (("firm_fields.csv", False), ("extension_fields.csv", True)):
        with open(_HERE / filename, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                name = row.pop("field")
                specs[name] = FieldSpec(name=name, extension=extension, **row)
    return specs


FIELDS: dict[str, FieldSpec] = _load_specs()
NUMERIC_TYPES = {"integer", "number", "money"}

# What a field means where people go wrong (decision-reference.md §4), in Chinese: the form's
# help text, the template's notes and field sheet, and the API schema's descriptions all read
# this one table.
_RD_SCOPE = (
    "研发费用有三种口径，请按所评梯度填写、不要混用：税前加计扣除口径（财税〔2015〕119号，"
    "科技型中小企业）；高新技术企业口径（国科发火〔2016〕195号，8类费用）；会计审计口径"
    "（专精特新、小巨人）"
)
DEFINITIONS_ZH: dict[str, str] = {
    "employees": (
        "按月平均人数：每月（月初人数+月末人数）÷2，再取12个月平均；全职、兼职、临时聘用人员均计入"
    ),
    "tech_staff": (
        "直接从事研发和相关技术创新活动，以及专门从事其管理和直接服务的人员，不要求学历；"
        "高企口径须在当年累计实际工作满183个自然日，科技型中小企业口径为累计工作满6个月，"
        "两种口径人数可能不同"
    ),
    "rd_expense_y0": _RD_SCOPE,
    "rd_expense_y1": _RD_SCOPE,
    "rd_expense_y2": _RD_SCOPE,
    "high_tech_income_y0": (
        "核心技术属于《国家重点支持的高新技术领域》的产品（服务）收入，加上与之相关的技术转让、"
        "技术服务、技术开发收入"
    ),
    "total_income_y0": "总收入 = 收入总额 − 不征税收入（企业所得税口径），不是营业收入",
    "srdi_dev_score": (
        "由优质中小企业梯度培育平台（zjtx.miit.gov.cn）自动计算，约9项指标与全省同行业平均值比较，"
        "企业无法自行算出；请登录平台读取，未填写时结果为“需人工审核”"
    ),
    "srdi_dev_score_prev": "上年度平台得分；复核时近两年任一年度达到门槛即可",
    "credit_rating_score": "第三方机构出具的企业信用评价得分（山东省瞪羚企业要求不低于75分）",
    "is_listed": "在沪深北交易所或境外上市；新三板挂牌、区域性股权市场挂牌不算上市",
    "niche_market_rank_cn": (
        "主导产品在国内细分市场的排名（1为第一）；2026年小巨人标准为占有率≥10%或国内前三"
    ),
    "ip_class1_newest_grant_year": "用于提示申报当年授权的知识产权（可计入，但评审中不提倡）",
    "ip_class2_used_before": "Ⅱ类知识产权只能在一次高企认定中使用",
    "ip_rightholder_top3": "2026年专精特新、小巨人标准要求企业位列Ⅰ类知识产权权利人前三名",
}

# Enumerations: canonical value -> accepted spellings (Chinese labels included).
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "high_tech_field": {
        "electronic_information": ("电子信息",),
        "biomedicine": ("生物与新医药", "生物医药"),
        "aerospace": ("航空航天",),
        "new_materials": ("新材料",),
        "high_tech_services": ("高技术服务",),
        "new_energy": ("新能源与节能", "新能源"),
        "resources_environment": ("资源与环境",),
        "advanced_manufacturing": ("先进制造与自动化", "先进制造"),
        "none": ("无", "不属于"),
    },
    "ip_acquisition": {
        "self_developed": ("自主研发", "自主"),
        "mixed": ("混合", "自主研发与受让", "部分受让"),
        "acquired": ("受让", "受赠", "并购", "受让受赠并购", "仅受让"),
    },
    "rd_institution_level": {
        "none": ("无",),
        "own": ("自建", "自建或联合", "企业自建", "联合"),
        "municipal": ("市级",),
        "provincial": ("省级", "省部级"),
        "national": ("国家级",),
    },
}
_ENUM_LOOKUP = {
    field: {
        alias.lower(): canon for canon, aliases in values.items() for alias in (canon, *aliases)
    }
    for field, values in ENUMS.items()
}

_TRUE = {"true", "1", "1.0", "是", "y", "yes", "t", "有", "√"}
_FALSE = {"false", "0", "0.0", "否", "n", "no", "f", "无", "×"}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－＋％", "0123456789.,-+%")
_BLANK = re.compile(r"^\s*$")

# GB 32100-2015 unified social credit code: 31-character alphabet and position weights.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_CREDIT_INDEX = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(_CREDIT_ALPHABET):
    _CREDIT_INDEX[ord(_c)] = _i


@dataclass(frozen=True)
class CellError:
    """A cell that was ignored (treated as unknown) or a row-level problem."""

    row: int  # position in the input, 0-based
    field: str
    value: str
    zh: str
    en: str
    severity: str = "error"  # "error": the cell is ignored; "warning": kept, but looks wrong

    def text_zh(self) -> str:
        label = FIELDS[self.field].label_zh if self.field in FIELDS else self.field
        return f"{label}({self.field}): {self.zh}" + (f"「{self.value}」" if self.value else "")


def value_range(name: str) -> tuple[float, float]:
    """The plausible range of a numeric field (outside it a cell is ignored as unknown)."""
    return _LIMITS.get(name, (-np.inf if name in _SIGNED else 0.0, np.inf))


def refusal_zh(name: str, parser_zh: str) -> str:
    """A parser's message for a value that refuses a firm (API and form: nothing is scored,
    so nothing is "treated as unknown"), in the contract's units (yuan, ratios 0–1)."""
    if "超出合理范围" in parser_zh:
        low, high = value_range(name)
        if low == 0 and high == np.inf:
            return "不能为负数"
        return f"应不小于{low:g}" if high == np.inf else f"应在{low:g}–{high:g}之间"
    return parser_zh.replace("，按未知处理", "").replace("按未知处理", "")


def credit_code_valid(codes: pd.Series) -> np.ndarray:
    """Vectorised GB 32100-2015 check: 18 characters and a matching check character."""
    text = codes.astype("string").str.strip().str.upper().fillna("")
    ok = text.str.len().to_numpy() == 18
    result = np.zeros(len(text), dtype=bool)
    if not ok.any():
        return result
    raw = np.frombuffer("".join(text[ok].tolist()).encode("ascii", "replace"), dtype=np.uint8)
    idx = _CREDIT_INDEX[raw].reshape(-1, 18)
    valid_chars = (idx >= 0).all(axis=1)
    check = (31 - (idx[:, :17] * _CREDIT_WEIGHTS).sum(axis=1) % 31) % 31
    result[np.flatnonzero(ok)] = valid_chars & (check == idx[:, 17])
    return result


def _per_unique(values: pd.Series, parse, blank_value) -> tuple[np.ndarray, np.ndarray]:
    """Parse each distinct text cell once (spreadsheets repeat values a lot), then spread.

    ``parse`` takes a Series of distinct non-null cells as strings and returns
    (parsed values, failed mask) for them.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(pd.array(np.asarray(uniques, dtype=object).astype(str), dtype="string"))
    text = text.str.strip()  # every parser wants stripped text
    blank = (text == "").to_numpy(dtype=bool)
    parsed, failed = parse(text)
    parsed = np.asarray(parsed)
    missing = np.array([blank_value], dtype=parsed.dtype if parsed.dtype != object else object)
    table = np.concatenate([np.where(blank, missing[0], parsed).astype(parsed.dtype), missing])
    fail_table = np.concatenate([failed & ~blank, [False]])
    return table[codes], fail_table[codes]


def _numbers(text: pd.Series, percent_ok: bool = True) -> tuple[np.ndarray, np.ndarray]:
    text = text.str.translate(_FULLWIDTH).str.strip().str.replace(r"[,\s¥￥元]", "", regex=True)
    percent = text.str.endswith("%").to_numpy(dtype=bool)
    out = pd.to_numeric(text.str.rstrip("%"), errors="coerce").to_numpy(dtype=float)
    out = np.where(percent, out / 100.0 if percent_ok else np.nan, out)
    failed = ~np.isfinite(out)  # text and "inf" alike
    return np.where(failed, np.nan, out), failed


def _parse_numeric(values: pd.Series, percent_ok: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Returns (numbers with NaN for blanks and failures, mask of failed non-blank cells).

    A percent ("5%") is a number only where ``percent_ok`` (share fields): "5%" of revenue is
    not 0.05 yuan. A yes/no cell (a Parquet or JSON boolean) is never a number."""
    if values.dtype.kind == "b":
        return np.full(len(values), np.nan), values.notna().to_numpy(dtype=bool)
    if values.dtype.kind in "fiu":
        out = values.to_numpy(dtype=float, copy=True)
        failed = np.isinf(out)
        out[failed] = np.nan
        return out, failed
    parse = functools.partial(_numbers, percent_ok=percent_ok)
    if values.dtype == object or values.dtype.kind == "O":
        # spreadsheet readers give numbers as numbers: only the text cells need parsing
        is_text = np.fromiter((isinstance(v, str) for v in values), bool, len(values))
        if not is_text.all():
            out = np.full(len(values), np.nan)
            failed = np.zeros(len(values), dtype=bool)
            other = ~is_text
            is_bool = np.fromiter((isinstance(v, bool | np.bool_) for v in values), bool)
            numeric = other & ~is_bool
            out[numeric] = pd.to_numeric(values[numeric], errors="coerce")
            failed[numeric] = values[numeric].notna().to_numpy() & np.isnan(out[numeric])
            failed[is_bool] = True
            if is_text.any():
                out[is_text], failed[is_text] = _per_unique(values[is_text], parse, np.nan)
            bad = np.isinf(out)
            out[bad], failed = np.nan, failed | bad
            return out, failed
    return _per_unique(values, parse, np.nan)


def _bools(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    key = text.str.strip().str.lower()
    out = np.where(key.isin(_TRUE), 1.0, np.where(key.isin(_FALSE), 0.0, np.nan))
    return out, np.isnan(out)


def _parse_bool(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if values.dtype.kind in "fiub":
        out = values.to_numpy(dtype=float, copy=True)
        failed = ~np.isnan(out) & ~np.isin(out, (0.0, 1.0))
        out[failed] = np.nan
        return out, failed
    return _per_unique(values, _bools, np.nan)


# Excel serial days (since 1899-12-30) taken as dates: 1927-05-18 … 2119-01-09. Smaller
# numbers are not dates a firm has: a year alone ("2020") would be day 2020, i.e. 1905.
SERIAL_DAYS = (10_000, 80_000)


def _dates(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    text = text.str.strip()
    # a date cell read as text by a reader ("2020-03-05 00:00:00"): the time part is midnight
    text = text.str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[ T]00:00(:00)?(\.0+)?$", r"\1", regex=True)
    text = text.str.replace(r"[./年月]", "-", regex=True).str.replace("日", "")
    out = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")
    serial = pd.to_numeric(text, errors="coerce")
    is_serial = out.isna() & serial.between(*SERIAL_DAYS)
    if is_serial.any():
        out = out.where(~is_serial, pd.Timestamp("1899-12-30") + pd.to_timedelta(serial, unit="D"))
    out = out.to_numpy(dtype="datetime64[ns]")
    return out, np.isnat(out)


def _parse_date(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if values.dtype.kind == "M":
        out = values.to_numpy(dtype="datetime64[ns]")
        return out, np.zeros(len(out), dtype=bool)
    if values.dtype == object:
        # a column mixing date cells and text: a date cell is a date whatever else is there
        is_date = np.fromiter(
            (isinstance(v, dt.date | np.datetime64) for v in values), bool, len(values)
        )
        if is_date.any():
            out = np.full(len(values), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
            failed = np.zeros(len(values), dtype=bool)
            out[is_date] = pd.to_datetime(values[is_date]).to_numpy(dtype="datetime64[ns]")
            if (~is_date).any():
                rest = values[~is_date]
                out[~is_date], failed[~is_date] = _per_unique(
                    rest, _dates, np.datetime64("NaT", "ns")
                )
            return out, failed
    return _per_unique(values, _dates, np.datetime64("NaT", "ns"))


def _year_only(raw: pd.Series, failed: np.ndarray) -> np.ndarray:
    """Failed date cells that hold a year alone (2020, "2020年"): named in their message."""
    out = np.zeros(len(failed), dtype=bool)
    if failed.any():
        text = raw[failed].astype("string").str.strip().str.replace(r"\.0$|年$", "", regex=True)
        out[failed] = text.str.fullmatch(r"(19|20)\d\d").fillna(False).to_numpy(dtype=bool)
    return out


def _parse_text(values: pd.Series) -> np.ndarray:
    """Text as given; a whole number in a code column (Excel stores a typed 440112 as the
    number 440112.0) is the code's digits, never "440112.0"."""
    if values.dtype.kind in "fiu" or values.dtype == object:
        values = values.map(_integral_text, na_action="ignore")
    out, _ = _per_unique(values, lambda t: (t.to_numpy(dtype=object), np.zeros(len(t), bool)), None)
    return out


def _integral_text(value):
    if isinstance(value, float | np.floating) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return str(int(value))
    return value


def _parse_enum(field: str, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    lookup = _ENUM_LOOKUP[field]

    def parse(text: pd.Series):
        out = text.str.strip().str.lower().map(lookup).to_numpy(dtype=object)
        out = np.where(pd.isna(out), None, out)
        return out, pd.isna(out)

    return _per_unique(values, parse, None)


_LIMITS: dict[str, tuple[float, float]] = {
    # field: (minimum, maximum) of a plausible value; outside is an invalid cell
    "digital_level": (1, 4),
    "hte_advancement": (0, 8),
    "hte_core_support": (0, 8),
    "niche_market_share": (0, 1),
    "srdi_local_points": (0, 15),
    "srdi_dev_score": (0, 100),
    "srdi_dev_score_prev": (0, 100),
    "credit_rating_score": (0, 100),
    "niche_market_rank_cn": (1, 100_000),
    "ip_class1_newest_grant_year": (1985, 2100),
    "fiscal_year": (1990, 2100),
}
# Money fields that can legitimately be negative (profits, net assets).
_SIGNED = (
    {"net_profit_y0", "net_profit_y1", "net_profit_y2", "net_profit_y3"}
    | {"taxable_income_y0"}
    | {f"net_assets_y{k}" for k in range(3)}
)


@dataclass
class CanonicalFrame:
    """Firms as typed columns (one numpy array per contract field) plus the problems found."""

    columns: dict[str, np.ndarray]
    errors: list[CellError]
    n: int

    def num(self, field: str) -> np.ndarray:
        return self.columns[field]

    def text(self, field: str) -> np.ndarray:
        return self.columns[field]

    def isnull(self, field: str, rows: np.ndarray | None = None) -> np.ndarray:
        col = self.columns[field] if rows is None else self.columns[field][rows]
        if col.dtype.kind == "f":
            return np.isnan(col)
        if col.dtype.kind == "M":
            return np.isnat(col)
        return pd.isna(col)

    def take(self, rows: np.ndarray) -> CanonicalFrame:
        return CanonicalFrame({k: v[rows] for k, v in self.columns.items()}, [], len(rows))

    def replace(self, **columns: np.ndarray) -> CanonicalFrame:
        return CanonicalFrame({**self.columns, **columns}, self.errors, self.n)


def _error_rows(mask: np.ndarray, field: str, raw: pd.Series, zh: str, en: str, sev="error"):
    for i in np.flatnonzero(mask):
        value = raw.iloc[i]
        yield CellError(int(i), field, "" if pd.isna(value) else str(value), zh, en, sev)


def canonicalize(data: pd.DataFrame, scale: dict[str, float] | None = None) -> CanonicalFrame:
    """Parse a DataFrame whose columns use canonical field names into a CanonicalFrame.

    Missing columns are all-unknown. Columns that are not contract fields are ignored here
    (the batch layer passes them through). ``scale`` multiplies parsed numbers of a field, for
    sheets whose header states a unit (``营业收入(万元)`` → 10,000).
    """
    scale = scale or {}
    n = len(data)
    data = data.reset_index(drop=True)
    columns: dict[str, np.ndarray] = {}
    errors: list[CellError] = []
    for name, spec in FIELDS.items():
        if name not in data.columns:
            if spec.type in NUMERIC_TYPES or spec.type == "bool":
                columns[name] = np.full(n, np.nan)
            elif spec.type == "date":
                columns[name] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
            else:
                columns[name] = np.full(n, None, dtype=object)
            continue
        raw = data[name]
        if spec.type in NUMERIC_TYPES:
            values, failed = _parse_numeric(raw, percent_ok=spec.unit == "ratio")
            if name in scale:
                values = values * scale[name]
            if spec.unit != "ratio" and failed.any():  # only the failed cells are looked at
                pct = np.zeros(len(failed), dtype=bool)
                text = raw[failed].astype("string").str.strip()
                pct[failed] = text.str.endswith(("%", "％")).fillna(False).to_numpy(dtype=bool)
                errors += _error_rows(
                    pct, name, raw, "此项不是比例，不能填百分数，按未知处理", "not a share: no %"
                )
                failed = failed & ~pct
            errors += _error_rows(failed, name, raw, "不是有效数字，按未知处理", "not a number")
            low, high = value_range(name)
            bad = ~np.isnan(values) & ((values < low) | (values > high))
            if bad.any():
                errors += _error_rows(
                    bad,
                    name,
                    raw,
                    f"数值超出合理范围[{low:g}, {high:g}]，按未知处理",
                    f"outside the valid range [{low:g}, {high:g}]",
                )
                values = np.where(bad, np.nan, values)
            if spec.type == "integer":
                frac = ~np.isnan(values) & (values != np.floor(values))
                if frac.any():
                    errors += _error_rows(
                        frac, name, raw, "应为整数，按未知处理", "not a whole number"
                    )
                    values = np.where(frac, np.nan, values)
        elif spec.type == "bool":
            values, failed = _parse_bool(raw)
            errors += _error_rows(failed, name, raw, "应为是/否，按未知处理", "not a yes/no value")
        elif spec.type == "date":
            values, failed = _parse_date(raw)
            year = _year_only(raw, failed)
            errors += _error_rows(
                year, name, raw, "只有年份，请填写完整日期（年-月-日），按未知处理", "a year alone"
            )
            errors += _error_rows(
                failed & ~year, name, raw, "不是有效日期，按未知处理", "not a date"
            )
            future = ~failed & (values > np.datetime64(dt.date.today(), "D"))
            errors += _error_rows(
                future, name, raw, "日期晚于今天，请核对", "a date after today", "warning"
            )
        elif name in ENUMS:
            values, failed = _parse_enum(name, raw)
            allowed = "/".join(ENUMS[name])
            errors += _error_rows(
                failed,
                name,
                raw,
                f"取值无效（可选：{allowed}），按未知处理",
                f"not one of {allowed}",
            )
        else:
            values = _parse_text(raw)
        columns[name] = values
    frame = CanonicalFrame(columns, errors, n)
    _cross_checks(frame, data)
    return frame


def _cross_checks(frame: CanonicalFrame, data: pd.DataFrame) -> None:
    """Checks that involve more than one field; they blank the implausible cell."""
    cols, errors = frame.columns, frame.errors
    codes = cols["credit_code"]
    present = ~pd.isna(codes)
    if present.any():
        valid = credit_code_valid(pd.Series(codes))
        bad = present & ~valid
        for i in np.flatnonzero(bad):
            errors.append(
                CellError(
                    int(i),
                    "credit_code",
                    str(codes[i]),
                    "统一社会信用代码校验失败（GB 32100-2015），按未知处理",
                    "fails the GB 32100-2015 check character",
                )
            )
        cols["credit_code"] = np.where(bad, None, codes)
    region = cols["region_code"]
    present = ~pd.isna(region)
    if present.any():
        ok = pd.Series(region).astype("string").str.fullmatch(r"\d{6}").fillna(False).to_numpy()
        bad = present & ~ok
        for i in np.flatnonzero(bad):
            errors.append(
                CellError(
                    int(i), "region_code", str(region[i]), "应为6位行政区划代码", "not 6 digits"
                )
            )
        cols["region_code"] = np.where(bad, None, region)
    for field in ("tech_staff", "rd_staff"):
        over = cols[field] > cols["employees"]
        for i in np.flatnonzero(over):
            errors.append(
                CellError(
                    int(i),
                    field,
                    f"{cols[field][i]:g}",
                    f"大于职工总数（{cols['employees'][i]:g}），按未知处理",
                    "greater than total employees",
                )
            )
        cols[field] = np.where(over, np.nan, cols[field])
    ip1, main1 = cols["ip_class1"], cols["ip_class1_main_product"]
    over = main1 > ip1
    for i in np.flatnonzero(over):
        errors.append(
            CellError(
                int(i),
                "ip_class1_main_product",
                f"{main1[i]:g}",
                f"大于Ⅰ类知识产权总数（{ip1[i]:g}），按未知处理",
                "greater than ip_class1",
            )
        )
    cols["ip_class1_main_product"] = np.where(over, np.nan, main1)
    for k in range(3):
        rd, rev = cols[f"rd_expense_y{k}"], cols[f"revenue_y{k}"]
        odd = rd > 10 * rev
        for i in np.flatnonzero(odd):
            errors.append(
                CellError(
                    int(i),
                    f"rd_expense_y{k}",
                    f"{rd[i]:g}",
                    "研发费用超过营业收入的10倍，请核对单位",
                    "R&D expense exceeds 10 × revenue; check the unit",
                    severity="warning",
                )
            )
