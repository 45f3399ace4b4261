"""A trained set of readiness models (one per ladder and horizon), saved with skops.

Loading never unpickles: skops reads only the types on an explicit trusted list, so a model
file from elsewhere cannot run code. Each bundle has a version id, the hash of its model file,
which every prediction records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io as sio

from scoring.frames import criteria_versions, iter_evaluations
from scoring.readiness import drift
from scoring.readiness.evaluate import evaluate
from scoring.readiness.features import build_features
from scoring.readiness.model import ReadinessEstimator
from scoring.readiness.panel import HORIZONS, STATUS, check_panel, derive_labels
from scoring.readiness.reliability import reliability_svg
from scoring.vocabulary import ESTIMATOR_EN, LADDERS

# the shipped model travels with the package (package data: a wheel carries it); a bureau's
# own versions live where TIERING_MODELS_DIR says (default: beside the shipped one)
SHIPPED_DIR = Path(__file__).resolve().parent / "models"
MODELS_DIR = Path(os.environ.get("TIERING_MODELS_DIR") or SHIPPED_DIR)
log = logging.getLogger("tiering.readiness")
TRUSTED = [
    "scoring.readiness.model.ReadinessEstimator",
    "scoring.readiness.model.ReadinessModel",
    "scoring.readiness.model.MonotoneLogistic",
    "scoring.readiness.model.RulesDistanceBaseline",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.frozen._frozen.FrozenEstimator",
]


@dataclass
class ReadinessBundle:
    models: dict[str, ReadinessEstimator]  # "ladder/horizon" → estimator
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
            held = X.get(f"{ladder}_held")
            at = np.ones(len(X), bool) if held is None else held.to_numpy(dtype=float) != 1
            p = np.full(len(X), np.nan)  # a firm holding the ladder gets no figure: not scored
            if at.any():
                p[at] = model.predict_proba(X[at])[:, 1]
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
        if self.meta.get("reliability"):
            title = f"晋级概率模型 {version} 校准图" + (
                "（基于模拟数据训练）" if self.meta.get("synthetic") else ""
            )
            svg = reliability_svg(pd.DataFrame(self.meta["reliability"]), title)
            (target / "reliability.svg").write_text(svg, encoding="utf-8")
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
        "shipped",
        "shipped AUC",
        "shipped Brier",
        "HGB Brier",
        "monotone logistic Brier",
        "rules Brier",
        "logistic Brier",
        "shipped ECE",
    )
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in meta.get("evaluation", []):
        if r.get("selected_auc") is None:
            rows.append(
                f"| {r['ladder']} | {r['horizon']} y | too few gains to evaluate: "
                "not shipped |" + " |" * (len(head) - 3)
            )
            continue
        if f"{r['ladder']}/{r['horizon']}" not in meta.get("models", []):
            r = {**r, "ladder": f"{r['ladder']} (not shipped: AUC < {MIN_AUC})"}
        rows.append(
            f"| {r['ladder']} | {r['horizon']} y | {ESTIMATOR_EN.get(_kind(r['selected']), '')}"
            f"{_weight(r['selected'])} | {r['selected_auc']:.3f} | {r['selected_brier']:.4f} | "
            f"{r['model_brier']:.4f} | {r['mono_logistic_brier']:.4f} | {r['rules_brier']:.4f} | "
            f"{r['logistic_brier']:.4f} | {r['selected_ece']:.3f} |"
        )
    horizons = ", ".join(str(h) for h in meta.get("horizons", []))
    slices = _slice_lines(meta.get("slices", []))
    return f"""# Readiness model {meta.get("version", "")}

Created {meta.get("created", "")}. One estimator per ladder and horizon
(`scoring.readiness.model.ReadinessEstimator`): the probability that a firm not holding a
ladder holds it within {horizons} fiscal year(s). Each is chosen by the lowest Brier score on
validation firms (a quarter of the training firms; the test firms are never used to choose) among a
calibrated, monotone-constrained gradient-boosting classifier (HGB), a monotone logistic
regression, the rules distance and HGB/logistic blends. Every candidate is monotone, so closing
a gap never lowers a firm's chance. The unconstrained logistic regression is a baseline only:
it may not be shipped because it can lower a firm's chance when its R&D rises.

## Intended use
Ranking and prioritizing candidate firms for a science bureau's outreach, and telling a firm
how its chances compare, alongside the rule-by-rule result. **Not** an official determination,
not a reason to refuse or grant anything, and not a statement about an individual firm's
future beyond the data it was trained on.

## Training data
{data}
Rows: {meta.get("rows")}, firms: {meta.get("firms")}, fiscal years {meta.get("years")}.
Labels are derived from yearly status columns (docs/readiness.md), never typed in.

## Evaluation (held-out test firms, last labelled year)
{chr(10).join(rows)}

Calibration: `reliability.svg` beside this card (predicted against observed, test rows).

## Metrics by slice (the shipped estimator, 12 months; AUC where a slice has at least 5 gains)
{slices}

## Limits
- Learns only what the training panel shows; a rule change after training (new rule sets)
  is not in it. Retrain (`tiering train`) on a bureau's own history before relying on it.
