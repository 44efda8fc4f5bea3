"""Files over HTTP, for the API and the console alike: a multipart form's uploads in, and a
stored file out as a download that never runs as a page of ours.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import StreamingResponse
from starlette.datastructures import FormData, UploadFile

from contracts.file_names import typed_name
from services.intake.attachment_store import StoredFile
from services.intake.attachments import IncomingFile


async def uploaded_files(form: FormData, field: str = "files") -> list[IncomingFile]:
    """The files of a multipart form. A file input left blank (no file name) is skipped; a
    named file is taken even when empty, so the checks refuse it rather than drop it unsaid.
    """
    found: list[IncomingFile] = []
    for value in form.getlist(field):
        if isinstance(value, UploadFile) and value.filename:
            content = await value.read()
            found.append(IncomingFile(value.filename, value.content_type or "", content))
    return found


def download(stored: StoredFile) -> StreamingResponse:
    """The file under a name of its sniffed type, also when it was stored under another."""
    name = typed_name(stored.name, stored.content_type)
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return StreamingResponse(
        stored.chunks,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(stored.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
