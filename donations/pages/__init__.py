"""Browser pages of the donations domain, one module per audience."""

from starlette.routing import Route

from core.i18n import lazy_gettext
from core.models import Role
from core.web import NavItem
from donations.pages import money, offers, public

routes = [
    Route("/offers", offers.offer_list, name="donations:offers"),
    Route("/offers/new", offers.offer_new, methods=["GET", "POST"], name="donations:offer_new"),
    Route("/offers/{id:int}/edit", offers.offer_edit, methods=["GET", "POST"],
          name="donations:offer_edit"),
    Route("/offers/{id:int}/withdraw", offers.offer_withdraw, methods=["POST"],
          name="donations:offer_withdraw"),
    Route("/matching", offers.matching_desk, methods=["GET", "POST"], name="donations:matching"),
    Route("/matching/matches/{id:int}/{action:str}", offers.match_decide, methods=["POST"],
          name="donations:match_decide"),
    Route("/my-matches", offers.my_matches, name="donations:matches"),
    Route("/my-matches/{id:int}/fulfil", offers.match_fulfil, methods=["POST"],
          name="donations:match_fulfil"),
    Route("/give", money.give, methods=["GET", "POST"], name="donations:give"),
    Route("/my-donations", money.mine, name="donations:mine"),
    Route("/my-donations/{id:int}/receipt.pdf", money.receipt_pdf, name="donations:receipt"),
    Route("/funds", money.funds_desk, name="donations:funds"),
    Route("/funds/donations/{id:int}/receive", money.receive_pledge, methods=["POST"],
          name="donations:receive"),
    Route("/funds/disbursements", money.disburse, methods=["POST"], name="donations:disburse"),
    Route("/funds/disbursements/{id:int}/receipt", money.receipt_file,
          name="donations:receipt_file"),
    Route("/funds/dont-send", money.dont_send_add, methods=["POST"],
          name="donations:dont_send_add"),
    Route("/funds/dont-send/{id:int}/remove", money.dont_send_remove, methods=["POST"],
          name="donations:dont_send_remove"),
    Route("/funds/ledger/{id:int}/reverse", money.reverse, methods=["POST"],
          name="donations:reverse"),
    Route("/incidents/{id:int}/giving", public.giving, name="donations:giving"),
    Route("/ledger", public.ledger_page, name="donations:ledger"),
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
