"""Adapters turn the bytes of one source into events: one module per format, no I/O. Which reader a source
type uses is said by its module in `calfeed.sources` (the registry), which also holds `parse_source`."""

from .common import Parsed, Rejected

__all__ = ["Parsed", "Rejected"]
