"""Minhu (民呼): residents call, the people responsible for their grid answer."""

__version__ = "0.1.0"
