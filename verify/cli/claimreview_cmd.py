"""``verify claimreview SOURCE …``: the verdict as schema.org ClaimReview JSON-LD, validated.

SOURCE is a clip (analysed as ``verify report`` would, with ``--library`` and ``--notes``), a case
file (``.verify.zip``) or a report's JSON. The verdict comes from the notes; the claim, its author
and where it appeared, the publisher and the review's URL come from the options (or ``--details``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import VerifyError


def _fields() -> set[str]:
    from ..export.claimreview import ClaimDetails

    return {f.name for f in dataclasses.fields(ClaimDetails)}


def _report(source: Path, library: str | None, notes: Path | None) -> Any:
    name = source.name.lower()
    if name.endswith(".verify.zip"):
        from ..case import open_case

        report = open_case(source).report
    elif name.endswith(".json"):
        from ..report import Report

        try:
            report = Report.from_json(source.read_text(encoding="utf-8"))
        except OSError as exc:
            raise VerifyError(
                f"cannot read the report ({exc.strerror or exc})", path=source, stage="report"
            ) from exc
    else:
        from .report_cmd import _build

        return _build(source, library, notes, False, 5)
    loaded = _notes(notes)
    return report.with_notes(loaded) if loaded is not None else report


def _notes(path: Path | None) -> Any:
    if path is None:
        return None
    from ..notes import load_notes

    return load_notes(path)


def _details(path: Path | None, options: dict[str, str | None]) -> Any:
    from ..export.claimreview import ClaimDetails, ClaimReviewError

    values: dict[str, str] = {}
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ClaimReviewError(f"cannot read the details file ({exc})", path=path) from exc
        if not isinstance(data, dict):
            raise ClaimReviewError("the details file must be a JSON object", path=path)
        unknown = sorted(set(data) - _fields())
        if unknown:
            raise ClaimReviewError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_fields()))}",
                                   path=path)  # fmt: skip
        values.update({k: str(v) for k, v in data.items() if v is not None})
    values.update({k: v for k, v in options.items() if v})
    missing = [k for k in ("claim", "review_url", "publisher") if not values.get(k)]
    if missing:
        flags = ", ".join("--" + m.replace("_", "-") for m in missing)
        raise ClaimReviewError(f"a ClaimReview needs {flags}")
    return ClaimDetails(**values)


def _opt(name: str, text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(f"--{name}", name.replace("-", "_"), default=None, help=text)


@click.command("claimreview")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--library", type=str, default=None, help="Library to match a clip against: its file or a PostgreSQL URL."
)
@click.option("--notes", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Analyst notes with the verdict (NOTES.md or NOTES.json).")  # fmt: skip
@_opt("claim", "The claim reviewed, as text (claimReviewed).")
@_opt("review-url", "URL of the published fact-check (url).")
@_opt("publisher", "Organisation publishing the review.")
@_opt("publisher-url", "Its web site.")
@_opt("author", "Person who wrote the review (default: the publisher).")
@_opt("claim-author", "Who made the claim.")
@_opt("claim-author-url", "A profile URL of who made the claim.")
@_opt("appearance-url", "Where the claim (the clip) appeared.")
@_opt("first-appearance-url", "Where the claim first appeared.")
@_opt("claim-date", "When the claim was made (YYYY-MM-DD).")
@_opt("date-published", "Date of the review (default: today).")
@_opt("headline", "Headline of the review.")
@_opt("language", "Language of the review (e.g. en).")
@click.option("--details", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="JSON file with any of these fields (options given on the command line win).")  # fmt: skip
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write here (default: print).")  # fmt: skip
@click.option(
    "--html", "as_html", is_flag=True, help='Write the <script type="application/ld+json"> element.'
)
def claimreview_command(source: Path, library: str | None, notes: Path | None, details: Path | None,
                        out: Path | None, as_html: bool, **options: str | None) -> None:  # fmt: skip
    """Export the verdict on SOURCE as schema.org ClaimReview JSON-LD, validated.

    The rating comes from the verdict in the notes (false, misleading, unverified, verified); the
    file is named with its sha256 as the item reviewed's appearance.
    """
    from ..export.claimreview import ClaimReviewError, claim_review, script_tag, to_json_ld, validate

    info = _details(details, options)
    report = _report(source, library, notes)
    doc = claim_review(report, info)
    result = validate(doc)
    if not result.ok:
        raise ClaimReviewError("the ClaimReview is not valid: " + "; ".join(result.errors))
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    text = script_tag(doc) if as_html else to_json_ld(doc)
    if out is None:
        click.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise VerifyError(f"cannot write ({exc.strerror or exc})", path=out, stage="output") from exc
    rating = doc["reviewRating"]
    click.echo(
        f"{out}  (ClaimReview, rating {rating['alternateName']} {rating['ratingValue']}/{rating['bestRating']}; valid)"
    )


def register(cli: click.Group) -> None:
    cli.add_command(claimreview_command)
