"""Form bodies without python-multipart: URL-encoded forms with the stdlib's parser, a file upload
(multipart/form-data) with the stdlib's MIME parser. Bounded in size."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request

MAX_FORM = 64 * 1024
MAX_UPLOAD = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes


async def read_form(request: Request) -> tuple[dict[str, str], Upload | None]:
    """The form's text fields (first value of each) and its uploaded file, if any."""
    ctype = request.headers.get("content-type", "")
    body = await request.body()
    if len(body) > (MAX_UPLOAD if ctype.startswith("multipart/") else MAX_FORM):
        raise HTTPException(413, "表单或文件过大")
    if ctype.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        fields: dict[str, str] = {}
        upload = None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                upload = Upload(str(filename), data)
            elif isinstance(name, str):
                fields.setdefault(name, data.decode("utf-8", "replace"))
        return fields, upload
    fields = {}
    for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(k, v)
    return fields, None
