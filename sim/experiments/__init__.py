"""Batch experiments: sweeps, replicates and sensitivity analysis (see docs/experiments.md).

- spec.py: experiment files (pydantic schema), factor paths and designs -> a Plan of runs with their seeds
- worker.py: one run = the point's scenario + sim.run; pure, so any worker gives the same result
- sweep.py: the driver: local processes or Dask, one file per finished run, resumable
- store.py: the results folder (manifest.json, runs/, daily/, failed/) and reading it back
- analysis.py: Sobol and Morris indices (SALib), rank correlations, summaries and plots
- the commands `python -m sim sweep` and `python -m sim analyze` live in sim/cli/experiments.py
"""
