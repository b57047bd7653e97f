from django.urls import path

from . import views

# No app_name: the home page keeps its project-wide name, `home`.
urlpatterns = [
    path("", views.home, name="home"),
    # The command centre (指挥调度中心): the page, its numbers as JSON, its tables as Excel.
    path("dashboard/centre/", views.centre_page, name="centre"),
    path("dashboard/centre/data/", views.centre_data, name="centre_data"),
    path("dashboard/centre/export/<slug:table>/", views.centre_export, name="centre_export"),
]
