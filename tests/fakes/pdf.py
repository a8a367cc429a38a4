"""Small real PDFs for upload tests: text pages (Helvetica), and an encrypted copy via pypdf."""

from __future__ import annotations

import io
import zlib

from pypdf import PdfReader, PdfWriter


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF whose pages show these lines of text (extractable by pypdf)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, lines in enumerate(pages):
        content_id = page_ids[i] + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R"
            " /Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        body = (
            "BT /F1 11 Tf 14 TL 50 750 Td "
            + " ".join(f"({_escape(line)}) Tj T*" for line in lines)
            + " ET"
        )
        stream = body.encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    return _write(objects)


def encrypted(pdf: bytes, password: str = "secret", owner: str | None = None) -> bytes:
    """The same PDF, password-protected (an empty `password` with an `owner` one only restricts
    printing and copying: it opens without a password)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password=owner)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


DECK = [
    [
        "Harbor Light Infrastructure Fund III",
        "Confidential presentation, November 2026",
        "Target fund size of $750m with a hard cap of $900m.",
    ],
    [
        "Investment strategy:",
        "We invest in core-plus infrastructure across Latin America and Europe: renewables,",
        "ports and toll roads, with a focus on the energy transition and logistics.",
        "",
        "Track record",
        "Harbor Light Infrastructure Fund I (2014) $300m 2.1x 16% net IRR",
        "Harbor Light Infrastructure Fund II (2018) $520m 1.6x 12% net IRR",
        "We are a PRI signatory and apply our ESG policy to every asset.",
    ],
]


def bomb_pdf(megabytes: int = 80) -> bytes:
    """A small PDF whose one content stream inflates to `megabytes` of spaces."""
    stream = zlib.compress(b" " * (megabytes * 1024 * 1024), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return _write(objects)


def _write(objects: list[bytes]) -> bytes:
    """Numbered objects, the cross-reference table and the trailer (object 1 is the root)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()
