"""gzip for batch answers. One stream from parts compressed apart, as pigz does: raw deflate segments flushed
to a byte boundary, joined into one gzip stream whose CRC is combined from the parts' CRCs; so each batch worker
compresses its own part, compression runs on every core, and only ~1/10 of the bytes travel back from the workers.
"""

from __future__ import annotations

import struct
import zlib


def gzip_bytes(body: bytes) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # level 1: most of the gain at a third of the cost
    return packer.compress(body) + packer.flush()


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time, unknown OS


def deflate(data: bytes, final: bool = False) -> bytes:
    """Raw deflate of ``data`` on its own, ending on a byte boundary (so segments can be joined)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A+B from crc(A), crc(B) and len(B) (zlib's crc32_combine, which Python does not expose)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # apply len2's bits, one zero byte and up at a time
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def gzip_answer(parts: list[tuple[bytes, int, int]], count: int, failed: int) -> bytes:
    """The gzipped response body from (deflated items, crc32, length) parts, items without brackets."""
    head = b'{"count":%d,"failed":%d,"items":[' % (count, failed)
    out = [_GZIP_HEADER, deflate(head)]
    crc, size = zlib.crc32(head), len(head)
    first = True
    for deflated, part_crc, length in parts:
        if not length:
            continue
        if not first:
            out.append(deflate(b","))
            crc, size = zlib.crc32(b",", crc), size + 1
        out.append(deflated)
        crc, size = crc32_combine(crc, part_crc, length), size + length
        first = False
    out.append(deflate(b"]}", final=True))
    crc, size = zlib.crc32(b"]}", crc), size + 2
    out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    return b"".join(out)
