"""Upload a screening file: every error by line and field is shown before anything is written; then the import
runs as the ``import-screenings/import`` deployment (the file stays on the server under a random name: no
identity in the path or the run's parameters). Validation is the importer's own (``tasks.pathway.intake``)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from config.settings import get_settings
from models.intake import ImportRejected, RowError
from web import actions
from web.app import FormDep, UserDep, render
from web.security import User

DEPLOYMENT = "import-screenings/import"
SUFFIXES = (".csv", ".xlsx")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(csv|xlsx)$")


def upload_dir() -> Path:
    folder = get_settings().backup_dir.parent / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def validate(path: Path, user: User) -> tuple[int, list[RowError]]:
    """(rows, errors): the importer's validation, then every row's region against the user's scope."""
    from tasks.pathway.intake import parse_file

    try:
        rows = parse_file(str(path))
    except ImportRejected as exc:
        return 0, list(exc.errors)
    outside = [RowError(r.line, "region_code", "不在您的地区范围内") for r in rows if not user.covers(r.region_code)]
    return len(rows), outside


def register(app: FastAPI) -> None:
    @app.get("/upload", response_class=HTMLResponse)
    async def upload_page(request: Request, user: UserDep) -> Response:
        return render(request, "upload.html", user)

    @app.post("/upload", response_class=HTMLResponse)
    async def check(
        request: Request,
        form: FormDep,
        user: UserDep,
    ) -> Response:
        upload = request.state.upload
        if upload is None or not upload.data:
            raise HTTPException(400, "请选择一个筛查名单文件（CSV 或 XLSX）")
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in SUFFIXES:
            raise HTTPException(400, "只接受 CSV（UTF-8 或 GBK）或 XLSX 文件")
        token = secrets.token_urlsafe(18) + suffix
        path = upload_dir() / token
        path.write_bytes(upload.data)
        rows, errors = validate(path, user)
        if errors:
            path.unlink(missing_ok=True)
        return render(request, "upload.html", user, rows=rows, errors=errors, token=None if errors else token)

    @app.post("/upload/import")
    async def run_import(
        request: Request,
        form: FormDep,
        user: UserDep,
    ) -> Response:
        if not user.coordinator:
            raise HTTPException(403, "督导员只能查看，不能导入")
        token = form.get("token", "")
        path = upload_dir() / token
        if not _TOKEN.match(token) or not path.is_file():
            raise HTTPException(400, "文件已失效，请重新上传")
        params = {"csv_path": str(path.resolve()), "actor": user.actor}
        tags = ["console", actions.assertion_tag(user.actor, DEPLOYMENT, params)]
        run_id = await request.app.state.runner.start(DEPLOYMENT, params, f"import-{token}", tags)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)
