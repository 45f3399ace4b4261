"""The readiness model: P(a firm reaches a ladder within a horizon), calibrated.

Decision: one estimator per (ladder, horizon) rather than one with the ladder as a feature.
Base rates differ by two orders of magnitude between ladders, the rules that matter differ,
and monotone constraints are per ladder (its own score can only help it); separate models keep
each calibration honest and each explanation readable. Each follows the scikit-learn estimator
contract (parameters stored unchanged in ``__init__``, learning in ``fit``, ``*_`` attributes).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

from scoring.readiness.features import model_columns, monotone_directions

PARALLEL_ROWS = 50_000  # from this many rows, prediction runs on every core


@functools.cache
def _openmp() -> ThreadpoolController:
    return ThreadpoolController()  # after scikit-learn has loaded its OpenMP runtime


class ReadinessModel(ClassifierMixin, BaseEstimator):
    """Gradient boosting with monotone constraints, calibrated by isotonic regression on a
    held-out share ``cv`` of the rows (or on cross-validated predictions when ``cv`` is an int)."""

    def __init__(
        self,
        ladder: str = "high_tech",
        horizon: int = 1,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 40,
        cv: int | float = 0.25,
        random_state: int = 0,
    ):
        self.ladder = ladder
        self.horizon = horizon
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y) -> ReadinessModel:
        X = pd.DataFrame(X)
        y = np.asarray(y, dtype=int)
        self.feature_names_in_ = np.array(X.columns, dtype=object)
        # a column known for only a handful of rows carries little, and a fold where it is
        # entirely unknown trips the booster's binning: keep the ones known often enough
        enough = max(20, int(0.005 * len(X)))
        self.columns_ = [
            c
            for c in model_columns(X.columns, self.ladder)
            if X[c].notna().sum() >= enough and X[c].nunique() >= 2
        ]
        X = X[self.columns_]
        self.monotonic_cst_ = monotone_directions(self.columns_, self.ladder)
        booster = HistGradientBoostingClassifier(
            monotonic_cst=self.monotonic_cst_,
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state,
        )
        if isinstance(self.cv, float):
            # a share of the rows held out for the isotonic calibration: one booster fit
            # instead of cv + 1, as well calibrated when there are thousands of rows
            fit_X, cal_X, fit_y, cal_y = train_test_split(
                X, y, test_size=self.cv, stratify=y, random_state=self.random_state
            )
            booster.fit(fit_X, fit_y)
            self.calibrated_ = CalibratedClassifierCV(
                FrozenEstimator(booster), method="isotonic", cv=2
            )
            self.calibrated_.fit(cal_X, cal_y)
        else:
            # one booster on all rows, calibrated on cross-validated predictions
            self.calibrated_ = CalibratedClassifierCV(
                booster, method="isotonic", cv=self.cv, ensemble=False
            )
            self.calibrated_.fit(X, y)
        self.classes_ = self.calibrated_.classes_
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        # small inputs on one OpenMP thread: the booster's threads handing a few rows back
        # and forth while the web server keeps the cores busy made one firm's readiness take
        # a second instead of a few milliseconds; large frames use every core
        threads = 1 if len(X) < PARALLEL_ROWS else None
        with _openmp().limit(limits=threads, user_api="openmp"):
            return self.calibrated_.predict_proba(pd.DataFrame(X)[self.columns_])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class RulesDistanceBaseline(ClassifierMixin, BaseEstimator):
    """What the rules alone say: eligible > near (closer is better) > ineligible, calibrated
    to frequencies by isotonic regression. The bar the model has to clear."""

    def __init__(self, ladder: str = "high_tech"):
        self.ladder = ladder

    def _distance(self, X: pd.DataFrame) -> np.ndarray:
        k = self.ladder
        eligible = X[f"{k}_eligible"].fillna(0).to_numpy()
        near = X[f"{k}_near"].fillna(0).to_numpy()
        shortfall = X[f"{k}_shortfall"].fillna(1).clip(0, 1).to_numpy()
        failed = X[f"{k}_failed"].fillna(5).clip(0, 5).to_numpy()
        return np.where(eligible == 1, 3.0, np.where(near == 1, 2.0 - shortfall, 1.0 - failed / 5))

    def fit(self, X, y) -> RulesDistanceBaseline:
        X = pd.DataFrame(X)
        self.iso_ = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
        self.iso_.fit(self._distance(X), np.asarray(y, dtype=float))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        p = self.iso_.predict(self._distance(pd.DataFrame(X)))
        return np.column_stack([1 - p, p])


def logistic_baseline() -> object:
    """Logistic regression on the same features (medians for the unknown, standardized)."""
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000, C=0.5),
    )


# standardized values beyond this many deviations are held there: a feature nearly constant in
# training (a tiny deviation) would otherwise turn one unusual firm into a certainty; clipping
# is monotone, so the sign constraints still hold
CLIP = 4.0


class MonotoneLogistic(ClassifierMixin, BaseEstimator):
    """Logistic regression on the ladder's features with the model's sign constraints: a
    coefficient of a feature where more can only help is ≥ 0, where more can only hurt ≤ 0
    (L-BFGS-B with bounds, scipy). Unknowns take the training medians; features are
    standardized and held within ±``CLIP`` deviations. Monotone like the boosted model, so
    closing a gap never lowers its chance — which the unconstrained baseline cannot promise."""

    def __init__(self, ladder: str = "high_tech", C: float = 0.5):
        self.ladder = ladder
        self.C = C

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        values = pd.DataFrame(X)[self.columns_].to_numpy(dtype=float)
        values = np.where(np.isnan(values), self.medians_, values)
        return np.clip((values - self.means_) / self.scales_, -CLIP, CLIP)

    def fit(self, X: pd.DataFrame, y) -> MonotoneLogistic:
        from scipy.optimize import minimize

        X = pd.DataFrame(X)
        y = np.asarray(y, dtype=float)
        self.columns_ = [c for c in model_columns(X.columns, self.ladder) if X[c].notna().any()]
        raw = X[self.columns_].to_numpy(dtype=float)
        self.medians_ = np.nanmedian(raw, axis=0)
        filled = np.where(np.isnan(raw), self.medians_, raw)
        self.means_ = filled.mean(axis=0)
        self.scales_ = np.where(filled.std(axis=0) > 0, filled.std(axis=0), 1.0)
        Z = np.clip((filled - self.means_) / self.scales_, -CLIP, CLIP)
        n, k = Z.shape
        directions = monotone_directions(self.columns_, self.ladder)
        bounds = [(0, None) if d > 0 else (None, 0) if d < 0 else (None, None) for d in directions]
        penalty = 1.0 / (self.C * n)

        def loss(theta):
            w, b = theta[:k], theta[k]
            z = Z @ w + b
            # mean log-loss, stably: log(1 + e^z) − y z
            value = np.mean(np.logaddexp(0, z) - y * z) + 0.5 * penalty * w @ w
            p = 1 / (1 + np.exp(-z))
            grad_w = Z.T @ (p - y) / n + penalty * w
            return value, np.append(grad_w, np.mean(p - y))

        found = minimize(
            loss, np.zeros(k + 1), jac=True, method="L-BFGS-B", bounds=[*bounds, (None, None)]
        )
        self.coef_, self.intercept_ = found.x[:k], float(found.x[k])
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        # column by column and scipy's expit, not a matrix product and numpy's SIMD exp: both
        # pick code paths by the number of rows, and a firm must get the same figure alone,
        # in a batch or in any chunk of one (IEEE multiply-adds in a fixed order are exact)
        Z = self._matrix(X)
        z = np.full(len(Z), self.intercept_)
        for j, w in enumerate(self.coef_):
            z = z + Z[:, j] * w
        p = expit(z)
        return np.column_stack([1 - p, p])


ESTIMATORS = ("hgb", "logistic", "rules", "blend")
BLEND_WEIGHTS = (0.25, 0.5, 0.75)  # the boosted model's share in a blend with the logistic


class ReadinessEstimator(ClassifierMixin, BaseEstimator):
    """The estimator shipped for one (ladder, horizon): ``kind`` hgb (the boosted model),
    logistic (monotone), rules (rules distance) or blend (``weight`` × boosted +
    (1 − weight) × logistic), chosen by held-out Brier score (``evaluate.select``)."""

    def __init__(
        self, ladder: str = "high_tech", horizon: int = 1, kind: str = "hgb", weight: float = 1.0
    ):
        self.ladder = ladder
        self.horizon = horizon
        self.kind = kind
        self.weight = weight

    def fit(self, X, y) -> ReadinessEstimator:
        if self.kind not in ESTIMATORS:
            raise ValueError(f"unknown estimator {self.kind!r}")
        parts = []
        if self.kind in ("hgb", "blend"):
            parts.append(ReadinessModel(ladder=self.ladder, horizon=self.horizon).fit(X, y))
        if self.kind in ("logistic", "blend"):
            parts.append(MonotoneLogistic(ladder=self.ladder).fit(X, y))
        if self.kind == "rules":
            parts.append(RulesDistanceBaseline(ladder=self.ladder).fit(X, y))
        self.parts_ = parts
        self.weights_ = [self.weight, 1 - self.weight] if self.kind == "blend" else [1.0]
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        p = sum(
            w * part.predict_proba(X)[:, 1]
            for w, part in zip(self.weights_, self.parts_, strict=True)
        )
        return np.column_stack([1 - p, p])
