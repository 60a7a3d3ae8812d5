"""verify.audio matching: the index against a brute-force oracle, alignment of edited copies, negatives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests import audio_media as am
from verify.audio import AudioFingerprint, AudioIndex, AudioMatchSettings, audio_fingerprint, match_audio
from verify.errors import AlgorithmMismatchError, ConfigError

REF_SECONDS = 24.0


@pytest.fixture(scope="module")
def refs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    return {
        "voice-a": am.speechlike(REF_SECONDS, seed=11, voice=1),
        "voice-b": am.speechlike(REF_SECONDS, seed=12, voice=2),
        "sweeps": am.chirps(REF_SECONDS, seed=13),
    }


@pytest.fixture(scope="module")
def index(refs: dict[str, np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> AudioIndex:
    d = tmp_path_factory.mktemp("refs")
    fps = [
        (name, audio_fingerprint(am.write_audio(d / f"{name}.wav", x, codec="pcm_s16le")))
        for name, x in refs.items()
    ]
    return AudioIndex.build(fps)


def query(tmp_path: Path, x: np.ndarray, name: str = "q.m4a") -> AudioFingerprint:
    return audio_fingerprint(am.write_audio(tmp_path / name, x, bitrate=24000))


def test_lookup_equals_brute_force() -> None:
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 500, 3000).astype(np.uint64)
    idx = AudioIndex(
        settings=AudioIndex.build([]).settings,
        ids=("a", "b"),
        durations=np.ones(2),
        hashes=np.sort(hashes),
        post_ref=rng.integers(0, 2, 3000).astype(np.uint32),
        post_frame=rng.integers(0, 10**6, 3000).astype(np.uint32),
        peak_start=np.zeros(3, np.int64),
        peak_times=np.zeros(0, np.float32),
        peak_pitch=np.zeros(0, np.float32),
    )
    keys = rng.integers(0, 520, 400).astype(np.uint64)
    ki, ref, frame = idx.lookup(keys)
    got = sorted(zip(ki.tolist(), ref.tolist(), frame.tolist()))
    want = sorted(
        (q, int(idx.post_ref[p]), int(idx.post_frame[p]))
        for q, k in enumerate(keys)
        for p in np.nonzero(idx.hashes == k)[0]
    )
    assert got == want
    capped, _, _ = idx.lookup(keys, max_postings=5)
    counts = np.bincount(np.searchsorted(np.unique(idx.hashes), idx.hashes), minlength=1)
    assert capped.size < ki.size and counts.max() > 5


def test_index_round_trip_as_plain_arrays(
    index: AudioIndex, refs: dict[str, np.ndarray], tmp_path: Path
) -> None:
    arrays = index.to_arrays()
    np.savez(tmp_path / "index.npz", **arrays)
    loaded = dict(np.load(tmp_path / "index.npz"))
    back = AudioIndex.from_arrays(loaded, index.settings)
    assert back.ids == index.ids
    q = query(tmp_path, refs["voice-a"][5 * am.RATE : 13 * am.RATE])
    assert [(m.reference, round(m.offset, 3)) for m in match_audio(q, back)] == [
        (m.reference, round(m.offset, 3)) for m in match_audio(q, index)
    ]


def _one(matches: list, name: str) -> object:
    assert [m.reference for m in matches] == [name], matches
    return matches[0]


def test_low_bitrate_excerpt_is_localised(
    index: AudioIndex, refs: dict[str, np.ndarray], tmp_path: Path
) -> None:
    m = _one(match_audio(query(tmp_path, refs["voice-b"][7 * am.RATE : 10 * am.RATE]), index), "voice-b")
    assert m.query_start < 0.6 and m.query_end > 2.4
    assert m.reference_start == pytest.approx(7.0 + m.query_start, abs=0.1)
    assert m.speed == pytest.approx(1.0, abs=0.02) and m.score > 0.5
    assert m.evidence and all(e.matched <= e.peaks for e in m.evidence)


@pytest.mark.parametrize(
    ("speed", "how"), [(0.8, "resample"), (1.4, "resample"), (0.78, "tempo"), (1.45, "tempo")]
)
def test_speed_changes_are_found_with_speed_and_pitch(
    index: AudioIndex, refs: dict[str, np.ndarray], tmp_path: Path, speed: float, how: str
) -> None:
    x = refs["voice-a"]
    edited = am.resample(x, speed) if how == "resample" else am.tempo(x, speed)
    m = _one(match_audio(query(tmp_path, edited), index), "voice-a")
    assert m.speed == pytest.approx(speed, rel=0.02)
    assert m.pitch == ("shifted" if how == "resample" else "kept")
    assert m.query_end - m.query_start > 0.7 * REF_SECONDS / speed
    # the alignment maps query times onto the reference clock
    assert m.reference_start == pytest.approx(m.speed * m.query_start + m.offset, abs=1e-6)
    assert 0 <= m.reference_start < 3 and m.reference_end > REF_SECONDS - 4


def test_noise_and_band_pass(index: AudioIndex, refs: dict[str, np.ndarray], tmp_path: Path) -> None:
    from scipy.signal import butter, sosfilt

    x = refs["sweeps"]
    noisy = x + am.noise(REF_SECONDS, level_db=-20, seed=4)  # ~ +5 dB SNR
    band = sosfilt(butter(4, [300, 3400], btype="band", fs=am.RATE, output="sos"), x)
    echo = band + 0.5 * np.roll(band, int(0.05 * am.RATE))
    for i, y in enumerate((noisy, echo)):
        _one(
            match_audio(query(tmp_path, (0.7 * y / np.abs(y).max()).astype(np.float32), f"e{i}.m4a"), index),
            "sweeps",
        )


def test_compilation_gives_one_segment_per_source(
    index: AudioIndex, refs: dict[str, np.ndarray], tmp_path: Path
) -> None:
    a, b = refs["voice-a"][2 * am.RATE : 10 * am.RATE], refs["sweeps"][12 * am.RATE : 20 * am.RATE]
    ms = match_audio(query(tmp_path, np.concatenate([a, b])), index)
    assert [m.reference for m in ms] == ["voice-a", "sweeps"]
    # the cut is at 8 s; a segment's end can run ~0.6 s past a hard cut (1 s windows at 20 %)
    assert 7.5 <= ms[0].query_end <= 9.0 and 7.5 <= ms[1].query_start <= 8.6
    assert ms[1].reference_start == pytest.approx(12.0 + ms[1].query_start - 8.0, abs=0.15)


@pytest.mark.parametrize("kind", ["silence", "room-tone", "same-voice-other-words", "other-voice"])
def test_negatives_match_nothing(index: AudioIndex, tmp_path: Path, kind: str) -> None:
    x = {
        "silence": np.zeros(int(10 * am.RATE), np.float32),
        "room-tone": am.noise(10.0, level_db=-35, seed=7),
        "same-voice-other-words": am.speechlike(REF_SECONDS, seed=99, voice=1),
        "other-voice": am.speechlike(REF_SECONDS, seed=98, voice=5),
    }[kind]
    assert match_audio(query(tmp_path, x), index) == []


def test_mismatched_settings_and_bad_match_settings(
    index: AudioIndex, refs: dict[str, np.ndarray], tmp_path: Path
) -> None:
    from dataclasses import replace

    q = query(tmp_path, refs["voice-a"][: 5 * am.RATE])
    with pytest.raises(AlgorithmMismatchError):
        match_audio(replace(q, algorithm="audio-other/v9"), index)
    with pytest.raises(AlgorithmMismatchError):
        match_audio(replace(q, settings=replace(q.settings, hop=128)), index)
    with pytest.raises(ConfigError):
        match_audio(q, index, AudioMatchSettings(min_speed=1.2))
    assert match_audio(q, AudioIndex.build([])) == []


REAL = am.debian_prompt("demo-instruct.wav")  # Debian asterisk-core-sounds-en-wav, CC BY-SA 3.0


@pytest.mark.slow
@pytest.mark.skipif(not REAL.exists(), reason="Debian asterisk-core-sounds-en-wav is not installed")
def test_real_speech_sped_up_with_pitch_kept(tmp_path: Path) -> None:
    """A real recording (Allison Smith's IVR prompt, 73 s) played 1.5x with atempo, as Opus 24 kbps."""
    import av

    with av.open(str(REAL)) as c:
        x = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]).astype(np.float32) / 32768
    x16 = am.resample(x, 0.5)  # 8 kHz -> 16 kHz
    index = AudioIndex.build([("allison", audio_fingerprint(REAL))])
    fast = am.tempo(x16[: 40 * am.RATE], 1.5)
    q = audio_fingerprint(
        am.write_audio(tmp_path / "q.ogg", fast, rate=16000, codec="libopus", bitrate=24000)
    )
    m = _one(match_audio(q, index), "allison")
    assert m.speed == pytest.approx(1.5, rel=0.02) and m.pitch == "kept"


