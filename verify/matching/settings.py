"""Matching settings: one frozen value, defaults argued in docs/matching.md."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError

SCHEMA_VERSION = 3


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
    * ``reverse``: also search speeds ``-max_speed .. -min_speed`` (played backwards); such a line
      needs ``reverse_min_support`` (a motion played backwards can retrace one seen elsewhere: a
      swinging or circling object; a true reversed copy aligns nearly every frame); a line at
      another speed than 1 needs ``warped_min_support`` (a static scene fits a slowed or sped-up
      line about as well as the normal one: the same camera at another moment did, at 0.77x).
    * ``max_lines``: accepted alignments per reference (a loop repeats an excerpt: each repeat is
      a line); ``max_stray``: lines that yield nothing (look-alikes) tried per reference before
      giving up, counted apart so they cannot use up the accepted ones.
    * ``max_repeats``: a line whose samples also fit up to this many parallel lines equally well
      (a reference that repeats its picture: looped footage) is accepted with the others as
      ``alternatives``; ``repeat_share``: a parallel line counts when it gathers this share of the
      best line's samples.
    * ``fine``: place low-motion footage by the fine block-mean series (``verify.matching.fine``);
      ``fine_min_correlation``, ``fine_min_margin``: what its line needs (correlation of what moves,
      and its lead over the best correlation at any moment farther than ``fine_window`` seconds);
      a line at another speed than 1 (or backwards) needs ``fine_min_correlation_warped``: time-scaled
      and reversed hypotheses are many, and a smooth motion can retrace another stretch of itself.
    * ``scene_max_distance``, ``scene_min_fraction``: a reference that cannot be placed is reported
      as the same scene when the query's usable samples match it within this many bits (median)
      for at least this share of a span of ``min_duration``.
    * ``layouts_first``: search every query column at once (before issue 13: crop windows, bands,
      insets, panels, turns for every sample) instead of the plain columns first and the guessed
      regions only for the samples those did not place.
    * ``coarse_radius``, ``coarse_refs``, ``coarse_min_hits``, ``coarse_from_rows``: search a large
      library (at least ``coarse_from_rows`` rows) in two stages (issue 13, an archive): the whole
      library at ``coarse_radius`` bits (718 index probes per hash instead of 3,588), then, at
      ``radius``, only the rows of the ``coarse_refs`` references hit by the most distinct query
      hashes (at least ``coarse_min_hits``; ties go to the closest hash). A smaller library, or
      ``coarse_radius >= radius``, is searched whole at ``radius`` (one stage: exhaustive where
      that is cheap). A library whose index is *sampled* (``verify.library.persistent``: from
      ~37 h, about one row per second of each reference and variant) is always searched in two
      stages, the first over the sample. ``coarse_stride`` (every n-th query sample in the first
      stage) and ``coarse_grid`` (the first stage counts only the rows a sampled index at that
      many seconds would hold: its effect measured on a small library) are for measurements; the
      defaults (1, 0) use everything.
    * ``evidence``: frame pairs kept per segment.
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
    max_lines: int = 8
    max_stray: int = 4
    reverse: bool = True
    reverse_min_support: float = 0.6
    warped_min_support: float = 0.5
    max_repeats: int = 8
    repeat_share: float = 0.8
    fine: bool = True
    fine_min_correlation: float = 0.75
    fine_min_margin: float = 0.15
    fine_min_correlation_warped: float = 0.9
    fine_window: float = 1.0
    scene_max_distance: float = 4.0
    scene_min_fraction: float = 0.6
    layouts_first: bool = False
    coarse_radius: int = 8
    coarse_refs: int = 64
    coarse_min_hits: int = 2
    coarse_from_rows: int = 2_000_000
    coarse_stride: int = 1
    coarse_grid: float = 0.0
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
        if self.max_lines < 1 or self.evidence < 1 or self.max_stray < 0 or self.max_repeats < 1:
            problems.append("max_lines, max_repeats and evidence must be >= 1, max_stray >= 0")
        if not (-1 <= self.fine_min_correlation <= 1 and self.fine_min_margin >= 0 and self.fine_window > 0):
            problems.append("fine_min_correlation must be in [-1, 1], fine_min_margin >= 0, fine_window > 0")
        if (
            not 0 <= self.coarse_radius <= 64
            or min(self.coarse_refs, self.coarse_min_hits) < 1
            or self.coarse_from_rows < 0
            or self.coarse_stride < 1
            or not self.coarse_grid >= 0
        ):
            problems.append(
                "coarse_radius must be 0..64 bits, coarse_refs, coarse_min_hits and coarse_stride >= 1, "
                "coarse_from_rows and coarse_grid >= 0"
            )
        if problems:
            raise ConfigError("invalid match settings: " + "; ".join(problems))
