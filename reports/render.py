"""HTML → PDF with WeasyPrint, locked down.

- Templates are Jinja2 with autoescape on: whatever a user typed is text, never markup.
- Every ``HTML()`` and ``CSS()`` gets ``LockedFetcher``: it serves ``data:`` URIs and the
  files of ``reports/static`` and nothing else — no other local file, no network request.
- Rendering runs in a separate worker process with a memory ceiling and a time limit, so a
  pathological document cannot take the service down with it.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import gc
import multiprocessing
import os
import resource
import threading
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from scoring.fields import FIELDS
from scoring.formatting import fmt_chance, fmt_estimator

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
TIME_LIMIT = 60.0  # seconds for one document
MEMORY_LIMIT = 2 * 1024**3  # bytes of address space for a rendering process


class ReportError(RuntimeError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined
    )
    env.filters["field_labels"] = field_labels
    env.filters["chance"] = fmt_chance
    env.filters["estimator"] = fmt_estimator
    env.filters["running"] = running_text
    return env


def running_text(text: str, limit: int = 30) -> str:
    """A name short enough for the running header."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def field_labels(names) -> str:
    return "、".join(FIELDS[n].label_zh if n in FIELDS else str(n) for n in names or [])


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class LockedFetcher(URLFetcher):
        """Only ``data:`` URIs and the report's own static files; everything else refused."""

        def fetch(self, url, *args, **kwargs):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, *args, **kwargs)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if path.is_file() and path.is_relative_to(STATIC):
                    return super().fetch(url, *args, **kwargs)
            raise ValueError(f"blocked resource: {url[:80]}")

    return LockedFetcher


@cache
def _locked():
    """The fetcher and the parsed stylesheet, made once per process (parsing took ~10 ms)."""
    from weasyprint import CSS

    fetcher = _fetcher_class()(allowed_protocols=("data", "file"))
    return fetcher, CSS(filename=str(STATIC / "report.css"), url_fetcher=fetcher)


def html_to_pdf(html: str) -> bytes:
    """Render in this process (the worker calls it; tests may too)."""
    from weasyprint import HTML

    fetcher, css = _locked()
    document = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[css], attachments=None)


# ---- the rendering process ------------------------------------------------------------

_lock = threading.Lock()
_pool: cf.ProcessPoolExecutor | None = None


def _limit_and_warm() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    html_to_pdf(WARM_UP)  # imports, fonts and stylesheet caches, before the first document
    # What is alive now lives as long as the process: keep the collector off it
    gc.collect()
    gc.freeze()


WARM_UP = '<html lang="zh-CN"><body><h1>预热</h1><table><tr><td>预热</td></tr></table></body>'


def _render_in_worker(html: str) -> bytes:
    """``html_to_pdf`` with the cyclic collector paused: a render allocates hundreds of
    thousands of short-lived objects and the collector's passes over them took ~15 % of the
    time; one collection afterwards frees the document's cycles."""
    gc.disable()
    try:
        return html_to_pdf(html)
    finally:
        gc.enable()
        gc.collect()


def workers() -> int:
    """Rendering processes: ``TIERING_REPORT_WORKERS``, else one (a web process renders one
    download at a time; ``tiering batch --reports`` asks for one per core)."""
    return int(os.environ.get("TIERING_REPORT_WORKERS", "1"))


def _executor() -> cf.ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            _pool = cf.ProcessPoolExecutor(workers(), context, initializer=_limit_and_warm)
            atexit.register(stop_renderer)
        return _pool


def _discard(pool: cf.ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        if _pool is pool:
            _pool = None


def stop_renderer() -> None:
    """The rendering processes and their forkserver stopped (the server calls this on
    shutdown: the forkserver outlives its parent on SIGTERM otherwise, an orphan per restart)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
    from multiprocessing import forkserver

    forkserver._forkserver._stop()


def render_isolated(html: str, timeout: float = TIME_LIMIT) -> bytes:
    """``html_to_pdf`` in the rendering process, with its time and memory limits."""
    pool = _executor()
    try:
        return pool.submit(_render_in_worker, html).result(timeout=timeout)
    except cf.TimeoutError:
        _discard(pool)
        raise ReportError("报告生成超时", f"rendering took longer than {timeout:g} s") from None
    except (cf.process.BrokenProcessPool, MemoryError):
        _discard(pool)
        raise ReportError(
            "报告生成进程异常退出（可能是内存不足）", "the rendering process died (out of memory?)"
        ) from None
