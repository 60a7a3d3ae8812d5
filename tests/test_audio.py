"""verify.audio: decoding, peaks and the fingerprint value (generated sound, see tests/audio_media.py)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest

from tests import audio_media as am
from tests import media
from verify import serial
from verify.audio import DEFAULT, AudioFingerprint, AudioFingerprinter, AudioSettings, audio_fingerprint
from verify.audio.decode import MAX_BAD_PACKETS
from verify.audio.peaks import PeakExtractor
from verify.errors import AudioDecodeError, ConfigError, EmptyFileError, NoAudioStreamError, VerifyError


@pytest.fixture(scope="module")
def speech_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return am.write_audio(tmp_path_factory.mktemp("audio") / "speech.m4a", am.speechlike(12.0, seed=1))


def test_fingerprint_of_speech_has_dense_peaks_in_band(speech_file: Path) -> None:
    fp = audio_fingerprint(speech_file)
    assert fp.algorithm == "audio-peaks/v2"
    assert 11.5 < fp.duration < 12.5
    assert 10 * 12 < len(fp) <= DEFAULT.peaks_per_second * 13
    assert np.all(np.diff(fp.times) >= 0)
    assert fp.freqs.min() >= DEFAULT.fmin - 20 and fp.freqs.max() <= DEFAULT.fmax + 20
    assert fp.stream["codec"] == "aac" and fp.stream["channels"] == 1
    assert fp.loud_seconds > 8


def test_silence_has_no_peaks(tmp_path: Path) -> None:
    fp = audio_fingerprint(am.write_audio(tmp_path / "silence.m4a", np.zeros(5 * am.RATE, np.float32)))
    assert len(fp) == 0 and fp.loud_seconds == 0.0


def test_no_audio_stream_is_its_own_error(clip: Path) -> None:
    with pytest.raises(NoAudioStreamError) as err:
        audio_fingerprint(clip)
    assert isinstance(err.value, VerifyError) and "\n" not in str(err.value)
    assert "picture" in str(err.value)


def test_video_with_sound_is_fingerprinted(tmp_path: Path) -> None:
    path = am.write_clip(tmp_path / "av.mp4", am.speechlike(4.0, seed=3), media.textured(), seconds=4.0)
    fp = audio_fingerprint(path)
    assert fp.duration > 3.5 and fp.status == "ok" and fp.has_sound
    assert len(fp) > 40 and fp.stream["channels"] == 2


def test_a_steady_tone_gives_no_peaks_and_says_so(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "av.mp4", seconds=4.0, audio=True)  # a steady 440 Hz tone
    fp = audio_fingerprint(path)
    assert fp.duration > 3.5 and fp.loud_seconds > 3
    assert len(fp) == 0 and fp.status == "silent" and not fp.has_sound
    assert "steady tone" in fp.message
    # the same tone under speech: the speech keeps its peaks, the tone's line gives none
    x = am.speechlike(8.0, seed=4)
    tone = 0.3 * np.sin(2 * np.pi * 1000 * np.arange(x.size) / am.RATE).astype(np.float32)
    with_tone = audio_fingerprint(am.write_audio(tmp_path / "tone.m4a", x + tone))
    clean = audio_fingerprint(am.write_audio(tmp_path / "clean.m4a", x))
    near_tone = np.abs(with_tone.freqs - 1000) < 20
    assert near_tone.mean() < 0.05
    assert len(with_tone) > 0.6 * len(clean)


def test_undecodable_audio_is_one_line_error(tmp_path: Path, speech_file: Path) -> None:
    data = bytearray(speech_file.read_bytes())
    mdat = data.find(b"mdat")
    end = mdat - 4 + int.from_bytes(data[mdat - 4 : mdat], "big")
    rng = np.random.default_rng(0)
    data[mdat + 4 : end] = rng.integers(0, 256, end - mdat - 4, dtype=np.uint8).tobytes()  # the sound only
    bad = tmp_path / "bad.m4a"
    bad.write_bytes(bytes(data))
    with pytest.raises(AudioDecodeError) as err:
        audio_fingerprint(bad)
    assert "\n" not in str(err.value) and "bad.m4a" in str(err.value) and "picture" in str(err.value)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.m4a").write_bytes(b"")
    with pytest.raises(EmptyFileError):
        audio_fingerprint(tmp_path / "e.m4a")


def test_eight_channels_at_96k_match_the_mono_version(tmp_path: Path) -> None:
    x96 = am.speechlike(6.0, seed=3, rate=96000)
    multi = audio_fingerprint(
        am.write_audio(tmp_path / "m.wav", x96, rate=96000, codec="pcm_s16le", channels=8)
    )
    mono = audio_fingerprint(am.write_audio(tmp_path / "s.wav", x96, rate=96000, codec="pcm_s16le"))
    assert multi.stream["channels"] == 8 and multi.stream["sample_rate"] == 96000
    assert abs(len(multi) - len(mono)) <= 0.05 * len(mono)
    np.testing.assert_allclose(multi.times[:50], mono.times[:50], atol=0.03)


def test_push_api_gives_the_file_fingerprint(speech_file: Path) -> None:
    pushed = AudioFingerprinter(DEFAULT)
    with av.open(str(speech_file)) as c:
        for frame in c.decode(audio=0):
            pushed.add_frame(frame)
    a, b = pushed.finish(), audio_fingerprint(speech_file)
    assert len(a) == len(b)
    np.testing.assert_allclose(a.times, b.times, atol=1e-4)
    np.testing.assert_allclose(a.freqs, b.freqs, rtol=1e-4)


def _frames(x: np.ndarray, rate: int, layout: str, fmt: str, size: int = 1024) -> list[av.AudioFrame]:
    """Decoder-like frames of mono samples ``x`` (copied to every channel of ``layout``)."""
    channels = av.AudioLayout(layout).nb_channels
    out = []
    for off in range(0, x.size, size):
        chunk = np.repeat(x[None, off : off + size], channels, axis=0).astype(np.float32)
        if fmt == "s16":
            arr = np.ascontiguousarray((chunk.T * 32767).astype(np.int16)).reshape(1, -1)
        else:  # fltp: one plane per channel
            arr = np.ascontiguousarray(chunk)
        frame = av.AudioFrame.from_ndarray(arr, format=fmt, layout=layout)
        frame.sample_rate = rate
        out.append(frame)
    return out


def test_push_api_takes_any_layout_and_rate_even_when_they_change() -> None:
    # a stream whose decoder hands out stereo s16 at 44.1 kHz, then 5.1 planar float at 48 kHz,
    # then mono at 22.05 kHz (as after a splice); the sound must come through all three parts
    parts = [(44100, "stereo", "s16"), (48000, "5.1", "fltp"), (22050, "mono", "fltp")]
    fp = AudioFingerprinter(DEFAULT)
    total = 0.0
    for n, (rate, layout, fmt) in enumerate(parts):
        x = am.speechlike(4.0, seed=10 + n, rate=rate)
        for frame in _frames(x, rate, layout, fmt, size=rate // 40):
            fp.add_frame(frame)
        total += 4.0
    out = fp.finish()
    assert out.status == "ok" and out.bad_packets == 0
    assert out.duration == pytest.approx(total, abs=0.2)
    assert out.stream["sample_rate"] == 44100 and out.stream["channels"] == 2  # the first frame's
    for a in (0.0, 4.0, 8.0):  # peaks in each part
        assert np.count_nonzero((out.times > a + 0.3) & (out.times < a + 3.7)) > 40


def test_finish_without_sound_says_so_instead_of_raising() -> None:
    nothing = AudioFingerprinter(DEFAULT).finish()
    assert nothing.status == "no-sound" and not nothing.has_sound and len(nothing) == 0
    assert nothing.message == "no sound was decoded"
    silent = AudioFingerprinter(DEFAULT)
    for frame in _frames(np.zeros(3 * 48000, np.float32), 48000, "stereo", "fltp"):
        silent.add_frame(frame)
    quiet = silent.finish()
    assert quiet.status == "silent" and quiet.duration == pytest.approx(3.0, abs=0.05)
    assert "none of it distinct enough" in quiet.message
    back = AudioFingerprint.from_dict(json.loads(json.dumps(quiet.to_dict())))
    assert (back.status, back.message) == (quiet.status, quiet.message)


def test_packets_that_do_not_decode_are_counted_not_raised(speech_file: Path) -> None:
    fp = AudioFingerprinter(DEFAULT)
    with av.open(str(speech_file)) as c:
        for packet in c.demux(c.streams.audio[0]):
            if packet.size:
                data = bytes(packet)
                bad = av.Packet(b"\xff" * len(data))  # garbage where AAC should be
                bad.stream = c.streams.audio[0]
                fp.add_packet(bad)
    out = fp.finish()
    assert out.status == "undecodable" and not out.has_sound and out.duration == 0.0
    assert out.bad_packets == MAX_BAD_PACKETS + 1  # then it stops trying; the picture would go on
    assert "did not decode" in out.message


def test_for_stream_records_the_stream_and_its_start(tmp_path: Path) -> None:
    path = am.write_clip(
        tmp_path / "late.mp4", am.speechlike(3.0, seed=2), media.textured(), seconds=3.0, audio_start=0.5
    )
    with av.open(str(path)) as c:
        audio = c.streams.audio[0]
        fp = AudioFingerprinter.for_stream(audio)
        for packet in c.demux(c.streams.video[0], audio):  # one demux loop, picture and sound
            if packet.stream is audio:
                fp.add_packet(packet)
            else:
                packet.decode()  # the picture
        video_start = float(c.streams.video[0].start_time * c.streams.video[0].time_base)
    out = fp.finish()
    assert out.stream["codec"] == "aac" and out.stream["channels"] == 2
    assert out.start_time - video_start == pytest.approx(0.5, abs=0.08)  # the lead fusion needs
    direct = audio_fingerprint(path)
    assert len(out) == len(direct) and out.start_time == pytest.approx(direct.start_time)


def test_block_size_does_not_change_the_peaks() -> None:
    x = am.resample(am.speechlike(20.0, seed=5), 2.0)  # 16 kHz -> 8 kHz, the fingerprint rate
    one = PeakExtractor(DEFAULT)
    one.push(x)
    many = PeakExtractor(DEFAULT)
    for off in range(0, x.size, 777):
        many.push(x[off : off + 777])
    a, b = one.finish(), many.finish()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_json_round_trip(speech_file: Path) -> None:
    fp = audio_fingerprint(speech_file)
    back = AudioFingerprint.from_dict(json.loads(json.dumps(fp.to_dict())))
    for name in ("times", "freqs", "strengths"):
        np.testing.assert_array_equal(getattr(back, name), getattr(fp, name))
    assert back.settings == fp.settings and back.stream == fp.stream and back.duration == fp.duration
    plain = serial.loads(AudioFingerprint, serial.dumps(fp))
    np.testing.assert_array_equal(plain.times, fp.times)
    assert fp.nbytes == 10 * len(fp)


def test_reference_mask_keeps_the_strongest_share(speech_file: Path) -> None:
    fp = audio_fingerprint(speech_file)
    mask = fp.reference_mask()
    per_second = np.bincount(np.floor(fp.times[mask]).astype(int))
    assert per_second.max() <= round(DEFAULT.peaks_per_second * DEFAULT.reference_share)
    assert fp.strengths[mask].astype(float).mean() > fp.strengths[~mask].astype(float).mean()


@pytest.mark.parametrize(
    "bad", [{"rate": 100}, {"n_fft": 500}, {"fmin": 5000.0}, {"peaks_per_second": 0}, {"fanout": 0}]
)
def test_bad_settings(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        AudioFingerprinter(AudioSettings(**bad))  # type: ignore[arg-type]


@pytest.mark.slow
def test_two_hours_stream_in_bounded_memory() -> None:
    """Two hours pushed in 30 s blocks: what the extractor holds stays one chunk of spectra, and
    traced memory stays flat between the first and the last ten minutes."""
    fp = AudioFingerprinter(DEFAULT)
    block = am.resample(am.speechlike(30.0, seed=9), 2.0)
    ex = fp._peaks
    held = []
    tracemalloc.start()
    for i in range(240):
        fp.add(np.roll(block, i * 97))
        held.append(
            sum(a.shape[0] for a in ex.spec) + ex.samples.size // DEFAULT.hop + ex.queued // DEFAULT.hop
        )
        if i == 20:
            early = tracemalloc.get_traced_memory()[0]
    late = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    result = fp.finish()
    assert result.duration == pytest.approx(7200, abs=1)
    assert max(held) <= ex.chunk + 2 * ex.margin + block.size // DEFAULT.hop + 2
    # only the peaks grow: 110 minutes x 30 a second x 3 float32 = 2.4 MB; a held track would be 200+ MB
    assert late - early < 10e6, f"{(late - early) / 1e6:.1f} MB more after 110 minutes"
    assert len(result) > 7200 * 5
