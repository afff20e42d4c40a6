"""The JSON API at /api/v1/ (docs/api.md): assembled from each app's api.py. Token calls act as the
token's user within its scopes; every answer that refuses has the one error shape (minhu.core.api)."""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from minhu.accounts.api import TokenAuth
from minhu.accounts.api import router as accounts_router
from minhu.appeals.api import public as appeals_public
from minhu.appeals.api import router as appeals_router
from minhu.core.api import RateLimit, install_error_handlers
from minhu.grid.api import router as grid_router
from minhu.problems.api import public as problems_public
from minhu.problems.api import router as problems_router

api = NinjaAPI(
    title="Minhu API",
    version="1",
    description="Minhu's JSON API. Public calls (the catalogue, tracking) need no token; the rest take "
    "`Authorization: Bearer <token>` — a personal token with scopes, issued on the page /accounts/tokens/. "
    'Every refusal answers `{"errors": [{"code", "field", "message"}]}`; too many calls answer 429 '
    "with Retry-After.",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    throttle=[RateLimit()],
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", appeals_public)
api.add_router("/", accounts_router)
api.add_router("/", grid_router)
api.add_router("/", appeals_router)
api.add_router("/", problems_public)
api.add_router("/", problems_router)
