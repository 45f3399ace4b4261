"""A trained set of readiness models (one per ladder and horizon), saved with skops.

Loading never unpickles: skops reads only the types on an explicit trusted list, so a model
file from elsewhere cannot run code. Each bundle has a version id, the hash of its model file,
which every prediction records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io as sio

from scoring.readiness.evaluate import evaluate
from scoring.readiness.features import build_features
from scoring.readiness.model import ReadinessModel
from scoring.readiness.panel import HORIZONS, STATUS, check_panel, derive_labels
from scoring.rulesets import LADDERS

MODELS_DIR = Path(__file__).resolve().parents[2] / "data" / "models"
TRUSTED = [
    "scoring.readiness.model.ReadinessModel",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


@dataclass
class ReadinessBundle:
    models: dict[str, ReadinessModel]  # "ladder/horizon" → model
    meta: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.meta.get("version", "")

    def predict(self, X: pd.DataFrame, horizon: int = 1) -> pd.DataFrame:
        """``{ladder}_readiness`` per row (NaN where the firm already holds the ladder)."""
        out = pd.DataFrame(index=X.index)
        for ladder in LADDERS:
            model = self.models.get(f"{ladder}/{horizon}")
            if model is None:
                continue
            p = model.predict_proba(X)[:, 1]
            held = X.get(f"{ladder}_held")
            if held is not None:
                p = np.where(held.to_numpy(dtype=float) == 1, np.nan, p)
            out[f"{ladder}_readiness"] = p
        return out

    def save(self, directory: Path = MODELS_DIR) -> Path:
        """Writes ``<directory>/<version>/model.skops`` and ``meta.json``; returns the folder."""
        directory.mkdir(parents=True, exist_ok=True)
        staging = directory / ".staging.skops"
        sio.dump(self.models, staging, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
        version = hashlib.sha256(staging.read_bytes()).hexdigest()[:12]
        target = directory / version
        target.mkdir(exist_ok=True)
        staging.replace(target / "model.skops")
        self.meta["version"] = version
        (target / "meta.json").write_text(
            json.dumps(self.meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        (target / "MODEL_CARD.md").write_text(model_card(self.meta), encoding="utf-8")
        return target


def model_card(meta: dict) -> str:
    """The model card: intended use and non-use, data, metrics, limits, assumed rule sets."""
    data = (
        "**Synthetic** (合成数据): a simulated panel (`tiering synth`, assumptions in "
        "docs/readiness.md). Every figure this model gives must say 基于模拟数据训练."
        if meta.get("synthetic")
        else f"A bureau's own history panel: {meta.get('trained_on', '')}."
    )
    head = (
        "ladder",
        "horizon",
        "model AUC",
        "rules AUC",
        "logistic AUC",
        "model Brier",
        "rules Brier",
        "ECE",
    )
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in meta.get("evaluation", []):
        if r.get("model_auc") is None:
            rows.append(
                f"| {r['ladder']} | {r['horizon']} y | too few gains to evaluate | | | | | |"
            )
            continue
        rows.append(
            f"| {r['ladder']} | {r['horizon']} y | {r['model_auc']:.3f} | {r['rules_auc']:.3f} | "
            f"{r['logistic_auc']:.3f} | {r['model_brier']:.4f} | {r['rules_brier']:.4f} | "
            f"{r['model_ece']:.3f} |"
        )
    horizons = ", ".join(str(h) for h in meta.get("horizons", []))
    return f"""# Readiness model {meta.get("version", "")}

Created {meta.get("created", "")}. One calibrated, monotone-constrained gradient-boosting
classifier per ladder and horizon (`scoring.readiness.model.ReadinessModel`): the probability
that a firm not holding a ladder holds it within {horizons} fiscal year(s).

## Intended use
Ranking and prioritizing candidate firms for a science bureau's outreach, and telling a firm
how its chances compare, alongside the rule-by-rule result. **Not** an official determination,
not a reason to refuse or grant anything, and not a statement about an individual firm's
future beyond the data it was trained on.

