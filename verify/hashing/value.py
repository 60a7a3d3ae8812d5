"""The :class:`Hash` value object: a 64-bit perceptual hash that knows its algorithm."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AlgorithmMismatchError, HashingError

#: Algorithm ids. The version suffix changes whenever the bits of a hash would change.
PHASH = "phash-64/v1"
DHASH = "dhash-64/v1"
ALGORITHMS = (PHASH, DHASH)

_MASK = (1 << 64) - 1


@dataclass(frozen=True, order=False)
class Hash:
    """A 64-bit hash and its algorithm id (``"phash-64/v1"``).

    ``a - b`` is the Hamming distance (``AlgorithmMismatchError`` across algorithms);
    ``str(h)`` is 16 hex digits, the same text ``str(imagehash.phash(img))`` prints for
    the same bits (bit 63 = top-left coefficient); ``Hash.from_hex`` is its inverse.
    """

    algorithm: str
    value: int

    def __post_init__(self) -> None:
        value = int(self.value)
        if not 0 <= value <= _MASK:
            raise HashingError(f"hash value {self.value!r} does not fit in 64 bits")
        if not isinstance(self.algorithm, str) or not self.algorithm:
            raise HashingError("a hash needs an algorithm id such as 'phash-64/v1'")
        object.__setattr__(self, "value", value)

    def __sub__(self, other: Hash) -> int:
        if not isinstance(other, Hash):
            return NotImplemented
        if other.algorithm != self.algorithm:
            raise AlgorithmMismatchError(
                f"cannot compare a {self.algorithm} hash with a {other.algorithm} hash"
            )
        return (self.value ^ other.value).bit_count()

    def __str__(self) -> str:
        return f"{self.value:016x}"

    def __int__(self) -> int:
        return self.value

    def __len__(self) -> int:
        return 64

    @property
    def bits(self) -> np.ndarray:
        """The 8x8 bool matrix (row-major, first bit = most significant), like ``ImageHash.hash``."""
        return np.unpackbits(np.array([self.value], dtype=">u8").view(np.uint8)).astype(bool).reshape(8, 8)

    @classmethod
    def from_hex(cls, text: str, algorithm: str = PHASH) -> Hash:
        """Inverse of ``str()``; also reads ``imagehash`` hex strings of 64-bit hashes."""
        cleaned = text.strip().lower()
        if cleaned.startswith("0x"):
            cleaned = cleaned[2:]
        if not cleaned or len(cleaned) > 16:
            raise HashingError(f"{text!r} is not a 64-bit hex hash (expected up to 16 hex digits)")
        try:
            value = int(cleaned, 16)
        except ValueError as exc:
            raise HashingError(f"{text!r} is not a hex hash") from exc
        return cls(algorithm, value)

    @classmethod
    def from_bits(cls, bits: np.ndarray, algorithm: str = PHASH) -> Hash:
        """From 64 bools (e.g. ``imagehash.ImageHash.hash``), first bit most significant."""
        flat = np.asarray(bits, dtype=bool).ravel()
        if flat.size != 64:
            raise HashingError(f"expected 64 bits, got {flat.size}")
        return cls(algorithm, int(np.packbits(flat).view(">u8")[0]))

    @classmethod
    def from_array(cls, values: np.ndarray, algorithm: str = PHASH) -> list[Hash]:
        """Wrap a uint64 array (as returned by the batch functions) into value objects."""
        return [cls(algorithm, int(v)) for v in np.asarray(values, dtype=np.uint64).ravel()]


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise Hamming distance of two uint64 arrays (broadcasting), as uint8."""
    return np.bitwise_count(np.bitwise_xor(np.asarray(a, np.uint64), np.asarray(b, np.uint64)))
