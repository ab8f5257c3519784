"""Command-line commands kept out of :mod:`riskgrade.cli` (which only registers and dispatches)."""
