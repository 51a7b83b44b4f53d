"""A help request's photo: type-checked and size-limited, its location metadata stripped,
shown to triage staff only, erased with the contact data."""

import io
from datetime import timedelta

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from core import clock
from residents.models import HelpRequest
from residents.service.followup import erase_closed
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: EXIF with the GPS position and a rotation."""
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (30.0, 37.0, 48.0), 3: "E", 4: (114.0, 19.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    content = out.getvalue()
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return content


async def post_form(residents, photo: tuple, **fields):
    client = residents.client
    token = await csrf_token(client, "/help")
    data = {
        "csrftoken": token,
        "incident_id": str(residents.incident_id),
        "category": "shelter",
        "description": "The roof fell in",
        "contact_phone": "+86 137 0000 7777",
        "consent": "on",
        **fields,
    }
    return await client.post("/help", data=data, files={"photo": photo})


async def photo_request(app) -> HelpRequest:
    async with app.state.database.session() as session:
        return (await session.scalars(select(HelpRequest).order_by(HelpRequest.id.desc()))).first()


async def test_the_photo_is_kept_without_its_location_and_shown_to_staff_only(
    residents, app, factory
):
    sent = await post_form(residents, ("IMG_0001.jpg", phone_photo(), "image/jpeg"))
    assert sent.status_code == 303, sent.text
    follow_up = sent.headers["location"]
    row = await photo_request(app)
    assert row.photo_file and row.photo_file.endswith(".jpg")
    stored = (app.state.settings.upload_dir / "help-photos" / row.photo_file).read_bytes()
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    kept = Image.open(io.BytesIO(stored))
    assert kept.format == "JPEG" and not kept.getexif()
    assert kept.size == (30, 40)  # turned upright by its orientation before it was dropped
    # The requester's own page and the public never link to it.
    page = await residents.client.get(follow_up)
    assert "/photo" not in page.text
    assert (await residents.client.get(f"/help-requests/{row.id}/photo")).status_code == 303
    volunteer = await factory.user()
    await sign_in(residents.client, volunteer.email)
    assert (await residents.client.get(f"/help-requests/{row.id}/photo")).status_code == 403
    await sign_in(residents.client, residents.setup.official.email)
    shown = await residents.client.get(f"/help-requests/{row.id}/photo")
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["cache-control"] == "private, no-store"
    assert shown.content == stored
    queue = await residents.client.get(
        "/help-requests", params={"incident_id": residents.incident_id}
    )
    assert f"/help-requests/{row.id}/photo" in queue.text


async def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept(residents, app):
    refused = await post_form(residents, ("roof.jpg", b"MZ\x90\x00 not an image", "image/jpeg"))
    assert refused.status_code == 422
    assert "JPEG, PNG or WebP" in refused.text
    assert await photo_request(app) is None
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    refused = await post_form(residents, ("roof.gif", gif.getvalue(), "image/gif"))
    assert refused.status_code == 422


async def test_a_photo_over_the_limit_is_refused(residents, app):
    app.state.settings.help_photo_max_bytes = 500
    refused = await post_form(residents, ("big.jpg", phone_photo() + b"\0" * 600, "image/jpeg"))
    assert refused.status_code == 422
    assert "too large" in refused.text


async def test_erasing_the_contact_data_removes_the_photo(residents, app):
    sent = await post_form(residents, ("IMG_0002.jpg", phone_photo(), "image/jpeg"))
    follow_up = sent.headers["location"]
    row = await photo_request(app)
    path = app.state.settings.upload_dir / "help-photos" / row.photo_file
    assert path.is_file()
    token = await csrf_token(residents.client, "/help")
    await residents.client.post(follow_up + "/confirm", data={"csrftoken": token, "done": "yes"})
    clock.advance(timedelta(days=91))
    async with app.state.database.transaction() as session:
        assert (await erase_closed(session, {}))["erased"] == 1
    assert not path.exists()
    assert (await photo_request(app)).photo_file is None
