from django.urls import path

from . import views

app_name = "deliberation"

urlpatterns = [
    path("", views.item_list, name="list"),
    path("export.xlsx", views.item_export, name="export"),
    path("new/", views.item_new, name="new"),
    path("items/<int:pk>/", views.item_detail, name="detail"),
    path("items/<int:pk>/<str:action>/", views.item_act, name="act"),
    path("photos/<int:pk>/", views.item_photo, name="photo"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="comment_hide"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/export.xlsx", views.catalogue_export, name="catalogue_export"),
    path("catalogue/<int:pk>/retire/", views.matter_retire, name="matter_retire"),
    path("rule/", views.rule, name="rule"),
    path("appeal-groups/", views.appeal_groups, name="groups"),
    path("appeal-groups/propose/", views.group_propose, name="group_propose"),
    path("skipped/", views.skipped, name="skipped"),
    path("skipped/export.xlsx", views.skipped_export, name="skipped_export"),
    path("skipped/<int:pk>/photo/", views.skipped_photo, name="skipped_photo"),
    path("public/<int:unit_id>/", views.public_board, name="public_board"),
    path("public/items/<int:pk>/", views.public_item, name="public_item"),
]
