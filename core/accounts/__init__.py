"""Accounts and organizations: registration, sign-in, tokens, password reset, admin pages."""

from pathlib import Path

from core import mail
from core.accounts import labels, routes
from core.domain import Domain

DOMAIN = Domain(
    name="accounts",
    package_dir=Path(__file__).parent,
    routes=routes.routes,
    api_routes=routes.api_routes,
    nav=routes.nav,
    jobs={mail.JOB: mail.send_mail},
    template_globals={"AL": labels.LABELS, "account_label": labels.account_label},
)
