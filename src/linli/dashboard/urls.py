from django.urls import path

from . import views, views_reports

# No app_name: the home page keeps its project-wide name, `home`.
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/reports/", views_reports.reports, name="dashboard_reports"),
    path("dashboard/reports/make/", views_reports.report_make, name="dashboard_report_make"),
    path(
        "dashboard/reports/<int:pk>/xlsx/", views_reports.report_xlsx, name="dashboard_report_xlsx"
    ),
    path("dashboard/reports/<int:pk>/pdf/", views_reports.report_pdf, name="dashboard_report_pdf"),
]
