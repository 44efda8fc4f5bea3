"""A kept file's name always ends in an extension of its real type: what a reader's computer
acts on is what the bytes are, whatever the sender called them."""

from __future__ import annotations

import pytest

from contracts.file_names import DANGEROUS, TYPES, plain_name, typed_name

PDF = "application/pdf"
GIF = "image/gif"
JPEG = "image/jpeg"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("given", "content_type", "named"),
    [
        ("itinerary.pdf", PDF, "itinerary.pdf"),
        ("ITINERARY.PDF", PDF, "ITINERARY.PDF"),
        ("行程单.pdf", PDF, "行程单.pdf"),
        ("statement.hta", PDF, "statement.pdf"),
        ("statement.HTA", PDF, "statement.pdf"),
        ("photo.js", GIF, "photo.gif"),
        ("voucher.bat", PDF, "voucher.pdf"),
        ("page.html", GIF, "page.gif"),
        ("invoice.pdf.exe", PDF, "invoice.pdf"),
        ("invoice.pdf.exe.js", PDF, "invoice.pdf"),
        ("invoice.exe", PDF, "invoice.pdf"),
        ("invoice.exe.", PDF, "invoice.pdf"),
        ("invoice.exe . ", PDF, "invoice.pdf"),
        ("invoice.pdf .exe", PDF, "invoice.pdf"),
        ("invoice\u202efdp.exe", PDF, "invoicefdp.pdf"),
        ("invoice\u202egpj.exe", JPEG, "invoicegpj.jpg"),
        ("invoice\u2067fdp\u2069.exe", PDF, "invoicefdp.pdf"),
        ("scan.png", JPEG, "scan.jpg"),
        ("scan.jpeg", JPEG, "scan.jpeg"),
        ("report.xlsm", XLSX, "report.xlsx"),
        ("report.2024", PDF, "report.2024.pdf"),
        ("x.bin", PDF, "x.bin.pdf"),
        ("行程单", PDF, "行程单.pdf"),
        ("hta", PDF, "hta.pdf"),
        (".hta", PDF, "hta.pdf"),
        ("a.exe", PDF, "a.pdf"),
        (".exe.", PDF, "exe.pdf"),
        ("", PDF, "attachment.pdf"),
        (None, GIF, "attachment.gif"),
        ("../../statement.hta", PDF, "statement.pdf"),
        ("a" * 300 + ".hta", PDF, "a" * 116 + ".pdf"),
        ("voucher.hta", "text/html", "voucher.bin"),
        ("data.bin", "application/x-unknown", "data.bin"),
    ],
)
def test_the_name_keeps_its_base_and_takes_the_extension_of_its_type(
    given: str | None, content_type: str, named: str
) -> None:
    assert typed_name(given, content_type) == named


@pytest.mark.parametrize(
    ("given", "plain"),
    [
        ("notes.txt.bat", "notes.txt"),
        ("notes.txt.bat. ", "notes.txt"),
        ("budget.csv", "budget.csv"),
        ("run.exe", "run"),
        ("exe", "exe"),
        (".exe", "exe"),
        ("soft\u00adhyphen.pdf", "softhyphen.pdf"),
        ("line\u2028break.pdf", "line_break.pdf"),
        ("c1\x85control.pdf", "c1_control.pdf"),
    ],
)
def test_run_or_render_extensions_at_the_end_are_dropped(given: str, plain: str) -> None:
    assert plain_name(given) == plain


def test_no_kept_type_has_a_dangerous_extension() -> None:
    assert not {e.lstrip(".") for extensions in TYPES.values() for e in extensions} & DANGEROUS


@pytest.mark.parametrize(
    ("given", "content_type", "named"),
    [
        ("NUL.pdf", PDF, "_NUL.pdf"),
        ("con", PDF, "_con.pdf"),
        ("Aux.tar.gz", PDF, "_Aux.tar.gz.pdf"),
        ("prn .pdf", PDF, "_prn .pdf"),
        ("com1.jpg", JPEG, "_com1.jpg"),
        ("LPT9.exe", PDF, "_LPT9.pdf"),
        ("lpt\u00b9.pdf", PDF, "_lpt\u00b9.pdf"),
        ("../nul.pdf", PDF, "_nul.pdf"),
        ("con.exe.", PDF, "_con.pdf"),
        ("con." + "a" * 300, PDF, "_con." + "a" * 111 + ".pdf"),
    ],
)
def test_a_windows_device_name_is_not_the_base_name(
    given: str, content_type: str, named: str
) -> None:
    """Windows opens ``NUL.pdf`` or ``con`` as a device, whatever the extension: saving the
    attachment fails or writes nowhere."""
    assert typed_name(given, content_type) == named


@pytest.mark.parametrize(
    "given", ["console.pdf", "com10.pdf", "lpt.pdf", "nullable.pdf", "my con.pdf", "com.pdf"]
)
def test_names_that_only_begin_like_a_device_stay(given: str) -> None:
    assert plain_name(given) == given
