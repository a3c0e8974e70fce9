"""Batch experiments: sweeps, replicates and sensitivity analysis (see docs/experiments.md).

- spec.py: experiment files (pydantic schema); paths.py: factor paths into a scenario
- design.py: the design points (grid, points, LHS, Sobol, Morris samples)
- plan.py: load_experiment: a file checked against its base scenario -> a Plan of runs with their seeds
- worker.py: one run = the point's scenario + sim.run; pure, so any worker gives the same result
- sweep.py: the driver: local processes or Dask, one file per finished run, resumable
- store.py: the results folder (manifest.json, runs/, daily/, failed/) and reading it back
- sweep_table.py: a results folder as one table per run, per-point means and summaries
- sensitivity.py: Sobol and Morris indices (SALib), rank correlations
- figures.py: the analysis's plots (matplotlib imported inside the functions)
- analysis.py: the whole analysis of a results folder and writing it out
- the commands `python -m sim sweep` and `python -m sim analyze` live in sim/cli/experiments.py
"""
