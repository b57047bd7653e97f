from django.urls import path

from . import views, views_map, views_reports

# No app_name: the home page keeps its project-wide name, `home`.
urlpatterns = [
    path("", views.home, name="home"),
    # The command centre (指挥调度中心): the page, its numbers as JSON, its tables as Excel.
    path("dashboard/centre/", views.centre_page, name="centre"),
    path("dashboard/centre/data/", views.centre_data, name="centre_data"),
    path("dashboard/screen/", views.centre_screen, name="centre_screen"),
    path("dashboard/centre/export/<slug:table>/", views.centre_export, name="centre_export"),
    path("dashboard/reports/", views_reports.reports, name="dashboard_reports"),
    path("dashboard/reports/make/", views_reports.report_make, name="dashboard_report_make"),
    path(
        "dashboard/reports/<int:pk>/xlsx/", views_reports.report_xlsx, name="dashboard_report_xlsx"
    ),
    path("dashboard/reports/<int:pk>/pdf/", views_reports.report_pdf, name="dashboard_report_pdf"),
    # The command centre's map (views_map.py, maps.py).
    path("map/", views_map.map_page, name="dashboard_map"),
    path("map/data/", views_map.map_data, name="dashboard_map_data"),
]
