"""Upgrade readiness: the history panel, its labels, and the synthetic panel simulator.

The model itself (issue 5) builds on these.
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
