"""The JSON API, versioned under /api/v1."""

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from service import deps
from service.api import account, assess, batches, criteria, firms, pool
from service.api.responses import ERRORS, FORBIDDEN, UNAUTHENTICATED


def _calls(dependant: Dependant) -> set:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _declare_auth_errors(routes) -> None:
    """401/403 only where an operation can return them: 401 where it needs a user, 403 where
    it needs a role or is an unsafe method (a cookie request's CSRF header). The stateless
    routes (/assess, /what-if, /criteria) declare neither."""
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        calls = _calls(route.dependant)
        if deps.current_user not in calls:
            continue
        route.responses = {**UNAUTHENTICATED, **route.responses}
        role = {deps.bureau_user, deps.admin_user} & calls
        if role or route.methods & deps.UNSAFE:
            route.responses = {**FORBIDDEN, **route.responses}


router = APIRouter(prefix="/api/v1", responses=ERRORS)
for module in (assess, criteria, firms, batches, pool, account):
    _declare_auth_errors(module.router.routes)
    router.include_router(module.router)
