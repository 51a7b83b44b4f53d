"""Material reserves: warehouses, their stock and movements, and the public totals."""

from starlette.requests import Request
from starlette.responses import Response

from core import api
from core.db import get_session
from core.models import User
from core.web import render
from preparedness.schemas import MovementIn, WarehouseCreate
from preparedness.service import create_warehouse, move, public_totals, stock
from recovery.service import CATEGORY_LABELS


async def create_api(request: Request, body: WarehouseCreate, user: User):
    """Open a warehouse for your organization."""
    return api.Answer(
        await create_warehouse(get_session(request), body, actor=user), status_code=201
    )


async def stock_api(request: Request, user: User):
    """Stock levels by category, unit, lot and expiry."""
    return {"items": await stock(get_session(request), request.path_params["id"], viewer=user)}


async def movement_api(request: Request, body: MovementIn, user: User):
    """Receive, issue, transfer or adjust stock; never below zero (409)."""
    movements = await move(get_session(request), request.path_params["id"], body, actor=user)
    return api.Answer(movements, status_code=201)


async def totals_api(request: Request):
    """Reserve totals per category and unit, without warehouse details."""
    return await public_totals(get_session(request))


async def totals_page(request: Request) -> Response:
    totals = await public_totals(get_session(request))
    return await render(
        request, "preparedness/reserves.html", {"totals": totals, "labels": CATEGORY_LABELS}
    )
