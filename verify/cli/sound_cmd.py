"""The sound on the command line: ``verify library audio`` and the sound lines of ``verify match``.

Strings from files and the library go through ``safe_text``; the rest is constant text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..text import clock, json_text, plural, safe_text

if TYPE_CHECKING:
    from ..library import AddResult, Library
    from ..matching import MatchResult, SegmentMatch

_QUERY_SOUND = {
    "ok": "sound compared",
    "silent": "its sound has nothing distinct to compare (silence, room tone or a steady tone)",
    "no-audio": "no sound (picture only)",
    "undecodable": "its sound does not decode (picture only)",
    "no-sound": "no sound decoded (picture only)",
}


def query_sound(result: MatchResult) -> str:
    """The query line's note on the sound ("" when the sound was not compared)."""
    q = result.query
    if not q.sound:
        return ""
    text = _QUERY_SOUND.get(q.sound, "sound: " + safe_text(q.sound, limit=40))
    if q.sound == "ok":
        text += f" with the sound of {plural(result.library_sound_references, 'reference')}"
    return text


def channel_lines(m: SegmentMatch, result: MatchResult) -> list[str]:
    """What the sound says about match ``m``: one or two indented lines (none without sound)."""
    from ..matching.fusion import SYNC_TOLERANCE, channel_words, sound_note

    if not result.query.sound:
        return []
    a = m.audio
    if m.channel == "picture" or a is None:
        return ["   " + sound_note(m, result.clocks(), result.matches)]
    heard = (
        f"sound {clock(a.query_start, 1)}-{clock(a.query_end, 1)} of the query = "
        f"{clock(a.reference_start, 1)}-{clock(a.reference_end, 1)} of the reference, "
        f"score {a.score:.2f} ({a.matched_peaks} of {a.query_peaks} peaks)"
    )
    if abs(a.speed - 1) > 0.03:
        heard += f", speed {a.speed:.2f}x, pitch {safe_text(a.pitch, limit=20)}"
    if m.channel == "sound":
        return [f"   {channel_words(m.channel, result.query.kind != 'audio')}: " + heard]
    first = "   sound and picture"
    if m.timing == "sound":
        first += " (the picture barely moves: its time comes from the sound)"
    d = m.sound_offset
    if d is not None and abs(d) > SYNC_TOLERANCE:
        where = "after" if d > 0 else "before"
        first += f"; the sound is {abs(d):.1f} s {where} the picture (dubbed or re-synced)"
    return [first, "   " + heard]


def sound_detail(lib: Library, r: AddResult) -> str:
    """The sound stored with an added reference, for ``verify hash`` ("" when none was looked at)."""
    if r.status != "added" or r.reference is None:
        return ""
    found = lib.audio_of(r.reference.id)
    if found is None:
        return ""
    fp, _lead = found
    if fp.status == "ok":
        return f"sound: {plural(len(fp), 'peak')} over {fp.duration:.1f} s"
    return f"sound: {safe_text(fp.status, limit=20)} ({safe_text(fp.message, limit=120)})"


@click.command("audio")
@click.argument("ref_ids", nargs=-1)
@click.option(
    "--library", "library_path", required=True, type=str, help="The library file or PostgreSQL URL."
)
@click.option("--again", is_flag=True, help="Fingerprint the sound again even where it was done before.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
def library_audio(ref_ids: tuple[str, ...], library_path: str, again: bool, as_json: bool) -> None:
    """Fingerprint the sound of references hashed before (REF_IDS, or every one not yet done).

    Only the sound is decoded, from each reference's stored file (which must be unchanged: same
    sha256); its picture fingerprint is left as it is."""
    import dataclasses

    from .match_cmd import open_library

    with open_library(library_path) as lib:
        done = lib.add_audio(list(ref_ids) if ref_ids else None, again=again)
        from ..library.audio_store import audio_stats

        stats = audio_stats(lib)
    if as_json:
        click.echo(json_text({"references": [dataclasses.asdict(d) for d in done], "stats": stats}))
    else:
        for d in done:
            what = (
                f"{plural(d.peaks, 'peak')} over {d.seconds:.1f} s"
                if d.status == "ok"
                else safe_text(d.message)
            )
            click.echo(f"{d.status:<11} #{d.ref_id:<5} {what}")
        click.echo(_stats_line(stats), err=True)
    if any(d.status == "failed" for d in done):
        from . import PartialFailure

        raise PartialFailure(f"{sum(d.status == 'failed' for d in done)} of {len(done)} references failed")


def _stats_line(stats: dict[str, Any]) -> str:
    by = ", ".join(f"{n} {safe_text(k)}" for k, n in stats["by_status"].items()) or "none"
    per_hour = f", {stats['bytes_per_hour'] / 1e6:.2f} MB per hour" if stats["hours"] else ""
    return (
        f"sound of {plural(stats['references'], 'reference')}: {by}; {stats['missing']} never looked at; "
        f"{stats['hours']:.2f} h of sound in {stats['bytes'] / 1e6:.2f} MB{per_hour}"
    )


__all__ = ["channel_lines", "library_audio", "query_sound", "sound_detail"]
