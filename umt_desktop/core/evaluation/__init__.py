"""Evaluation on a Kinetics copy: dataset layouts, the decode/inference pipeline and metrics, the SQLite history, torchrun."""
