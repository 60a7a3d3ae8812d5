"""The one exception tree of verify.

Every failure a user can cause is a :class:`VerifyError`. Each error carries the
path it concerns, the stage that failed, and a hint that says what to do next.
Subclasses also inherit the builtin that fits (``FileNotFoundError``,
``ValueError``, ``KeyError``), so callers that only know the builtins still work.

Only the CLI (``verify.cli``) and the UI (``app.py``/``ui``) catch broadly; they
turn a ``VerifyError`` into one readable line (CLI exit code 2).
"""

from __future__ import annotations

from pathlib import Path


class VerifyError(Exception):
    """Root of every error verify raises on purpose."""

    stage = "verify"
    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        stage: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        if stage is not None:
            self.stage = stage
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.hint:
            text = f"{text}. {self.hint}" if not text.endswith(".") else f"{text} {self.hint}"
        return " ".join(text.split())  # always one line

    def to_dict(self) -> dict[str, str | None]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "path": self.path,
            "stage": self.stage,
            "hint": self.hint,
        }


# -- media: opening, probing, decoding ---------------------------------------------------


class MediaError(VerifyError):
    stage = "media"


class MediaNotFoundError(MediaError, FileNotFoundError):
    default_hint = "Check the path and that the file still exists."


class EmptyFileError(MediaError, ValueError):
    default_hint = "The file is 0 bytes: download or copy it again."


class NotMediaError(MediaError, ValueError):
    default_hint = "It is not a video, audio or image file verify can read; check what the file really is."


class TruncatedMediaError(MediaError, ValueError):
    default_hint = "The file is cut short or damaged: get a complete copy from the source."


class NoVideoStreamError(MediaError, ValueError):
    default_hint = "This file has no picture to analyse (audio only?); use a video or a still."


class NoAudioStreamError(MediaError, ValueError):
    """The file has no sound: callers treat it as "picture only" (``verify.audio``)."""

    default_hint = "The file has no sound track; it can still be matched by its picture."


class AudioDecodeError(MediaError, ValueError):
    """The sound track is there but cannot be decoded (``verify.audio``)."""

    default_hint = (
        "Its sound track is damaged or in a format FFmpeg cannot decode; the picture can still be matched."
    )


class UnsupportedCodecError(MediaError, ValueError):
    default_hint = "Convert it with ffmpeg to H.264 (e.g. ffmpeg -i IN -c:v libx264 OUT.mp4) and try again."


class DecodeError(MediaError, ValueError):
    default_hint = (
        "Too many frames could not be decoded; the file is probably damaged. Try re-downloading it."
    )


class FileTooLargeError(MediaError, ValueError):
    default_hint = "Raise the size limit (max_bytes / --max-size) or analyse a shorter excerpt."


class MetadataError(MediaError, ValueError):
    stage = "metadata"
    default_hint = "The metadata is unreadable; the picture itself may still be analysed."


# -- hashing / fingerprinting ------------------------------------------------------------


class HashingError(VerifyError, ValueError):
    stage = "hashing"


class AlgorithmMismatchError(HashingError):
    default_hint = "Hashes of different algorithms are never compared; re-hash with the same settings."


# -- library -----------------------------------------------------------------------------


class LibraryError(VerifyError):
    stage = "library"


class LibraryNotFoundError(LibraryError, FileNotFoundError):
    default_hint = "Create it first with `verify hash PATH --library DB`, or check the path."


class LibraryCorruptError(LibraryError):
    default_hint = "Restore the library from a backup; verify will not write to a damaged database."


class LibraryBusyError(LibraryError):
    default_hint = "Another process holds the library for too long; wait for it to finish and retry."


class LibraryReadOnlyError(LibraryError, PermissionError):
    default_hint = (
        "verify needs to write the library file and its folder (SQLite keeps -wal/-shm files beside it): "
        "make both writable, or copy the library to a folder you can write to."
    )


class LibraryFullError(LibraryError, OSError):
    default_hint = "Free some space on that disk and run again; everything committed before is kept."


class ReferenceNotFoundError(LibraryError, KeyError):
    default_hint = "List the library with `verify library list` to see the ids it holds."

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return VerifyError.__str__(self)


# -- matching ----------------------------------------------------------------------------


class MatchingError(VerifyError):
    stage = "matching"


# -- analysis ----------------------------------------------------------------------------


class AnalysisCancelled(VerifyError):
    """The analysis was stopped on request (the analyst moved on); nothing is wrong with the file."""

    stage = "analysis"
    default_hint = "Start the analysis again when you need it."


# -- reports, case files, evidence -------------------------------------------------------


class ReportError(VerifyError):
    stage = "report"


class UnsafePathError(ReportError, ValueError):
    default_hint = (
        "Give a plain file name in a folder you own: outputs never follow symbolic links, never write "
        "to devices or FIFOs, and only write inside the folder they were given."
    )


class CaseIntegrityError(ReportError):
    default_hint = "The case file was changed after it was saved; do not rely on it."


class CaseLimitError(CaseIntegrityError):
    default_hint = (
        "It is larger than any case file verify writes (see 'Limits' in docs/reports.md); "
        "nothing was read from it. Do not rely on it."
    )


class NotesError(ReportError, ValueError):
    """A notes file or value that cannot be used."""

    default_hint = "Fix the notes file (see docs/reports.md for the format) and try again."


class EvidenceError(ReportError):
    stage = "evidence"
    default_hint = "Check that both clips are readable (verify probe FILE) and the match is from this query."


class SchemaVersionError(ReportError, ValueError):
    default_hint = "Upgrade verify to read this file."


# -- writing outputs (reports, evidence videos, frames, case files) --------------------


class OutputError(VerifyError, OSError):
    stage = "output"
    default_hint = "Choose a file in a folder you can write to."


class DiskFullError(OutputError):
    default_hint = "Free some space or write to another disk, then run again; an earlier file is kept."


# -- untrusted input limits ----------------------------------------------------------------


class InputLimitError(VerifyError, ValueError):
    """An untrusted file (JSON, archive member) exceeds what verify reads: it was refused unread."""

    stage = "input"
    default_hint = "It is larger or deeper than verify reads from an untrusted file; it was not read."


# -- links (verify get) ------------------------------------------------------------------


class LinkError(VerifyError):
    stage = "link"


class UnsupportedLinkError(LinkError, ValueError):
    default_hint = (
        "No video was found there: the site is not one yt-dlp supports, or the page holds no media. "
        "Open the page in a browser and give verify the video's own link, or download it by hand."
    )


class LinkUnavailableError(LinkError):
    default_hint = "The site says the video is private, removed or restricted; verify does not log in."


class LinkNetworkError(LinkError, ConnectionError):
    default_hint = "Check the address and the network connection, then try again."


class LinkHTTPError(LinkError):
    default_hint = "The site refused the request; check the link in a browser."


class NotMediaAtLinkError(LinkError, ValueError):
    default_hint = "What the link served is not a video, audio or image file."


# -- OCR ---------------------------------------------------------------------------------


class OcrUnavailableError(VerifyError):
    stage = "ocr"
    default_hint = "Install verify's requirements (rapidocr and onnxruntime, with their bundled models)."


class OcrError(VerifyError):
    """The text on screen could not be read (the OCR process failed or ran too long)."""

    stage = "ocr"
    default_hint = "Try `verify text FILE` on the command line to see why."


# -- configuration -----------------------------------------------------------------------


class ConfigError(VerifyError, ValueError):
    stage = "config"


__all__ = [name for name in dir() if name.endswith("Error")]
