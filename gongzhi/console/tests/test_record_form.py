"""The record form (代录 / 主动发现) takes what the resident form takes (issue 24, item 14): a type, the place as a
building, a compound or a pin on the map, and photos — through the one cleaner, kept as report photos (never on the
public board), without metadata. A place outside the recorder's area, a pin outside the grid, a forged choice or a
bad photo changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import category, world
from gongzhi.core import photos
from gongzhi.core.tests.test_photos import assert_no_metadata, header_bomb
from gongzhi.grid.tests.factories import BuildingFactory, CompoundFactory, JurisdictionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def worker(client, w):
    """The grid worker (主动发现 on patrol), English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(w.grid_worker)
    return client


def centre_of(node) -> tuple[float, float]:
    ring = node.boundary["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2


def phone_photo() -> bytes:
    image = Image.new("RGB", (1200, 900), (90, 140, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 1.0, 2.0), 3: "E", 4: (120.0, 3.0, 4.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"13812345678")
    return out.getvalue()


def record(client, **fields):
    data = {"channel": "patrol", "title": "路灯不亮", **fields}
    return client.post(reverse("console:record"), data)


def nothing_written(media) -> bool:
    return not Case.objects.exists() and not CaseEvent.objects.exists() and not any(media.rglob("*.jpg"))


def test_the_form_offers_type_place_map_and_photos(worker, w):
    html = worker.get(reverse("console:record")).content.decode()
    assert 'enctype="multipart/form-data"' in html
    for name in ("category", "building", "compound", "lat", "lon", "photos", "address"):
        assert f'name="{name}"' in html, name
    assert 'id="record-map"' in html and reverse("console:grid_node_geojson", args=[w.grid.pk]) in html
    assert w.category.name in html


def test_recorded_with_building_type_and_a_photo(worker, w, media):
    response = record(
        worker,
        building=w.building.pk,
        category=w.category.pk,
        photos=[SimpleUploadedFile("IMG_1.jpg", phone_photo(), "image/jpeg")],
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:case", args=[case.pk])
    assert (case.channel, case.category, case.building, case.recorded_by) == (
        "patrol",
        w.category,
        w.building,
        w.grid_worker,
    )
    assert len(case.photos) == 1 and photos.is_report_photo(case.photos[0])  # the problem, not a result
    with default_storage.open(case.photos[0], "rb") as handle:
        assert_no_metadata(handle.read())


def test_recorded_at_a_compound(worker, w):
    compound = CompoundFactory(node=w.grid, jurisdiction=w.jurisdiction, name="幸福里小区")
    assert record(worker, compound=compound.pk).status_code == 302
    case = Case.objects.get()
    assert (case.grid_node, case.building, case.address) == (w.grid, None, "幸福里小区")


def test_recorded_with_a_pin(worker, w):
    lat, lon = centre_of(w.micro)
    assert record(worker, lat=lat, lon=lon, address="3号楼北侧").status_code == 302
    case = Case.objects.get()
    assert case.grid_node == w.micro and case.lat == pytest.approx(lat) and case.address == "3号楼北侧"
    assert case.status == t.SUBMITTED


def test_a_building_wins_over_a_stale_pin(worker, w):
    lat, lon = centre_of(w.micro)
    assert record(worker, building=w.building.pk, lat=lat + 1, lon=lon + 1).status_code == 302
    assert Case.objects.get().building == w.building


def test_no_place_is_refused(worker, w, media):
    response = record(worker)
    assert response.status_code == 400
    assert "choose a building or a compound, or put a pin on the map" in response.content.decode()
    assert nothing_written(media)


def test_a_pin_outside_the_grid_is_refused(worker, w, media):
    response = record(worker, lat=10.0, lon=10.0)
    assert response.status_code == 400 and "outside the grid" in response.content.decode()
    assert nothing_written(media)


def test_a_pin_in_another_community_is_403(worker, w, media):
    lat, lon = centre_of(w.other_community)
    response = record(worker, lat=lat, lon=lon)
    assert response.status_code == 403
    assert nothing_written(media)


def test_forged_building_compound_and_category_are_refused(worker, w, media):
    elsewhere = BuildingFactory(node=w.other_community.children.first().children.first(), jurisdiction=w.jurisdiction)
    other = CompoundFactory(node=w.other_community, jurisdiction=w.jurisdiction)
    foreign = category(JurisdictionFactory(), "x.foreign", name="外区类别")
    # Not one of the choices offered: refused, never recorded elsewhere or with another jurisdiction's type.
    for fields in (
        {"building": elsewhere.pk},
        {"compound": other.pk},
        {"building": 999999},
        {"building": w.building.pk, "category": foreign.pk},
    ):
        response = record(worker, **fields)
        assert response.status_code == 400, fields
        assert "Select a valid choice" in response.content.decode()
    assert nothing_written(media)


def test_a_bomb_photo_is_refused_and_nothing_is_written(worker, w, media):
    response = record(
        worker, building=w.building.pk, photos=[SimpleUploadedFile("bomb.png", header_bomb(), "image/png")]
    )
    assert response.status_code == 400
    assert "bomb.png has too many pixels" in response.content.decode()
    assert nothing_written(media)


def test_a_refused_submission_removes_the_stored_photos(worker, w, media, monkeypatch):
    from gongzhi.cases import services
    from gongzhi.core.errors import DomainError

    def refuse(**kwargs):
        raise DomainError("the jurisdiction has no grid yet")

    monkeypatch.setattr(services, "submit", refuse)
    response = record(worker, building=w.building.pk, photos=[SimpleUploadedFile("a.jpg", phone_photo(), "image/jpeg")])
    assert response.status_code == 400 and "no grid yet" in response.content.decode()
    assert nothing_written(media)


def test_residents_and_staff_without_a_recording_post_cannot_record(client, w, media):
    client.force_login(w.dept_staff)
    assert client.get(reverse("console:record")).status_code == 403
    assert client.post(reverse("console:record"), {"channel": "patrol", "title": "x"}).status_code == 403
    assert nothing_written(media)


def test_a_full_disk_is_a_507_that_says_so_and_nothing_is_recorded(worker, w, media, monkeypatch):
    """The record form lets the storage's failure through: the middleware answers it (core.middleware), after the
    view's transaction was rolled back."""
    from gongzhi.core.testing.disk import files_in, full_disk

    with full_disk(media, monkeypatch) as how:
        print(f"disk: {how}")
        response = record(
            worker,
            building=w.building.pk,
            category=w.category.pk,
            photos=[SimpleUploadedFile("IMG_1.jpg", phone_photo(), "image/jpeg")],
        )
        assert response.status_code == 507 and response["Retry-After"]
        assert "storage is full" in response.content.decode()
        assert files_in(media) == []
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
