"""The history panel: one row per firm per fiscal year, and the labels derived from it.

Columns: ``firm_id`` and ``fiscal_year`` (the key), the input fields of the contract, and one
status column per ladder (``is_tech_sme`` … from the contract and its extension, plus the
panel-only ``is_gazelle`` and ``is_little_giant``). This is what a bureau holds: yearly
registrations and certificate lists. Labels are derived, never typed in: a firm-year is
positive for a ladder when the firm does not hold it that year and does within the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.vocabulary import HELD_FIELD, LADDERS

STATUS = {**HELD_FIELD, "gazelle": "is_gazelle", "little_giant": "is_little_giant"}
KEYS = ("firm_id", "fiscal_year")
HORIZONS = (1, 2)  # fiscal years ahead: "within 12 months" and "within 24 months"


class PanelError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def check_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel sorted by firm and year; refuses a panel without its keys or with repeats."""
    missing = [k for k in KEYS if k not in panel.columns]
    if missing:
        raise PanelError(f"历史面板缺少列：{'、'.join(missing)}", f"panel lacks {missing}")
    if panel.duplicated(list(KEYS)).any():
        raise PanelError("同一企业同一年度出现多行", "repeated (firm_id, fiscal_year) rows")
    return panel.sort_values(list(KEYS), kind="stable").reset_index(drop=True)


def derive_labels(panel: pd.DataFrame, horizons=HORIZONS) -> pd.DataFrame:
    """``{ladder}_in_{h}y``: 1 if the firm gets the ladder within ``h`` years, 0 if not, NaN when
    it already holds it (not at risk) or the panel ends before the horizon does (censored).

    A year not in the panel (a gap) is not observed: without a gain seen within the horizon,
    the label is then unknown rather than 0. Rows whose horizon runs past the firm's last year
    in the panel are unknown either way: keeping only the gains seen early would bias them.
    """
    panel = check_panel(panel)
    out = pd.DataFrame(index=panel.index)
    firm = panel["firm_id"].to_numpy()
    year = panel["fiscal_year"].to_numpy(dtype=float)
    last_year = panel.groupby("firm_id")["fiscal_year"].transform("max").to_numpy(dtype=float)
    for ladder in LADDERS:
        column = STATUS[ladder]
        held = (
            panel[column].to_numpy(dtype=float) if column in panel else np.full(len(panel), np.nan)
        )
        for h in horizons:
            gained = np.zeros(len(panel), dtype=bool)
            unseen = np.zeros(len(panel), dtype=bool)
            for step in range(1, h + 1):
                ahead = _shifted(firm, year, held, step)
                gained |= ahead == 1
                unseen |= np.isnan(ahead)
            label = np.where(gained, 1.0, np.where(unseen, np.nan, 0.0))
            label[held == 1] = np.nan  # already held: not at risk
            label[np.isnan(held)] = np.nan  # status unknown this year
            label[year + h > last_year] = np.nan  # censored by the end of the firm's history
            out[f"{ladder}_in_{h}y"] = label
    return out


def _shifted(firm, year, held, step) -> np.ndarray:
    """The status of the same firm ``step`` fiscal years later (NaN when that year is absent)."""
    later = pd.DataFrame({"firm_id": firm, "fiscal_year": year + step, "row": np.arange(len(firm))})
    seen = pd.DataFrame({"firm_id": firm, "fiscal_year": year, "status": held})
    merged = later.merge(seen, on=["firm_id", "fiscal_year"], how="left").sort_values("row")
    return merged["status"].to_numpy(dtype=float)
