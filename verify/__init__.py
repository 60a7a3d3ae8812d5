"""verify: offline media verification (probe, frames, hashes, known-footage matching, reports).

Importing ``verify`` is cheap and pulls in neither streamlit nor click.
"""

__version__ = "0.1.0"
