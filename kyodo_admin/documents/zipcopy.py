"""Writing a .docx whose untouched parts are copied as their already-compressed bytes.

A render changes a few parts of a template (the body, headers, footers, properties);
styles, fonts, numbering and images stay as they are. ``zipfile`` can only write an
entry by compressing it again, which was most of a render's time. The standard library
has no way to copy an entry's raw bytes, so this writes the zip records itself (local
headers, central directory, end record — APPNOTE 4.3; no ZIP64: a .docx is far below
4 GB): an untouched part goes out as the bytes read from the template, a rendered one
is deflated once.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

LOCAL = struct.Struct("<4s5H3L2H")
CENTRAL = struct.Struct("<4s6H3L5H2L")
END = struct.Struct("<4s4H2LH")
UTF8_NAME = 0x800
VERSION = 20


@dataclass(frozen=True)
class Member:
    """One entry as stored: compressed bytes with what its headers say about them."""

    name: bytes
    flags: int
    method: int
    dostime: int
    dosdate: int
    crc: int
    data: bytes
    size: int
    external_attr: int


def _dos(info: zipfile.ZipInfo) -> tuple[int, int]:
    year, month, day, hour, minute, second = info.date_time
    return hour << 11 | minute << 5 | second // 2, max(year - 1980, 0) << 9 | month << 5 | day


def _name(info: zipfile.ZipInfo) -> tuple[bytes, int]:
    try:
        return info.filename.encode("ascii"), 0
    except UnicodeEncodeError:
        return info.filename.encode("utf-8"), UTF8_NAME


def stored(raw: bytes, info: zipfile.ZipInfo) -> Member:
    """The entry as it is in ``raw`` (the archive's bytes), not decompressed."""
    fields = LOCAL.unpack_from(raw, info.header_offset)
    start = info.header_offset + LOCAL.size + fields[9] + fields[10]
    name, flags = _name(info)
    dostime, dosdate = _dos(info)
    return Member(name, flags, info.compress_type, dostime, dosdate, info.CRC,
                  raw[start:start + info.compress_size], info.file_size, info.external_attr)


def deflated(info: zipfile.ZipInfo, content: bytes) -> Member:
    """A new content for the entry ``info``, deflated as zipfile does (level 6)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = compressor.compress(content) + compressor.flush()
    name, flags = _name(info)
    dostime, dosdate = _dos(info)
    return Member(name, flags, zipfile.ZIP_DEFLATED, dostime, dosdate, zlib.crc32(content),
                  data, len(content), info.external_attr)


def write(members: list[Member]) -> bytes:
    out = io.BytesIO()
    directory = []
    for m in members:
        offset = out.tell()
        out.write(LOCAL.pack(b"PK\x03\x04", VERSION, m.flags, m.method, m.dostime, m.dosdate,
                             m.crc, len(m.data), m.size, len(m.name), 0))
        out.write(m.name)
        out.write(m.data)
        directory.append(CENTRAL.pack(b"PK\x01\x02", VERSION, VERSION, m.flags, m.method,
                                      m.dostime, m.dosdate, m.crc, len(m.data), m.size,
                                      len(m.name), 0, 0, 0, 0, m.external_attr, offset) + m.name)
    start = out.tell()
    for record in directory:
        out.write(record)
    out.write(END.pack(b"PK\x05\x06", 0, 0, len(members), len(members), out.tell() - start,
                       start, 0))
    return out.getvalue()
