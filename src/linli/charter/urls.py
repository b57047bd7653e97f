from django.urls import path

from . import views

app_name = "charter"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("export.xlsx", views.export, name="export"),
    path("versions/", views.versions, name="versions"),
    path("versions/export.xlsx", views.versions_export, name="versions_export"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/edit/", views.version_edit, name="version_edit"),
    path("versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("versions/<int:pk>/entries/new/", views.entry_new, name="entry_new"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:pk>/delete/", views.entry_delete, name="entry_delete"),
]
