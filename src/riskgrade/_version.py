"""Version of the riskgrade package."""

__version__ = "0.1.0"
