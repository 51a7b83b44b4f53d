"""The signed-in person's own page, and the language every page and mail is shown in."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.accounts import service
from core.accounts.routes.sessions import safe_next
from core.auth import current_user, require, user_organization
from core.db import get_session
from core.forms import form_dict
from core.web import render


async def account_page(request: Request) -> Response:
    user = await require(request, verified=False)
    org = await user_organization(request, user)
    status = service.user_status(user, org)
    if status == "pending":
        return await render(request, "pending.html", {"org": org})
    return await render(request, "accounts/account.html", {"org": org, "status": status})


async def set_language(request: Request) -> Response:
    data = await form_dict(request)
    locale = data.get("locale") or ""
    if await service.set_locale(get_session(request), await current_user(request), locale):
        request.session["locale"] = locale
    target = safe_next(data.get("next"), str(request.url_for("recovery:home")))
    return RedirectResponse(target, status_code=303)
