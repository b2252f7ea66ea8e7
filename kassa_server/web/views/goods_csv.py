"""Товары → Загрузить из CSV / Выгрузить в CSV: the CLI's all-or-nothing import, run in the background with a progress
bar the page polls, and the export as a download."""

from __future__ import annotations

import io
import logging
import threading
import uuid
from dataclasses import dataclass, field

from starlette.responses import Response

from kassa_server.admin.goods_csv import COLUMNS, decode_csv, export_goods, import_goods
from kassa_server.admin.transaction import transaction
from kassa_server.errors import CatalogImportError, KassaError
from kassa_server.models import Infobase
from kassa_server.web.pages import Page, page_handler

logger = logging.getLogger(__name__)

MAX_JOBS = 100


@dataclass
class ImportJob:
    """One upload being imported; lives in this process's memory (a page polls the worker that started it)."""

    id: str
    infobase_id: int
    file_name: str
    total: int
    done: int = 0
    finished: bool = False
    created: int = 0
    updated: int = 0
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


_jobs: dict[str, ImportJob] = {}
_jobs_lock = threading.Lock()


@page_handler("goods")
def goods_import(page: Page) -> Response:
    if page.request.method == "GET":
        return page.render("goods_import.html", job=None, columns=COLUMNS, error="")
    upload = page.upload("file")
    if upload is None or not upload.filename:
        return page.render("goods_import.html", status=422, job=None, columns=COLUMNS, error="Выберите файл CSV.")
    try:
        text = decode_csv(upload.file.read())
    except CatalogImportError as exc:
        return page.render("goods_import.html", status=422, job=None, columns=COLUMNS, error=_reason(exc))
    job = ImportJob(str(uuid.uuid4()), page.infobase.id, upload.filename, total=max(0, text.count("\n") - 1))
    with _jobs_lock:
        if len(_jobs) >= MAX_JOBS:
            for old in [j for j in _jobs.values() if j.finished][: MAX_JOBS // 2]:
                del _jobs[old.id]
        _jobs[job.id] = job
    threading.Thread(target=_run, args=(page.web.sessions, job, text), daemon=True, name=f"import-{job.id}").start()
    return page.render("goods_import.html", job=job, columns=COLUMNS, error="")


@page_handler("goods")
def goods_import_progress(page: Page) -> Response:
    job = _jobs.get(page.request.path_params["job_id"])
    if job is None or job.infobase_id != page.infobase.id:
        return page.render("goods_import_progress.html", job=None)
    return page.render("goods_import_progress.html", job=job)


@page_handler("goods")
def goods_export(page: Page) -> Response:
    out = io.StringIO()
    export_goods(page.db, page.infobase, out)
    name = f"goods-{page.infobase.name}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"},
    )


def _run(sessions: object, job: ImportJob, text: str) -> None:
    def progress(done: int) -> None:
        job.done = done

    try:
        with transaction(sessions) as session:  # type: ignore[arg-type]
            infobase = session.get(Infobase, job.infobase_id)
            assert infobase is not None
            summary = import_goods(session, infobase, io.StringIO(text), progress=progress)
        job.created, job.updated, job.done = summary.created, summary.updated, job.total
    except KassaError as exc:
        job.error = _reason(exc)
    except Exception as exc:  # a background thread: the page must learn the import failed; the traceback is logged
        logger.exception("goods import %s failed", job.id)
        job.error = f"Внутренняя ошибка: {type(exc).__name__}"
    finally:
        job.finished = True


def _reason(exc: KassaError) -> str:
    if isinstance(exc, CatalogImportError):
        return f"Строка {exc.line}: {exc.reason}. Ничего не загружено."
    return f"{exc}. Ничего не загружено."
