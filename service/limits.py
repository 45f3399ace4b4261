"""Request bodies over the upload limit are refused while they stream in, not after."""

from __future__ import annotations

import json

from service.errors import body

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
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send)
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
                    await _too_large(send)
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


async def _too_large(send) -> None:
    payload = json.dumps(
        body("too_large", "上传内容超过大小上限", "request body too large"), ensure_ascii=False
    ).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
