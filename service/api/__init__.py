"""The JSON API, versioned under /api/v1."""

from fastapi import APIRouter

from service.api import account, assess, batches, criteria, firms, pool
from service.api.responses import ERRORS

router = APIRouter(prefix="/api/v1", responses=ERRORS)
for module in (assess, criteria, firms, batches, pool, account):
    router.include_router(module.router)
