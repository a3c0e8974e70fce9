"""Calibration of a baseline to real route figures, and its validation (docs/validation.md).

- observed.py: the observed figures file and the numbers to fit
- measuring.py: what a run is measured on, and the comparison with the observed figures
- parameters.py: the free parameters, their initial values, writing them into scenarios/calibrated/
- fit.py: the damped update step and the resumable calibrate loop (the method is described there)
- validation.py: the validate-data table and its Markdown
"""

from .fit import calibrate, update
from .measuring import check, ensemble_means, interception_legs, measure, mix_distance
from .observed import Observed, ObservedSpec, load_observed
from .parameters import Parameters, apply, best_key, initial_parameters, write_fitted
from .validation import Validation, validate, validation_markdown

__all__ = ["Observed", "ObservedSpec", "Parameters", "Validation", "apply", "best_key", "calibrate", "check",
           "ensemble_means", "initial_parameters", "interception_legs", "load_observed", "measure",
           "mix_distance", "update", "validate", "validation_markdown", "write_fitted"]