- Ladders with few gains in the training data get no model or a weak one (see the table).
- Rule sets assumed: {", ".join(meta.get("criteria_versions", []))}.
"""


def _kind(selected: str) -> str:
    return "blend" if str(selected).startswith("blend") else str(selected)


def _weight(selected: str) -> str:
    return f" ({float(selected[5:]):.0%} HGB)" if str(selected).startswith("blend") else ""


def _slice_lines(slices: list[dict]) -> str:
    rows = [r for r in slices if r["horizon"] == 1]
    if not rows:
        return "Not evaluated."
    lines = [
        "| ladder | by | slice | firms | gains | AUC | Brier |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        auc = f"{r['auc']:.3f}" if r.get("auc") is not None else "—"
        lines.append(
            f"| {r['ladder']} | {r['by']} | {r['slice']} | {r['n']} | {r['positives']} | "
            f"{auc} | {r['brier']:.4f} |"
        )
    return "\n".join(lines)


MIN_AUC = 0.70  # a model that ranks held-out firms worse than this is not shipped


def _withheld(report) -> set[tuple[str, int]]:
    """(ladder, horizon) pairs whose evaluation fell short of ``MIN_AUC`` or could not be
    made (too few gains among the held-out firms)."""
    if report is None:
        return set()
    table = report.table
    auc = table["selected_auc"] if "selected_auc" in table else pd.Series(np.nan, index=table.index)
    bad = auc.isna() | (auc < MIN_AUC)
    return {(r.ladder, int(r.horizon)) for r in table[bad].itertuples()}


def _chosen(report) -> dict[tuple[str, int], tuple[str, float]]:
    """The estimator each (ladder, horizon) was chosen as in the evaluation (default HGB when
    training without one)."""
    if report is None or "selected" not in report.table:
        return {}
    out = {}
    for r in report.table.dropna(subset=["selected"]).itertuples():
        kind = _kind(r.selected)
        out[(r.ladder, int(r.horizon))] = (kind, float(r.selected[5:]) if kind == "blend" else 1.0)
    return out


def _label(model) -> str:
    return f"blend{model.weight:g}" if model.kind == "blend" else model.kind


def _records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None or frame.empty:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


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


def load_current(directory: Path = MODELS_DIR) -> ReadinessBundle | None:
    """The model every result uses: the current one of ``directory``; a models folder that
    names none yet (a new TIERING_MODELS_DIR) falls back to the shipped model; when neither
    has one, a warning says where it looked and results carry no readiness figures."""
    found = load(None, directory)
    if found is None and Path(directory).resolve() != SHIPPED_DIR:
        found = load(None, SHIPPED_DIR)
    if found is None:
        log.warning(
            "no readiness model: neither %s nor %s names one in CURRENT; results carry no "
            "readiness figures (train one with `tiering train`, or reinstall the package)",
            directory,
            SHIPPED_DIR,
        )
    return found


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
    progress=None,
) -> ReadinessBundle:
    """Evaluate on held-out firms and years, then fit every (ladder, horizon) on all labels.
    ``progress(done, total)`` hears of each step (evaluating or fitting one ladder and
    horizon): a job shows it and renews its lease."""
    panel = check_panel(panel)
    total = len(LADDERS) * len(horizons) * (2 if evaluate_first else 1)
    done = 0

    def step():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    report = evaluate(panel, horizons=horizons, progress=step) if evaluate_first else None
    withheld = _withheld(report)
    chosen = _chosen(report)
    X = build_features(panel)
    labels = derive_labels(panel, horizons)
    models = {}
    for ladder in LADDERS:
        for h in horizons:
            step()
            y = labels[f"{ladder}_in_{h}y"]
            known = y.notna()
            if y[known].nunique() < 2 or y[known].sum() < 10:
                continue  # too few gains to learn from: no model, no figure shown
            if (ladder, h) in withheld:
                continue  # it ranked held-out firms too poorly to show anyone its figure
            kind, weight = chosen.get((ladder, h), ("hgb", 1.0))
            models[f"{ladder}/{h}"] = ReadinessEstimator(
                ladder=ladder, horizon=h, kind=kind, weight=weight
            ).fit(X[known], y[known].astype(int))
    ((_, sample),) = iter_evaluations(panel.drop(columns=["firm_id"]).head(2000))
    versions_used = sorted(set(";".join(criteria_versions(sample).categories).split(";")) - {""})
    meta = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "trained_on": trained_on,
        "synthetic": synthetic,
        "rows": len(panel),
        "firms": int(panel["firm_id"].nunique()),
        "years": [int(panel["fiscal_year"].min()), int(panel["fiscal_year"].max())],
        "horizons": list(horizons),
        "models": sorted(models),
        "estimators": {k: _label(m) for k, m in models.items()},
        "features": list(X.columns),
        "status_columns": STATUS,
        "criteria_versions": versions_used,
        "evaluation": _records(report.table if report else None),
        "slices": _records(report.slices if report else None),
        "reliability": _records(report.reliability if report else None),
        "reference": drift.reference(X),
    }
    return ReadinessBundle(models, meta)
