"""The administrator's view of the audit log."""

from starlette.requests import Request
from starlette.responses import Response

from core import audit
from core.accounts.routes.users import PAGE, admin_list


async def admin_audit(request: Request) -> Response:
    return await admin_list(
        request,
        "accounts/admin_audit.html",
        "action",
        lambda session, action, offset: audit.browse(
            session, action=action, limit=PAGE, offset=offset
        ),
    )
