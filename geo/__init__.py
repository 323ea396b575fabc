"""Pure geospatial and scoring engine: no UI imports."""
