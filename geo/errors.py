"""The project's error types.

Every problem with user input raises a subclass of :class:`TargetingError`, whose
message names the file or argument, the bad value, what is allowed and the fix.
The command line turns these into one line and exit code 2; the dashboard shows
them with ``st.error``. Anything else escaping the engine is a bug.
"""

from __future__ import annotations

__all__ = [
    "TargetingError",
    "ConfigError",
    "MissingCRSError",
    "CRSMismatchError",
    "BoundaryError",
    "JoinError",
    "LayerDataError",
    "RasterError",
]


class TargetingError(ValueError):
    """Base class for every error caused by input data, settings or arguments."""


class ConfigError(TargetingError):
    """A configuration file or setting is missing, unknown or of the wrong type."""


class MissingCRSError(TargetingError):
    """A spatial dataset has no coordinate reference system."""


class CRSMismatchError(TargetingError):
    """Two spatial inputs use different coordinate reference systems."""


class BoundaryError(TargetingError):
    """A boundary file cannot be used as districts (ids, geometry, format)."""


class JoinError(TargetingError):
    """A table cannot be joined to the districts (keys, duplicates)."""


class LayerDataError(TargetingError):
    """An indicator layer's values are unusable (missing column, wrong type)."""


class RasterError(TargetingError):
    """A raster cannot be read or does not fit the districts."""
