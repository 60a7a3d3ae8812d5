"""Picture and sound fused end to end: real files, a real library, both matchers, ``fuse``.

The reference is a moving picture with a real recording as its sound (Allison Smith's IVR prompt,
Debian ``asterisk-core-sounds-en-wav``, CC BY-SA 3.0; installed by .ci/run). Copies: its sound
under a still picture (the picture was replaced), its picture with the sound delayed 1.5 s (a
dubbed copy), and an in-sync copy whose audio stream starts 0.8 s after its video stream.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests import audio_media as am
from tests import media
from verify.audio import AudioIndex, audio_fingerprint, iter_audio, match_audio
from verify.fingerprint import QUERY, REFERENCE, fingerprint
from verify.library import Library, Provenance
from verify.matching import match_fingerprint
from verify.matching.fusion import Clocks, Fused, describe, fuse

SPEECH = am.debian_prompt("demo-instruct.wav")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SPEECH.exists(), reason="needs Debian asterisk-core-sounds-en-wav"),
]
RATE = am.RATE
W, H = 160, 120


def _moving(start: float = 0.0) -> media.Painter:
    base = media.textured(W, H, 1)
    return lambda i, t: base(i, t + start)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("fusion")
    speech = np.concatenate(list(iter_audio(SPEECH, RATE)))[: 24 * RATE]
    ref = am.write_clip(folder / "ref.mp4", speech[: 20 * RATE], _moving(), seconds=20.0)
    still_img = media.textured(W, H, 9)(0, 0.0)
    copies = {
        # the sound of 4-16 s under one still picture of something else
        "still": am.write_clip(folder / "still.mp4", speech[4 * RATE : 16 * RATE], lambda i, t: still_img, seconds=12.0),
        # the picture of 2-14 s; the sound delayed 1.5 s (at query time t one hears the reference's t + 0.5)
        "dubbed": am.write_clip(folder / "dubbed.mp4", speech[RATE // 2 : RATE // 2 + 12 * RATE], _moving(2.0), seconds=12.0),
        # the picture of 2-14 s with its own sound in sync, in an audio stream that starts 0.8 s late
        "late": am.write_clip(
            folder / "late.mp4", speech[int(2.8 * RATE) : 14 * RATE], _moving(2.0), seconds=12.0, audio_start=0.8
        ),
    }  # fmt: skip
    lib = Library(":memory:")
    added = lib.add(ref, Provenance(title="Press conference"), settings=REFERENCE)
    assert added.reference is not None
    ref_id = str(added.reference.id)
    ref_sound = audio_fingerprint(ref)
    ref_picture = fingerprint(ref, REFERENCE)
    index = AudioIndex.build([(ref_id, ref_sound)])
    return {
        "lib": lib,
        "index": index,
        "copies": copies,
        "ref_id": ref_id,
        "ref_lead": ref_sound.start_time - ref_picture.start_time,
    }


def _fused(setup: dict[str, object], name: str, with_clocks: bool = True) -> Fused:
    lib: Library = setup["lib"]  # type: ignore[assignment]
    path: Path = setup["copies"][name]  # type: ignore[index]
    picture_fp = fingerprint(path, QUERY)
    sound_fp = audio_fingerprint(path)
    pictures = match_fingerprint(picture_fp, lib).matches
    sounds = match_audio(sound_fp, setup["index"])  # type: ignore[arg-type]
    clocks = (
        Clocks(
            query_lead=sound_fp.start_time - picture_fp.start_time,
            reference_leads={setup["ref_id"]: setup["ref_lead"]},  # type: ignore[dict-item]
        )
        if with_clocks
        else Clocks()
    )
    return fuse(pictures, sounds, reference_of=lambda k: lib.get(int(k)), clocks=clocks)


def test_sound_under_a_still_is_found_as_sound_only(setup: dict[str, object]) -> None:
    fused = _fused(setup, "still")
    assert [m.channel for m in fused.matches] == ["sound"]
    (m,) = fused.matches
    assert m.reference.provenance.title == "Press conference"
    assert m.query_end - m.query_start > 9.0
    assert m.reference_start - m.query_start == pytest.approx(4.0, abs=0.15)
    assert m.audio is not None and m.audio.score > 0.5
    text = describe(m, fused.clocks, fused.matches)
    assert "has the sound of" in text and "the picture was replaced" in text


def test_dubbed_copy_reports_the_sound_behind_the_picture(setup: dict[str, object]) -> None:
    fused = _fused(setup, "dubbed")
    both = [m for m in fused.matches if m.channel == "both"]
    assert len(both) == 1, [(m.channel, m.query_start, m.query_end) for m in fused.matches]
    m = both[0]
    assert m.reference_start - m.query_start == pytest.approx(2.0, abs=0.3)  # the picture's placement
    assert m.sound_offset == pytest.approx(-1.5, abs=0.15)
    assert "1.5 s behind the picture" in describe(m) and "dubbed or re-synced" in describe(m)


def test_a_late_audio_stream_is_not_mistaken_for_a_resync(setup: dict[str, object]) -> None:
    (m,) = [m for m in _fused(setup, "late").matches if m.channel == "both"]
    assert abs(m.sound_offset or 0.0) < 0.2
    assert "agree" in describe(m)
    # without the stream start times the sound would look 0.8 s off
    (naive,) = [m for m in _fused(setup, "late", with_clocks=False).matches if m.channel == "both"]
    assert naive.sound_offset == pytest.approx(0.8, abs=0.2)
