from django.urls import path

from . import views, views_io

app_name = "org"

urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/children/", views.unit_children, name="unit_children"),
    path("units/<int:pk>/children/new/", views.unit_child_create, name="unit_child_create"),
    path("units/<int:pk>/rename/", views.unit_rename, name="unit_rename"),
    path("units/<int:pk>/places/new/", views.place_create, name="place_create"),
    path("units/<int:pk>/teams/new/", views.team_create, name="team_create"),
    path("units/<int:pk>/teams/members/new/", views.team_member_add, name="team_member_add"),
    path(
        "units/<int:pk>/representatives/new/",
        views.representative_appoint,
        name="representative_appoint",
    ),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/members/", views.member_add, name="member_add"),
    path("households/<int:pk>/link/", views.household_link, name="household_link"),
    path("members/<int:pk>/reveal/", views.member_reveal, name="member_reveal"),
    path("representatives/", views.representative_list, name="representative_list"),
    path("representatives/<int:pk>/", views.representative_detail, name="representative_detail"),
    path(
        "representatives/<int:pk>/end-term/",
        views.representative_end_term,
        name="representative_end_term",
    ),
    path(
        "representatives/<int:pk>/phone/",
        views.representative_phone,
        name="representative_phone",
    ),
    path("coverage/", views.coverage, name="coverage"),
    path("import/", views_io.import_page, name="import"),
    path("import/template/<str:kind>.<str:fmt>", views_io.import_template, name="import_template"),
    path("export/<str:kind>.xlsx", views_io.export, name="export"),
]
