"""Rule data: one YAML file per ladder per policy version (``criteria/<ladder>/<version>.yaml``).

This package holds data only; ``scoring.rulesets`` loads and validates it.
"""

from pathlib import Path

DIR = Path(__file__).parent
