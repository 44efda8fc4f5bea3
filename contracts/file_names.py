"""The name a file is kept, offered and mailed under: safe to show, and true to its type.

Shared rule: intake names a file when it keeps it and again when it serves it, notify
when it attaches an agent's file to a mail. A name is what the reader's computer acts
on, so its last extension always is one of the file's real (sniffed, allowed) type:
``statement.hta`` holding a PDF is kept as ``statement.pdf``, ``invoice.pdf.exe`` as
``invoice.pdf``, ``photo.js`` holding a GIF as ``photo.gif``. Renamed, not refused: a
traveller's receipt under a wrong name is still their receipt. Pure.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 120
FALLBACK = "attachment"
TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/heic": (".heic", ".heif"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
}
"""The types a file may be kept as, each with its extensions, the first the one given."""
UNKNOWN = ".bin"
"""The extension of a type outside ``TYPES``: nothing opens it by itself."""
_RUN_OR_RENDER = (
    "exe com scr pif cpl dll sys msi msp mst msc bat cmd ps1 psm1 psd1 ps1xml vb vbs vbe "
    "js jse mjs wsf wsh wsc hta htm html xhtml shtml mht mhtml svg svgz xml xsl url "
    "website lnk scf inf reg chm hlp jar class apk app dmg pkg iso img vhd vhdx "
    "appx msix appref-ms application gadget settingcontent-ms sh bash command "
    "py pyw pl rb php asp aspx jsp cgi docm dotm xlsm xltm xlam pptm potm ppam "
    "sldm one ics"
)
DANGEROUS = frozenset(_RUN_OR_RENDER.split())
"""Extensions a reader's system runs, renders as a page or opens with macros."""
_KNOWN = DANGEROUS | {e.lstrip(".") for extensions in TYPES.values() for e in extensions}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029"*/:<>?\\|;]+')
_EXTENSION = re.compile(r"\.([A-Za-z0-9-]{1,20})$")
_ENDS = "._ "
"""Windows drops trailing dots and spaces: ``invoice.exe.`` opens as ``invoice.exe``."""
_DEVICE = re.compile(r"(CON|PRN|AUX|NUL|(COM|LPT)[0-9\u00b9\u00b2\u00b3]) *(\.|$)", re.I)
"""A Windows device name as the base (``NUL.pdf``, ``con``, ``aux.tar.gz``): opened as the
device whatever follows its first dot, so saving the file fails or writes nowhere."""


def _visible(name: str) -> str:
    """Without format characters (zero-width, bidi overrides and isolates, soft hyphens,
    tags): ``invoice<U+202E>fdp.exe`` reads ``invoiceexe.pdf``."""
    return "".join(c for c in name if unicodedata.category(c) != "Cf")


def safe_filename(name: str | None) -> str:
    """A name without directories, control, shell-special or format characters and
    without leading or trailing dots and spaces, at most 120 long, keeping its extension
    and any script (行程单.pdf stays 行程单.pdf); a Windows device name as its base gets
    a ``_`` in front (``NUL.pdf`` → ``_NUL.pdf``).
    """
    base = re.split(r"[/\\]", _visible(unicodedata.normalize("NFC", name or "")))[-1]
    cleaned = " ".join(_UNSAFE.sub("_", base).split()).strip(_ENDS)
    if not cleaned:
        return FALLBACK
    if _DEVICE.match(cleaned):
        cleaned = f"_{cleaned}"
    stem, dot, extension = cleaned.rpartition(".")
    if not dot or len(extension) > 10:
        return cleaned[:MAX_NAME]
    return f"{stem[: MAX_NAME - len(extension) - 1]}.{extension}"


def _split(name: str) -> tuple[str, str]:
    """The stem and the lower-case extension without its dot ("" when it has none)."""
    found = _EXTENSION.search(name)
    if found is None:
        return name, ""
    return name[: found.start()], found.group(1).lower()


def plain_name(name: str | None) -> str:
    """``safe_filename`` without the run-or-render extensions at its end:
    ``invoice.pdf.exe`` → ``invoice.pdf``, ``notes.txt.bat.`` → ``notes.txt``."""
    plain = safe_filename(name)
    stem, extension = _split(plain)
    while extension in DANGEROUS:
        plain = stem.rstrip(_ENDS)
        stem, extension = _split(plain)
    return plain or FALLBACK


def typed_name(name: str | None, content_type: str) -> str:
    """``plain_name`` ending in an extension of ``content_type``: kept when it has one,
    else a known extension replaced (``scan.png`` holding a JPEG → ``scan.jpg``) and
    anything else appended to (``report.2024`` → ``report.2024.pdf``, ``行程单`` →
    ``行程单.pdf``). A type outside ``TYPES`` gets ``.bin``.
    """
    plain = plain_name(name)
    stem, extension = _split(plain)
    wanted = TYPES.get(content_type, (UNKNOWN,))
    if f".{extension}" in wanted:
        return plain
    base = stem if extension in _KNOWN else plain
    return f"{base[: MAX_NAME - len(wanted[0])]}{wanted[0]}"
