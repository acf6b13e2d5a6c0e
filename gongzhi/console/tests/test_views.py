"""Console pages through the Django test client: login required, scope enforced (404 outside it), content right.

UI strings are asserted in English only (requests say Accept-Language: en), so the tests keep passing when the
zh_Hans catalogue fills in; data (names, phones, links) is asserted in any language.
"""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from gongzhi.accounts.tests.factories import PASSWORD, UserFactory
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import make_tree, post

pytestmark = pytest.mark.django_db


def node_url(node: GridNode | int) -> str:
    return reverse("console:grid_node", args=[getattr(node, "pk", node)])


def geojson_url(node: GridNode | int) -> str:
    return reverse("console:grid_node_geojson", args=[getattr(node, "pk", node)])


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def worker_client(en_client, community_worker):
    en_client.force_login(community_worker)
    return en_client


# --- login required ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "areas", "grid_node", "grid_node_geojson"])
def test_anonymous_is_sent_to_login(client, district, name):
    url = reverse(f"console:{name}", args=[] if name in ("home", "areas") else [district.community.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_login_page_has_labelled_fields(en_client):
    response = en_client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html
    assert "<main" in html and "<header" in html and "<footer" in html
    # The brand is the configured site name (auth's LoginView would put the host name in `site_name`).
    assert "Gongzhi community governance</span>" in html
    assert "testserver" not in html


def test_wrong_password_says_so(en_client, community_worker):
    response = en_client.post(reverse("accounts:login"), {"username": "wangfang", "password": "wrong-password"})
    assert response.status_code == 200
    assert "The user name or password is not right" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def test_login_lands_on_the_community_desk_and_the_grid_map_opens_the_community(en_client, district, community_worker):
    response = en_client.post(reverse("accounts:login"), {"username": "wangfang", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1] == (reverse("console:queue"), 302)
    assert response.status_code == 200
    response = en_client.get(reverse("console:areas"), follow=True)
    assert response.redirect_chain[-1] == (node_url(district.community), 302)
    assert response.context["node"] == district.community


# --- home -------------------------------------------------------------------------------------------------------


def test_home_without_posts_explains(en_client):
    en_client.force_login(UserFactory())
    response = en_client.get(reverse("console:home"))
    assert response.status_code == 200
    assert "You hold no post in any grid yet" in response.content.decode()


def test_home_with_two_areas_lists_both(en_client, district):
    user = post(roles.COMMUNITY_STAFF, node=district.community).user
    post(roles.COMMUNITY_STAFF, node=district.other_community, user=user)
    en_client.force_login(user)
    response = en_client.get(reverse("console:areas"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{node_url(district.community)}"' in html
    assert f'href="{node_url(district.other_community)}"' in html
    assert district.community.name in html and district.other_community.name in html


def test_superuser_home_is_the_command_centre_and_the_grid_map_the_district(en_client, district):
    en_client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = en_client.get(reverse("console:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:home")
    response = en_client.get(reverse("console:areas"))
    assert response.status_code == 302
    assert response["Location"] == node_url(district.district)


# --- grid node page ---------------------------------------------------------------------------------------------


def test_community_page_shows_map_figures_subdivisions_and_staff(worker_client, district, grid_worker):
    response = worker_client.get(node_url(district.community))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{district.community.name}</h1>" in html
    # Map: the boundaries come from the geojson endpoint; the JS opens a clicked area through data-node-url.
    assert f'data-geojson="{geojson_url(district.community)}"' in html
    assert 'id="grid-map"' in html
    assert 'data-node-url="/console/grid/0/"' in html
    # Figures: below a community are 2 grids, 4 micro-grids, 2 buildings and 2 posts (community + grid worker).
    figures = {str(label): value for label, value in response.context["figures"]}
    assert figures == {"Grids": 2, "Micro-grids": 4, "Buildings": 2, "Staff posts": 2}
    assert "Streets" not in html and "Communities" not in html
    # Subdivisions: both grids, linked.
    for child in district.community.children.all():
        assert f'href="{node_url(child)}"' in html
        assert child.name in html
    # 三亮: the community secretary's card with duty and phone; the grid worker's card belongs to the grid page.
    assert "王芳" in html and "社区书记" in html and "统筹社区治理和网格服务" in html
    assert 'href="tel:028-8888-0001"' in html
    assert "李军" not in html


def test_breadcrumbs_stop_at_the_viewers_scope(worker_client, district):
    response = worker_client.get(node_url(district.micro_grid))
    assert response.status_code == 200
    crumbs = [n.pk for n in response.context["breadcrumbs"]]
    assert crumbs == [district.community.pk, district.grid.pk]
    html = response.content.decode()
    assert f'href="{node_url(district.street)}"' not in html
    assert f'href="{node_url(district.district)}"' not in html


def test_district_viewer_sees_the_whole_trail(en_client, district):
    en_client.force_login(post(roles.COMMAND_CENTRE, node=district.district).user)
    response = en_client.get(node_url(district.micro_grid))
    assert [n.level for n in response.context["breadcrumbs"]] == ["district", "street", "community", "grid"]


def test_grid_page_shows_grid_worker_and_community_staff_nearest_first(worker_client, district, grid_worker):
    response = worker_client.get(node_url(district.grid))
    cards = response.content.decode().split('class="staff-cards"', 1)[1]
    assert cards.index("李军") < cards.index("王芳")
    assert 'href="tel:138-0000-1234"' in cards and "巡查走访、收集民意、上报问题" in cards


def test_micro_grid_page_lists_its_buildings(worker_client, district):
    response = worker_client.get(node_url(district.micro_grid))
    html = response.content.decode()
    assert "1号楼" in html and "2号楼" in html
    assert "24 households" in html and "36 households" in html
    assert "Subdivisions" not in html


def test_a_node_page_links_to_the_qr_posters_of_its_buildings(worker_client, district):
    html = worker_client.get(node_url(district.micro_grid)).content.decode()
    link = reverse("portal:posters", args=[district.micro_grid.pk])
    assert f'href="{link}"' in html
    assert worker_client.get(link).status_code == 200


def test_district_page_has_no_empty_staff_section(en_client, district):
    en_client.force_login(post(roles.COMMAND_CENTRE, node=district.district).user)
    response = en_client.get(node_url(district.district))
    html = response.content.decode()
    assert "Staff serving here" not in html
    figures = {str(label): value for label, value in response.context["figures"]}
    assert figures["Streets"] == 2 and figures["Communities"] == 4 and figures["Micro-grids"] == 16


def test_a_page_costs_a_fixed_number_of_queries(worker_client, district, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        assert worker_client.get(node_url(district.community)).status_code == 200


def test_another_communitys_node_is_not_found(worker_client, district):
    other_grid = district.other_community.children.first()
    for node in (district.other_community, other_grid, district.street, district.district):
        response = worker_client.get(node_url(node))
        assert response.status_code == 404, node
        assert "Page not found" in response.content.decode()


def test_another_districts_node_is_not_found(worker_client, district):
    elsewhere = make_tree(2)
    assert worker_client.get(node_url(elsewhere)).status_code == 404
    assert worker_client.get(geojson_url(elsewhere)).status_code == 404


def test_a_missing_node_is_not_found(worker_client, district):
    missing = GridNode.objects.order_by("-pk").first().pk + 1000
    assert worker_client.get(node_url(missing)).status_code == 404
    assert worker_client.get(geojson_url(missing)).status_code == 404


def test_admin_link_only_for_django_staff(en_client, district):
    plain = post(roles.COMMUNITY_STAFF, node=district.community).user
    en_client.force_login(plain)
    assert reverse("admin:index") not in en_client.get(node_url(district.community)).content.decode()
    admin = post(roles.COMMUNITY_STAFF, node=district.community, user=UserFactory(is_staff=True)).user
    en_client.force_login(admin)
    html = en_client.get(node_url(district.community)).content.decode()
    assert f'href="{reverse("admin:index")}"' in html
    assert f'action="{reverse("accounts:logout")}"' in html


def test_logout_goes_to_login(worker_client):
    response = worker_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert worker_client.get(reverse("console:home")).status_code == 302


# --- boundaries -------------------------------------------------------------------------------------------------


def test_geojson_returns_the_children_as_a_feature_collection(worker_client, district):
    response = worker_client.get(geojson_url(district.community))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    children = list(district.community.children.order_by("path"))
    assert [f["properties"]["id"] for f in data["features"]] == [c.pk for c in children]
    for feature, child in zip(data["features"], children, strict=True):
        assert feature["type"] == "Feature"
        assert feature["geometry"] == child.boundary
        assert feature["properties"] == {
            "kind": "area",
            "id": child.pk,
            "code": child.code,
            "name": child.name,
            "level": "grid",
        }


def test_geojson_of_a_micro_grid_is_its_own_shape_with_its_located_buildings(worker_client, district):
    data = worker_client.get(geojson_url(district.micro_grid)).json()
    area, *points = data["features"]
    assert area["properties"]["id"] == district.micro_grid.pk and area["properties"]["kind"] == "area"
    # Only 1号楼 has coordinates; 2号楼 is listed on the page but cannot be drawn.
    building = district.micro_grid.buildings.get(name="1号楼")
    assert points == [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [building.lon, building.lat]},
            "properties": {"kind": "building", "id": building.pk, "name": "1号楼"},
        }
    ]


def test_geojson_of_a_street_is_out_of_a_community_workers_scope(worker_client, district):
    assert worker_client.get(geojson_url(district.street)).status_code == 404
    assert worker_client.get(geojson_url(district.other_community)).status_code == 404


# --- language ---------------------------------------------------------------------------------------------------


def test_language_switch_keeps_the_page(client, district, community_worker):
    client.force_login(community_worker)
    page = node_url(district.community)
    html = client.get(page).content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'name="language" value="en"' in html
    assert f'name="next" value="{page}"' in html

    response = client.post(reverse("set_language"), {"language": "en", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    html = client.get(page).content.decode()
    assert '<html lang="en">' in html
    assert "Staff serving here" in html and "Log out" in html
    assert 'name="language" value="zh-hans"' in html and "简体中文" in html

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    html = client.get(page).content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'name="language" value="en"' in html


def test_language_switch_on_the_login_page(client):
    login = reverse("accounts:login")
    response = client.post(reverse("set_language"), {"language": "en", "next": login})
    assert response["Location"] == login
    assert '<html lang="en">' in client.get(login).content.decode()


def test_language_switch_refuses_an_offsite_next(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://example.com/"})
    assert response.status_code == 302
    assert "example.com" not in response["Location"]


# --- error pages ------------------------------------------------------------------------------------------------


def test_server_error_page_renders_without_a_request():
    # Django renders 500.html with no request and no context processors: it must not need them.
    with translation.override("en"):
        html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert 'href="/static/css/gongzhi.css"' in html
