"""Pure geospatial and scoring engine: no UI imports.

The public functions, by step:

- reading: :func:`geo.io.read_boundaries`, :func:`geo.io.read_table`, :func:`geo.config.load_config`
- joining: :func:`geo.join.join_table` (with a :class:`geo.join.JoinReport`)
- layers from rasters and points: :func:`geo.zonal.zonal_stats`, :func:`geo.points.point_stats`
- between levels: :func:`geo.rollup.roll_up`
- scoring: :func:`geo.scoring.score` and its steps
- one level end to end: :func:`geo.dataset.load_level`, :func:`geo.dataset.score_level`,
  :func:`geo.dataset.ranked_table`
- writing: :func:`geo.io.write_table`
"""

from geo.errors import TargetingError

__all__ = ["TargetingError"]