## Training data
{data}
Rows: {meta.get("rows")}, firms: {meta.get("firms")}, fiscal years {meta.get("years")}.
Labels are derived from yearly status columns (docs/readiness.md), never typed in.

## Evaluation (held-out firms, last labelled year)
{chr(10).join(rows)}

## Limits
- Learns only what the training panel shows; a rule change after training (new rule sets)
  is not in it. Retrain (`tiering train`) on a bureau's own history before relying on it.
- Ladders with few gains in the training data get no model or a weak one (see the table).
- Rule sets assumed: {", ".join(meta.get("criteria_versions", []))}.
"""


def load(version: str | None = None, directory: Path = MODELS_DIR) -> ReadinessBundle | None:
    """The bundle ``version`` (default: the one named in ``CURRENT``), or None if there is none."""
    if version is None:
        current = directory / "CURRENT"
        if not current.exists():
            return None
        version = current.read_text().strip()
    folder = directory / version
    path = folder / "model.skops"
    if not path.exists():
        raise FileNotFoundError(f"no readiness model {version} in {directory}")
    unknown = set(sio.get_untrusted_types(file=path)) - set(TRUSTED)
    if unknown:
        raise ValueError(f"model file holds types that are not trusted: {sorted(unknown)}")
    models = sio.load(path, trusted=TRUSTED)
    if hashlib.sha256(path.read_bytes()).hexdigest()[:12] != version:
        raise ValueError(f"model file of {version} does not match its version (altered?)")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return ReadinessBundle(models, meta)


def use(version: str, directory: Path = MODELS_DIR) -> None:
    load(version, directory)  # refuse to point at a missing or untrusted file
    (directory / "CURRENT").write_text(version + "\n")


def versions(directory: Path = MODELS_DIR) -> list[dict]:
    out = []
    current = (
        (directory / "CURRENT").read_text().strip() if (directory / "CURRENT").exists() else ""
    )
    for meta_file in sorted(directory.glob("*/meta.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        meta["current"] = meta.get("version") == current
        out.append(meta)
    return out


def train(
    panel: pd.DataFrame,
    *,
    trained_on: str,
    synthetic: bool,
    horizons=HORIZONS,
    evaluate_first: bool = True,
) -> ReadinessBundle:
    """Evaluate on held-out firms and years, then fit every (ladder, horizon) on all labels."""
    panel = check_panel(panel)
    report = evaluate(panel, horizons=horizons) if evaluate_first else pd.DataFrame()
    X = build_features(panel)
    labels = derive_labels(panel, horizons)
    models = {}
    for ladder in LADDERS:
        for h in horizons:
            y = labels[f"{ladder}_in_{h}y"]
            known = y.notna()
            if y[known].nunique() < 2 or y[known].sum() < 10:
                continue  # too few gains to learn from: no model, no figure shown
            models[f"{ladder}/{h}"] = ReadinessModel(ladder=ladder, horizon=h).fit(
                X[known], y[known].astype(int)
            )
    from scoring.api import assess_frame

    versions_used = sorted(
        set(
            ";".join(
                assess_frame(panel.drop(columns=["firm_id"]).head(2000))["criteria_version"].astype(
                    str
                )
            ).split(";")
        )
        - {""}
    )
    meta = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "trained_on": trained_on,
        "synthetic": synthetic,
        "rows": len(panel),
        "firms": int(panel["firm_id"].nunique()),
        "years": [int(panel["fiscal_year"].min()), int(panel["fiscal_year"].max())],
        "horizons": list(horizons),
        "models": sorted(models),
        "features": list(X.columns),
        "status_columns": STATUS,
        "criteria_versions": versions_used,
        "evaluation": report.replace({np.nan: None}).to_dict("records"),
    }
    return ReadinessBundle(models, meta)
