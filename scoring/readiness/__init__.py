"""Upgrade readiness: the history panel and its labels, the synthetic panel simulator, the
model (``model``), its evaluation, saved versions (``bundle``), predictions for assessed firms
(``predict``), per-firm actions (``explain``) and drift (``drift``). docs/readiness.md.
"""

from scoring.readiness.panel import HORIZONS, KEYS, STATUS, PanelError, check_panel, derive_labels
from scoring.readiness.simulate import Assumptions, simulate_panel

__all__ = [
    "HORIZONS",
    "KEYS",
    "STATUS",
    "Assumptions",
    "PanelError",
    "check_panel",
    "derive_labels",
    "simulate_panel",
]
