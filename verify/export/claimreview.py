"""Publish the verdict as schema.org ``ClaimReview`` JSON-LD (the fact-check markup search engines read).

``claim_review(report, details) -> dict`` builds the document from a :class:`Report` (its
verdict, its file's name, type and sha256, its matches) and what only the analyst knows
(:class:`ClaimDetails`: the claim, who made it and where, the publisher and the review's URL).
``validate(doc)`` checks it against the fields Google's Fact Check markup requires (``claimReviewed``,
``reviewRating`` with ``alternateName``, ``url``, ``author`` with a name, ``datePublished``,
``itemReviewed`` as a ``Claim``) and returns errors that name the field. ``to_json_ld(doc)`` and
``script_tag(doc)`` give text that is safe inside ``<script type="application/ld+json">``: strings
stay verbatim once parsed, but ``<``, ``>``, ``&`` and the JavaScript line separators are written as
``\\uXXXX`` escapes, so a claim containing ``</script>`` or ``<!--`` cannot end the script element.

The verdict maps to a textual rating (``alternateName``) and a numeric scale 1 (worst) to 4 (best):

=============  ==============  ===========
verdict        alternateName   ratingValue
=============  ==============  ===========
false          False           1
misleading     Misleading      2
unverified     Unproven        3
verified       True            4
=============  ==============  ===========
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..errors import ReportError
from ..notes import utc_now
from ..report.model import Report

CONTEXT = "https://schema.org"
WORST, BEST = 1, 4
RATINGS: dict[str, tuple[str, int]] = {
    "false": ("False", 1),
    "misleading": ("Misleading", 2),
    "unverified": ("Unproven", 3),
    "verified": ("True", 4),
}
_MEDIA_TYPES = {"video": "VideoObject", "image": "ImageObject", "audio": "AudioObject"}
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class ClaimReviewError(ReportError, ValueError):
    default_hint = "Give the missing details (see `verify claimreview --help` or docs/intake.md)."


@dataclass(frozen=True)
class ClaimDetails:
    """What the analyst adds to the report to publish it."""

    claim: str  # the claim as made ("Video shows black smoke over the army camp last night")
    review_url: str  # the published fact-check article
    publisher: str  # organisation publishing the review
    publisher_url: str = ""
    author: str = ""  # person who wrote the review (the publisher is the author when empty)
    claim_author: str = ""  # who made the claim
    claim_author_url: str = ""
    appearance_url: str = ""  # where the claim (the clip) was seen
    first_appearance_url: str = ""
    claim_date: str = ""  # when the claim was made (ISO date)
    date_published: str = ""  # of the review (default: today, UTC)
    headline: str = ""
    language: str = ""  # BCP 47, e.g. "en"
    rating_explanation: str = ""  # default: the notes' summary


def _org(name: str, url: str = "", kind: str = "Organization") -> dict[str, Any]:
    out: dict[str, Any] = {"@type": kind, "name": name}
    if url:
        out["url" if kind == "Organization" else "sameAs"] = url
    return out


def _media_object(report: Report, url: str) -> dict[str, Any]:
    kind = str(report.probe.get("summary", {}).get("type") or "")
    obj: dict[str, Any] = {
        "@type": _MEDIA_TYPES.get(kind, "MediaObject"),
        "name": report.file.name,
        "identifier": {"@type": "PropertyValue", "propertyID": "sha256", "value": report.file.sha256},
        "contentSize": f"{report.file.size} B",
    }
    if url:
        obj["url"] = url  # the post it appeared in (not the media file's own URL)
    return obj


def claim_review(report: Report, details: ClaimDetails) -> dict[str, Any]:
    """The ClaimReview document (a plain dict; see :func:`validate` and :func:`to_json_ld`)."""
    missing = [n for n in ("claim", "review_url", "publisher") if not str(getattr(details, n)).strip()]
    if missing:
        raise ClaimReviewError(f"a ClaimReview needs {', '.join(missing)}")
    verdict = report.notes.verdict
    label, value = RATINGS[verdict]
    explanation = details.rating_explanation or report.notes.summary
    rating: dict[str, Any] = {
        "@type": "Rating",
        "alternateName": label,
        "ratingValue": value,
        "bestRating": BEST,
        "worstRating": WORST,
    }
    if explanation:
        rating["ratingExplanation"] = explanation
    claim: dict[str, Any] = {"@type": "Claim", "appearance": [_media_object(report, details.appearance_url)]}
    if details.claim_author:
        claim["author"] = _org(details.claim_author, details.claim_author_url, "Person")
    if details.claim_date:
        claim["datePublished"] = details.claim_date
    if details.first_appearance_url:
        claim["firstAppearance"] = {"@type": "CreativeWork", "url": details.first_appearance_url}
    publisher = _org(details.publisher, details.publisher_url)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": details.review_url,
        "claimReviewed": details.claim,
        "author": _org(details.author, kind="Person") if details.author else publisher,
        "publisher": publisher,
        "datePublished": details.date_published or utc_now()[:10],
        "reviewRating": rating,
        "itemReviewed": claim,
    }
    if details.headline:
        doc["headline"] = details.headline
    if details.language:
        doc["inLanguage"] = details.language
    known = [m.reference.provenance for m in report.matches if m.reference.provenance.source_url]
    if known:  # the earlier footage the clip was matched to: the evidence behind the rating
        doc["isBasedOn"] = [
            {"@type": "CreativeWork", "url": p.source_url, **({"name": p.title} if p.title else {}),
             **({"datePublished": p.first_seen} if p.first_seen else {})}
            for p in known
        ]  # fmt: skip
    return doc


@dataclass(frozen=True)
class Validation:
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _is_date(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    try:
        (date if len(v) == 10 else datetime).fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _check_party(v: Any, where: str, errors: list[str]) -> None:
    if not isinstance(v, dict):
        errors.append(f"{where}: missing (an Organization or Person with a name)")
    elif v.get("@type") not in ("Organization", "Person"):
        errors.append(f"{where}.@type: must be Organization or Person")
    elif not _text(v.get("name")):
        errors.append(f"{where}.name: missing")


def validate(doc: Any) -> Validation:
    """Check a ClaimReview against the required fields; each error names its field."""
    errors: list[str] = []
    warnings: list[str] = []
    if not isinstance(doc, dict):
        return Validation(("document: not a JSON object",))
    if doc.get("@context") not in (CONTEXT, "http://schema.org", CONTEXT + "/"):
        errors.append("@context: must be https://schema.org")
    if doc.get("@type") != "ClaimReview":
        errors.append("@type: must be ClaimReview")
    if not _text(doc.get("claimReviewed")):
        errors.append("claimReviewed: missing (the claim, as text)")
    url = doc.get("url")
    if not _text(url):
        errors.append("url: missing (the page of the fact-check)")
    elif not _URL.match(str(url)):
        errors.append("url: not an absolute http(s) URL")
    _check_party(doc.get("author"), "author", errors)
    if not _text(doc.get("datePublished")):
        errors.append("datePublished: missing")
    elif not _is_date(doc["datePublished"]):
        errors.append("datePublished: not an ISO 8601 date")
    rating = doc.get("reviewRating")
    if not isinstance(rating, dict):
        errors.append("reviewRating: missing (a Rating)")
    else:
        if rating.get("@type") != "Rating":
            errors.append("reviewRating.@type: must be Rating")
        if not _text(rating.get("alternateName")):
            errors.append("reviewRating.alternateName: missing (the textual rating)")
        if "ratingValue" in rating:
            nums = {k: rating.get(k) for k in ("ratingValue", "bestRating", "worstRating")}
            bad = [k for k, v in nums.items() if not isinstance(v, (int, float)) or isinstance(v, bool)]
            if bad:
                errors += [f"reviewRating.{k}: missing or not a number" for k in bad]
            elif not nums["worstRating"] <= nums["ratingValue"] <= nums["bestRating"]:  # type: ignore[operator]
                errors.append("reviewRating.ratingValue: outside worstRating..bestRating")
        if rating.get("alternateName") == RATINGS["unverified"][0]:
            warnings.append("reviewRating: the verdict is still 'unverified'; publish once the check is done")
    item = doc.get("itemReviewed")
    if not isinstance(item, dict):
        errors.append("itemReviewed: missing (a Claim)")
    elif item.get("@type") != "Claim":
        errors.append("itemReviewed.@type: must be Claim")
    else:
        if "author" in item:
            _check_party(item["author"], "itemReviewed.author", errors)
        else:
            warnings.append("itemReviewed.author: who made the claim is recommended")
        if not (item.get("appearance") or item.get("firstAppearance")):
            warnings.append("itemReviewed.appearance: where the claim appeared is recommended")
        for i, a in enumerate(item.get("appearance") or []):
            if isinstance(a, dict) and a.get("url") and not _URL.match(str(a["url"])):
                errors.append(f"itemReviewed.appearance[{i}].url: not an absolute http(s) URL")
    return Validation(tuple(errors), tuple(warnings))


def to_json_ld(doc: dict[str, Any], *, indent: int | None = 2) -> str:
    """JSON text safe to embed in HTML: ``<``, ``>``, ``&``, U+2028/9 escaped (values unchanged)."""
    text = json.dumps(doc, ensure_ascii=False, indent=indent)
    for ch in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text


def script_tag(doc: dict[str, Any]) -> str:
    """The ``<script type="application/ld+json">`` element to paste into the review's page."""
    return f'<script type="application/ld+json">\n{to_json_ld(doc)}\n</script>'
