"""Readiness for assessed firms: the probability of each ladder within 12 and 24 months.

Every entry point (``scoring.assess``, ``assess_frame``, the batch, the service) reaches the
model here, with the features taken from the evaluation the rules already made: one scoring
pass. The bundle used is a parameter; ``"current"`` means the version named in
``CURRENT`` of the models folder (``scoring/readiness/models``, package data: the shipped
default, trained on a synthetic panel; or ``TIERING_MODELS_DIR``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from scoring.engine import Evaluation
from scoring.models import Readiness
from scoring.vocabulary import LADDERS

HORIZON_SUFFIX = {1: "", 2: "_24m"}  # 1 fiscal year ≈ 12 months, 2 ≈ 24 months
READINESS_COLUMNS = [
    *[f"{ladder}_readiness{suffix}" for suffix in HORIZON_SUFFIX.values() for ladder in LADDERS],
    "readiness_model",
]
SYNTHETIC_ZH = "基于模拟数据训练，仅供参考"
SYNTHETIC_EN = "trained on simulated data; for reference only"


@functools.cache
def current_bundle():
    """The bundle named in the models folder's ``CURRENT`` (loaded once per process), or None."""
    from scoring.readiness.bundle import load_current

    return load_current()


def resolve(readiness: Any):
    """``"current"`` → the current bundle (or None when there is none); else as given."""
    return current_bundle() if isinstance(readiness, str) and readiness == "current" else readiness


def model_label(bundle) -> str:
    """What every prediction records: the version, and that the data were simulated."""
    return f"{bundle.version}（{SYNTHETIC_ZH}）" if bundle.meta.get("synthetic") else bundle.version


def readiness_columns(ev: Evaluation, bundle) -> dict[str, np.ndarray]:
    """``{ladder}_readiness`` (12 months), ``{ladder}_readiness_24m`` and ``readiness_model``
    per row. NaN where the firm holds the ladder, where no model exists for it, and on rows
    rejected for want of a name. Computed once per evaluation and bundle: the sheet, the
    assessments and the reports of one evaluation read the same figures."""
    key = ("readiness", id(bundle))
    if key not in ev.memo:
        ev.memo[key] = _readiness_columns(ev, bundle)
    return ev.memo[key]


def _readiness_columns(ev: Evaluation, bundle) -> dict[str, np.ndarray]:
    from scoring.readiness.features import single_year_features

    n = ev.frame.n
    if n == 0:  # nothing to predict (an empty sheet, a Dask schema probe)
        return {
            c: np.empty(0, dtype=object if c == "readiness_model" else float)
            for c in READINESS_COLUMNS
        }
    X = single_year_features(ev)
    rejected = np.asarray(pd.isna(ev.frame.text("name")), dtype=bool)
    out: dict[str, np.ndarray] = {}
    for horizon, suffix in HORIZON_SUFFIX.items():
        predicted = bundle.predict(X, horizon)
        for ladder in LADDERS:
            column = f"{ladder}_readiness"
            values = (
                predicted[column].to_numpy(dtype=float)
                if column in predicted
                else np.full(n, np.nan)
            )
            if suffix:  # within 24 months includes within 12: never below it
                values = np.where(np.isnan(values), values, np.fmax(values, out[column]))
            out[column + suffix] = np.where(rejected, np.nan, values)
    label = np.full(n, model_label(bundle), dtype=object)
    label[rejected] = ""
    out["readiness_model"] = label
    return out


def readiness_of_row(bundle, columns: dict[str, np.ndarray], row: int) -> Readiness:
    """One firm's probabilities from ``readiness_columns``, as the assessment carries them."""
    synthetic = bool(bundle.meta.get("synthetic"))

    def chances(suffix: str) -> dict[str, float | None]:
        values = {k: float(columns[f"{k}_readiness{suffix}"][row]) for k in LADDERS}
        return {k: None if np.isnan(v) else v for k, v in values.items()}

    return Readiness(
        model_version=bundle.version,
        synthetic=synthetic,
        note_zh=SYNTHETIC_ZH if synthetic else "基于本地历史数据训练，仅供参考",
        note_en=SYNTHETIC_EN if synthetic else "trained on a local history panel; for reference",
        within_12m=chances(HORIZON_SUFFIX[1]),
        within_24m=chances(HORIZON_SUFFIX[2]),
        estimators=_estimators(bundle, 1),
        estimators_24m=_estimators(bundle, 2),
    )


def _estimators(bundle, horizon: int) -> dict[str, str]:
    """Which estimator each ladder's figure comes from (bundles trained before the choice
    existed hold only the boosted model)."""
    named = bundle.meta.get("estimators", {})
    return {
        k: named.get(f"{k}/{horizon}", "hgb") for k in LADDERS if f"{k}/{horizon}" in bundle.models
    }