CODEC2 = Path("/usr/share/codec2/wav")  # Debian codec2-examples (LGPL-2.1): amateur-radio speech, 8 kHz


@pytest.mark.skipif(not (CODEC2 / "david4.wav").exists(), reason="Debian codec2-examples is not installed")
def test_narrow_band_radio_speech_is_found_though_chance_is_high(tmp_path: Path) -> None:
    """Radio speech keeps its peaks below 3 kHz, so 15-20 % of them land on a reference peak at any
    offset and the lift over chance stays under 4 even for a clean copy: the excess over chance
    (``min_excess``) must let it through, and another radio speaker must still match nothing."""
    import av

    def pcm(path: Path) -> np.ndarray:
        with av.open(str(path)) as c:
            x = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)]).astype(np.float32)
        return x / 32768

    index = AudioIndex.build([("david4", audio_fingerprint(CODEC2 / "david4.wav"))])
    copy = am.resample(pcm(CODEC2 / "david4.wav"), 0.5)  # 8 kHz -> 16 kHz, then AAC 24 kbps
    q = audio_fingerprint(am.write_audio(tmp_path / "q.m4a", copy, rate=16000, bitrate=24000))
    m = _one(match_audio(q, index), "david4")
    assert m.lift < AudioMatchSettings().min_lift  # the ratio alone would have rejected it
    assert (
        m.query_end - m.query_start > 25 and abs(m.offset) < 0.1 and m.speed == pytest.approx(1.0, abs=0.01)
    )
    assert match_audio(q, index, AudioMatchSettings(min_excess=1.0)) == []  # the ratio rule alone: missed
    other = am.resample(pcm(CODEC2 / "vk2tpm_004.wav"), 0.5)
    q2 = audio_fingerprint(am.write_audio(tmp_path / "other.m4a", other, rate=16000, bitrate=24000))
    assert match_audio(q2, index) == []
