"""Evaluation harness for verify's matching: edited copies of corpus footage, ground truth, peers, scores.

``edits`` builds the labelled sets (dev, holdout, te) with ffmpeg; ``peers`` runs the systems
(verify, imagehash + alignment, vPDQ-style PDQ, videohash); ``score`` counts found / localised / false.
``benchmarks/eval_matching.py`` is the command line.
"""
