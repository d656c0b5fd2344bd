"""A catalog item's photo, on both databases: the admin uploads one (on the edit page or ``PUT
/api/v1/catalog-items/{id}/photo``), the app keeps it upright, at most 800 px, without the photo's metadata, with a
240 px thumbnail; everyone signed in sees it (the list, the volunteer's goods), at a URL that changes with the
photo; anything that is not a photo is refused in words, a bomb of pixels included; removing it leaves no trace."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.auth_helpers import fast_hashing
from tests.drive_helpers import SYSTEM, make_city
from tests.e2e.test_drive_pages import signed_in, site, text_of  # noqa: F401  (site: a fixture)
from timebank.audit.services import list_entries
from timebank.catalog.services import items_by_sku
from timebank.db import get_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


def phone_photo(width=3000, height=2000, *, rotated=True) -> bytes:
    """A phone's landscape JPEG that says "turn me 90° to show upright" (EXIF orientation 6) and where it was taken."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((30, 120, 200), (0, 0, width // 2, height))  # left half blue: the turn shows where it went
    exif = Image.Exif()
    if rotated:
        exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (32.0, 12.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def item_id(db, sku="RICE-5KG") -> int:
    return db.transaction(lambda s: items_by_sku(s, [sku])[sku].id, readonly=True)


def test_the_admin_uploads_a_photo_on_the_edit_page_and_everyone_sees_it(site):
    app, db, city, people = site
    rice = item_id(db)
    admin = signed_in(app, people.admin)
    page = text_of(admin.get(f"/catalog/{rice}/edit"))
    assert 'enctype="multipart/form-data"' in page and "还没有照片" in page  # Chinese by default

    sent = admin.post(f"/catalog/{rice}/photo", data={"photo": (io.BytesIO(phone_photo()), "IMG_2041.JPG")},
                      content_type="multipart/form-data")
    assert sent.status_code == 302, text_of(sent)
    edit = text_of(admin.get(f"/catalog/{rice}/edit"))
    assert "照片已保存" in edit
    [full_url] = [part.split('"')[0] for part in edit.split('src="')[1:] if part.startswith("/catalog/photos/")]
    assert full_url.endswith(".jpg") and "-thumb" not in full_url

    stored = admin.get(full_url)
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    assert "immutable" in stored.headers["Cache-Control"]
    image = Image.open(io.BytesIO(stored.data))
    assert image.height == 800 and 530 <= image.width <= 535  # turned upright (portrait now), at most 800 px
    assert image.getpixel((image.width // 2, 100))[2] > 150  # the blue half is on top after the turn
    assert not image.getexif()  # no orientation, no GPS: nothing of the phone's metadata
    thumb = Image.open(io.BytesIO(admin.get(full_url.replace(".jpg", "-thumb.jpg")).data))
    assert max(thumb.size) == 240

    # The list shows the thumbnail; the volunteer sees it beside the goods of the drive.
    assert full_url.replace(".jpg", "-thumb.jpg") in text_of(admin.get("/catalog/"))
    volunteer = signed_in(app, people.volunteer)
    goods = text_of(volunteer.get(f"/exchange/drives/{city.drive.id}"))
    assert f'class="goods-photo" src="{full_url.replace(".jpg", "-thumb.jpg")}"' in goods
    anyone = app.test_client().get(full_url)  # a shop's picture: the URL is what only the catalog shows
    assert anyone.status_code == 200 and "Set-Cookie" not in anyone.headers and "public" in anyone.headers[
        "Cache-Control"]

    # A new photo is a new URL; the old one is gone. Removing it leaves none.
    admin.post(f"/catalog/{rice}/photo", data={"photo": (io.BytesIO(phone_photo(rotated=False)), "b.jpg")},
               content_type="multipart/form-data")
    assert admin.get(full_url).status_code == 404
    assert admin.post(f"/catalog/{rice}/photo/remove").status_code == 302
    assert "还没有照片" in text_of(admin.get(f"/catalog/{rice}/edit"))
    actions = [e.action for e in list_entries(db, actor=SYSTEM, object_type="catalog_item", object_id=str(rice)).items]
    assert actions.count("catalog_item.photo") == 2 and actions.count("catalog_item.photo_remove") == 1


@pytest.mark.parametrize("upload, message", [
    (b"", "请选择要上传的照片"),
    (b"GIF89a not really", "不是能读取的照片"),
    ("a bomb", "像素太多"),
])
def test_what_is_not_a_photo_is_refused_in_words_and_nothing_changes(site, upload, message):
    app, db, city, people = site
    rice = item_id(db)
    if upload == "a bomb":  # a tiny file that would decode to 600 megapixels
        out = io.BytesIO()
        Image.new("1", (30_000, 20_000)).save(out, "PNG")
        upload = out.getvalue()
        assert len(upload) < 200_000
    admin = signed_in(app, people.admin)
    sent = admin.post(f"/catalog/{rice}/photo", data={"photo": (io.BytesIO(upload), "x.jpg")},
                      content_type="multipart/form-data")
    assert sent.status_code == 422
    assert message in text_of(sent) and 'aria-invalid="true"' in text_of(sent)
    assert "/catalog/photos/" not in text_of(admin.get(f"/catalog/{rice}/edit"))


def test_the_api_puts_and_deletes_a_photo(app, client, make_user, api_headers):
    db = get_db(app)
    make_city(db)
    rice = item_id(db)
    admin, volunteer = api_headers(make_user("admin")), api_headers(make_user("volunteer", center="JK01"))

    put = client.put(f"/api/v1/catalog-items/{rice}/photo", headers={**admin, "Content-Type": "image/jpeg"},
                     data=phone_photo())
    assert put.status_code == 200, put.get_json()
    body = put.get_json()
    assert body["photo_url"].startswith(f"/catalog/photos/{rice}/") and body["photo_thumb_url"].endswith("-thumb.jpg")
    listed = client.get("/api/v1/catalog-items", headers=volunteer).get_json()["items"]
    assert {i["sku"]: i["photo_url"] for i in listed}["RICE-5KG"] == body["photo_url"]
    assert {i["sku"]: i["photo_url"] for i in listed}["OIL-5L"] is None

    refused = client.put(f"/api/v1/catalog-items/{rice}/photo", headers={**admin, "Content-Type": "image/png"},
                         data=b"\x89PNG\r\n\x1a\n broken")
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "validation_error" and "不是能读取的照片" in error["fields"]["photo"][0]
    english = client.put(f"/api/v1/catalog-items/{rice}/photo",
                         headers={**admin, "Content-Type": "image/png", "Accept-Language": "en"}, data=b"nope")
    assert "not a photo the app can read" in english.get_json()["error"]["fields"]["photo"][0]
    too_big = client.put(f"/api/v1/catalog-items/{rice}/photo", headers={**admin, "Content-Type": "image/jpeg"},
                         data=b"\xff" * (6 * 1024 * 1024))
    assert too_big.status_code == 413
    assert client.put(f"/api/v1/catalog-items/{rice}/photo", headers=volunteer, data=phone_photo()).status_code == 403
    assert client.put(f"/api/v1/catalog-items/{2**63}/photo", headers=admin, data=phone_photo()).status_code == 404
    assert client.put("/api/v1/catalog-items/999999/photo", headers=admin, data=phone_photo()).status_code == 404
    assert client.get(f"/api/v1/catalog-items/{rice}", headers=admin).get_json()["photo_url"] == body["photo_url"]

    gone = client.delete(f"/api/v1/catalog-items/{rice}/photo", headers=admin)
    assert gone.status_code == 200 and gone.get_json()["photo_url"] is None
    assert client.get(body["photo_url"]).status_code == 404
