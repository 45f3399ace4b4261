"""Spreadsheet headers → contract fields: canonical names or Chinese labels, with units.

Accepts ``营业收入(y0)``, ``营业收入（y0）（万元）``, `` revenue_y0 ``, ``研发费用(y0)(千元)``:
full-width brackets and spaces are normalised (NFKC), a trailing unit in brackets is split off
and turned into a multiplier to yuan (money) or to a ratio (percent).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from scoring.fields import FIELDS

MONEY_UNITS = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8}
OTHER_UNITS = {"人": 1.0, "项": 1.0, "个": 1.0, "年": 1.0, "分": 1.0, "%": 0.01, "％": 0.01}
_UNIT_SUFFIX = re.compile(r"^(?P<base>.+?)\((?P<unit>[^()]+)\)$")


def normalize(header: object) -> str:
    text = unicodedata.normalize("NFKC", str(header))
    return re.sub(r"\s+", "", text).strip().lower()


_LOOKUP: dict[str, str] = {}
for _name, _spec in FIELDS.items():
    _LOOKUP[normalize(_name)] = _name
    _LOOKUP[normalize(_spec.label_zh)] = _name


@dataclass(frozen=True)
class Column:
    header: str  # as written in the sheet
    field: str | None  # contract field, or None for a pass-through column
    scale: float = 1.0
    unit: str = ""


def map_header(header: object) -> Column:
    """The field a header names and the multiplier its unit implies; unknown → pass-through."""
    text = str(header)
    key = normalize(header)
    if key in _LOOKUP:
        return Column(text, _LOOKUP[key])
    match = _UNIT_SUFFIX.match(key)
    if match and match.group("base") in _LOOKUP:
        field = _LOOKUP[match.group("base")]
        unit = match.group("unit")
        spec = FIELDS[field]
        if spec.type == "money" and unit in MONEY_UNITS:
            return Column(text, field, MONEY_UNITS[unit], unit)
        if spec.unit == "ratio" and unit in ("%", "％"):
            return Column(text, field, 0.01, unit)
        if spec.type != "money" and unit in OTHER_UNITS and unit not in ("%", "％"):
            return Column(text, field, 1.0, unit)
    return Column(text, None)


def header_score(cells: list[object]) -> int:
    """How many cells of a row name contract fields: the header row has the most."""
    return sum(1 for c in cells if c not in (None, "") and map_header(c).field is not None)


def is_output_column(header: object) -> bool:
    """A column the batch writes (``high_tech_status``, or its xlsx header
    ``高新技术企业·结果\nhigh_tech_status``, whose last line is the contract name)."""
    from scoring.frames import OUTPUT_COLUMNS
    from scoring.readiness.predict import READINESS_COLUMNS

    last = str(header).strip().splitlines()[-1].strip() if str(header).strip() else ""
    return last in OUTPUT_COLUMNS or last in READINESS_COLUMNS
