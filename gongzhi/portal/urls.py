from django.urls import path

from gongzhi.portal import (
    deliberation_views,
    map_views,
    market_views,
    people_views,
    services_views,
    station_views,
    views,
)
from gongzhi.portal import errand_views as errands

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("display/", views.display, name="display"),
    # The URL printed in a building's QR code: keep it short.
    path("b/<str:token>/", views.scan, name="scan"),
    path("report/", views.report, name="report"),
    path("report/nearby/", views.nearby, name="nearby"),
    path("map/<int:jurisdiction_id>/areas.geojson", map_views.map_areas, name="map_areas"),
    path(
        "map/<int:jurisdiction_id>/<slug:layer>/<int:z>/<int:x>/<int:y>.geojson",
        map_views.map_places,
        name="map_places",
    ),
    path("t/", views.track_lookup, name="track_lookup"),
    path("t/<str:code>/", views.track, name="track"),
    path("t/<str:code>/rate/", views.rate, name="rate"),
    path("t/<str:code>/add/", views.add_info, name="add_info"),
    path("t/<str:code>/withdraw/", views.withdraw, name="withdraw"),
    path("t/<str:code>/photo/<int:index>.jpg", views.photo, name="photo"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("mine/", views.mine, name="mine"),
    path("board/", views.board_index, name="board_index"),
    path("board/<int:node_id>/", views.board, name="board"),
    path("board/photo/<str:public_id>/<int:index>.jpg", views.board_photo, name="board_photo"),
    # The public map of published cases, per community or for the whole jurisdiction (?j=CODE).
    path("board/map/", views.public_map, name="public_map_all"),
    path("board/map/cases.geojson", views.map_cases, name="map_cases_all"),
    path("board/<int:node_id>/map/", views.public_map, name="public_map"),
    path("board/<int:node_id>/cases.geojson", views.map_cases, name="map_cases"),
    # A published case by its public id: what public lists link to (never a tracking code).
    path("p/<str:public_id>/", views.published, name="published"),
    path("stations/", station_views.stations, name="stations"),
    path("stations/points.geojson", station_views.stations_geojson, name="stations_geojson"),
    path("stations/<int:station_id>/", station_views.station, name="station"),
    path("matters/", station_views.matters, name="matters"),
    path("matters/<slug:code>/", station_views.matter, name="matter"),
    path("points/", views.points_index, name="points_index"),
    path("points/<int:node_id>/", views.points, name="points"),
    # 便民服务: a community's projects and resources (the lists).
    path("services/", services_views.index, name="services_index"),
    path("services/<int:node_id>/", services_views.community, name="services"),
    path("services/<int:node_id>/p/<int:project_id>/", services_views.project, name="service_project"),
    path("services/<int:node_id>/r/<int:resource_id>/", services_views.resource, name="service_resource"),
    # 市集 and 服务列车进小区: what's on near me, an event, booking a slot, my bookings.
    path("market/", market_views.whats_on, name="market"),
    path("market/bookings/", market_views.my_bookings, name="market_bookings"),
    path("market/bookings/<str:code>/", market_views.booking_page, name="market_booking"),
    path("market/bookings/<str:code>/cancel/", market_views.cancel, name="market_cancel"),
    path("market/<int:event_id>/", market_views.event_page, name="market_event"),
    path("market/<int:event_id>/book/<int:slot_id>/", market_views.book, name="market_book"),
    # 议事 (有事来协商): topics near me, a topic (support, comment, vote), proposing one, meetings and their check-in.
    path("topics/", deliberation_views.topics, name="topics"),
    path("topics/new/", deliberation_views.propose, name="topic_new"),
    path("topics/<int:topic_id>/", deliberation_views.topic_page, name="topic"),
    path("topics/<int:topic_id>/support/", deliberation_views.support, name="topic_support"),
    path("topics/<int:topic_id>/comment/", deliberation_views.comment, name="topic_comment"),
    path("topics/<int:topic_id>/votes/<int:vote_id>/", deliberation_views.vote, name="topic_vote"),
    path("topics/<int:topic_id>/photo/<int:index>.jpg", deliberation_views.topic_photo, name="topic_photo"),
    path("meetings/checkin/<str:token>/", deliberation_views.check_in, name="meeting_checkin"),
    path("meetings/<int:meeting_id>/", deliberation_views.meeting_page, name="meeting"),
    path("meetings/<int:meeting_id>/register/", deliberation_views.meeting_register, name="meeting_register"),
    # 通知公告: a notice, texting me a building's notices, and the opt-out link of those texts.
    path("notices/<int:notice_id>/", deliberation_views.notice_page, name="notice"),
    path("notices/subscribe/<str:token>/", deliberation_views.notice_subscribe, name="notice_subscribe"),
    path("notices/stop/<str:token>/", deliberation_views.notice_stop, name="notice_stop"),
    # The people of the grid: become a steward or a volunteer (我是党员我报到), activities near me with sign-up and
    # QR check-in/out (the console prints codes to these two exact paths), my hours and the yearly certificate.
    path("people/", people_views.hub, name="people"),
    path("people/steward/", people_views.steward, name="people_steward"),
    path("people/steward/applied/", people_views.applied, name="people_applied"),
    path("people/volunteer/", people_views.volunteer, name="people_volunteer"),
    path("people/volunteer/report-in/", people_views.report_in, name="people_report_in"),
    path("people/hours/", people_views.hours, name="people_hours"),
    path("people/hours/<int:year>/certificate.pdf", people_views.certificate, name="people_certificate"),
    path("activities/", people_views.activities, name="activities"),
    path("activities/checkin/<str:token>/", people_views.check_in, name="activity_checkin"),
    path("activities/checkout/<str:token>/", people_views.check_out, name="activity_checkout"),
    path("activities/<int:activity_id>/", people_views.activity_page, name="activity"),
    path("activities/<int:activity_id>/sign-up/", people_views.sign_up, name="activity_sign_up"),
    path("activities/<int:activity_id>/cancel/", people_views.cancel, name="activity_cancel"),
    # Staff: QR posters.
    path("posters/<int:node_id>/", views.posters_page, name="posters"),
    path("posters/building/<int:building_id>.pdf", views.poster_building, name="poster_building"),
    path("posters/compound/<int:compound_id>.pdf", views.poster_compound, name="poster_compound"),
    path("posters/node/<int:node_id>.pdf", views.poster_node, name="poster_node"),
    # 我的代办: a volunteer's errands (accept, decline, done with what they did)
    path("people/errands/", errands.errands, name="people_errands"),
    path("people/errands/<str:errand_id>/<slug:action>/", errands.errand_act, name="people_errand_act"),
]
