"""Batch experiments: sweeps, replicates and sensitivity analysis (see docs/experiments.md)."""
