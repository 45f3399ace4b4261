"""The ASGI application for uvicorn/gunicorn: ``uvicorn service.asgi:app``."""

from service.app import create_app

app = create_app()
