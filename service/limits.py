"""Request bodies over the upload limit are refused while they stream in, not after."""

from __future__ import annotations

import json

from service.errors import body, for_pages

SLACK = 1024 * 1024  # multipart boundaries and form fields around the file


class BodyLimit:
    """ASGI middleware: 413 when Content-Length, or the bytes actually received, pass the limit."""

    def __init__(self, app, max_bytes):
        self.app, self.limit = app, max_bytes  # a callable: the settings' current limit

    @property
    def max_bytes(self) -> int:
        return self.limit() + SLACK

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        page = for_pages(scope.get("path", ""))
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, page, self.limit())
        seen = 0
        refused = False

        async def counted_receive():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # answer now; the app sees the client go away
                    refused = True
                    await _too_large(send, page, self.limit())
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if not refused:  # after the 413, whatever the app says is dropped
                await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise


PAGE_413 = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>上传内容过大 · tiering</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main><h1>上传内容过大</h1><p class="error" role="alert">上传的文件超过大小上限（{mb} MB），
请拆分为几个较小的文件后分别上传。</p><p><a class="button" href="/batch">返回上传页面</a>
<a href="/">返回首页</a></p></main></body></html>"""


async def _too_large(send, page: bool = False, limit: int = 0) -> None:
    """413 before the app reads the body: a page for browsers, JSON for the API (this runs
    outside the app, so the page is a fixed one)."""
    if page:
        payload, kind = (
            PAGE_413.format(mb=limit // (1024 * 1024)).encode(),
            b"text/html; charset=utf-8",
        )
    else:
        message = body("too_large", "上传内容超过大小上限", "request body too large")
        payload, kind = json.dumps(message, ensure_ascii=False).encode("utf-8"), b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
