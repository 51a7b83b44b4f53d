"""Browser pages of the donations domain, one module per audience."""

from starlette.routing import Route

from core.domain import NavItem
from core.i18n import lazy_gettext
from core.models import Role
from donations.pages import money, offers, public

routes = [
    Route("/offers", offers.offer_list, name="offers"),
    Route("/offers/new", offers.offer_new, methods=["GET", "POST"], name="offer_new"),
    Route("/offers/{id:int}/edit", offers.offer_edit, methods=["GET", "POST"],
          name="offer_edit"),
    Route("/offers/{id:int}/withdraw", offers.offer_withdraw, methods=["POST"],
          name="offer_withdraw"),
    Route("/matching", offers.matching_desk, methods=["GET", "POST"], name="matching"),
    Route("/matching/matches/{id:int}/{action:str}", offers.match_decide, methods=["POST"],
          name="match_decide"),
    Route("/my-matches", offers.my_matches, name="matches"),
    Route("/my-matches/{id:int}/fulfil", offers.match_fulfil, methods=["POST"],
          name="match_fulfil"),
    Route("/give", money.give, methods=["GET", "POST"], name="give"),
    Route("/my-donations", money.mine, name="mine"),
    Route("/my-donations/{id:int}/receipt.pdf", money.receipt_pdf, name="receipt"),
    Route("/funds", money.funds_desk, name="funds"),
    Route("/funds/donations/{id:int}/receive", money.receive_pledge, methods=["POST"],
          name="receive"),
    Route("/funds/disbursements", money.disburse, methods=["POST"], name="disburse"),
    Route("/funds/disbursements/{id:int}/receipt", money.receipt_file,
          name="receipt_file"),
    Route("/funds/dont-send", money.dont_send_add, methods=["POST"],
          name="dont_send_add"),
    Route("/funds/dont-send/{id:int}/remove", money.dont_send_remove, methods=["POST"],
          name="dont_send_remove"),
    Route("/funds/ledger/{id:int}/reverse", money.reverse, methods=["POST"],
          name="reverse"),
    Route("/incidents/{id:int}/giving", public.giving, name="giving"),
    Route("/ledger", public.ledger_page, name="ledger"),
]  # fmt: skip

nav = [
    NavItem(lazy_gettext("Ledger"), "donations:ledger", order=30),
    NavItem(lazy_gettext("Offers"), "donations:offers",
            roles=(Role.ngo, Role.donor, Role.official), order=40),
    NavItem(lazy_gettext("Matching"), "donations:matching", roles=(Role.official,), order=41),
    NavItem(lazy_gettext("Funds"), "donations:funds", roles=(Role.official,), order=42),
    NavItem(lazy_gettext("My matches"), "donations:matches", roles=(Role.ngo, Role.donor),
            order=43),
    NavItem(lazy_gettext("Give"), "donations:give", roles=(Role.donor,), order=44),
    NavItem(lazy_gettext("My donations"), "donations:mine", roles=(Role.donor,), order=45),
]  # fmt: skip
