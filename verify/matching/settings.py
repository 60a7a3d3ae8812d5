"""Matching settings: one frozen value, defaults argued in docs/matching.md."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class MatchSettings:
    """How candidate frame pairs become time-aligned segment matches.

    Distances are Hamming bits of a 64-bit hash; times are seconds.

    * ``radius``: range-search radius; a pair farther apart than this is not a candidate.
    * ``slack``: a pair votes for an alignment only if its distance is within ``slack`` bits of the
      query sample's best distance to that reference (look-alike frames elsewhere in the reference
      are usually a few bits worse than the true frame, and scatter in time).
    * ``min_speed``/``max_speed``/``speed_step``: the Hough grid of speeds ``a`` in
      ``reference_time = a * query_time + b`` (geometric, always containing 1.0).
    * ``tolerance``: how far (reference seconds) a pair may sit off the fitted line and count as aligned.
    * ``max_gap``: query seconds without an aligned sample that still keep one segment together.
    * ``min_samples``, ``min_duration``, ``min_aligned_fraction``: what a segment needs to be reported
      (aligned samples, seconds spanned in the query and in the reference, aligned / usable samples
      inside the segment).
    * ``distinct_window``, ``min_support``: each aligned sample is weighted by the share of its voting
      pairs within ``distinct_window`` seconds of the line (1 for a frame that matches one moment of
      the reference, small for a look-alike that matches many moments equally well); the weighted
      aligned fraction must reach ``min_support``.
    * ``max_lines``: alignments tried per reference; ``evidence``: frame pairs kept per segment.
    """

    radius: int = 10
    slack: int = 3
    min_speed: float = 0.5
    max_speed: float = 2.0
    speed_step: float = 0.02
    tolerance: float = 0.4
    max_gap: float = 2.5
    min_samples: int = 5
    min_duration: float = 2.0
    min_aligned_fraction: float = 0.5
    distinct_window: float = 0.5
    min_support: float = 0.4
    max_lines: int = 4
    evidence: int = 12
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.radius <= 64:
            problems.append("radius must be 0..64 bits")
        if self.slack < 0:
            problems.append("slack must be >= 0")
        if not (0 < self.min_speed <= 1.0 <= self.max_speed and math.isfinite(self.max_speed)):
            problems.append("the speed range must contain 1.0 and be positive")
        if not 0 < self.speed_step < 0.5:
            problems.append("speed_step must be in (0, 0.5)")
        if not self.tolerance > 0 or not self.max_gap >= 0:
            problems.append("tolerance must be > 0 and max_gap >= 0")
        if (
            not (0 <= self.min_aligned_fraction <= 1 and 0 <= self.min_support <= 1)
            or self.distinct_window <= 0
        ):
            problems.append("fractions must be in [0, 1] and distinct_window > 0")
        if self.min_samples < 2:
            problems.append("min_samples must be >= 2")
        if self.max_lines < 1 or self.evidence < 1:
            problems.append("max_lines and evidence must be >= 1")
        if problems:
            raise ConfigError("invalid match settings: " + "; ".join(problems))
