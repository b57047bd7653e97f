from django.urls import path

from . import views, views_annual

app_name = "evaluation"

urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("export.xlsx", views.export, name="export"),
    path("mine/", views.mine, name="mine"),
    path("weights/", views.weights, name="weights"),
    path("<int:year>/<int:rep_id>/", views.score, name="score"),
    # The annual report (述职报告): views_annual.py
    path("annual/", views_annual.mine, name="annual_mine"),
    path("annual/team/", views_annual.team, name="annual_team"),
    path("annual/<int:rep_id>/", views_annual.report, name="annual_report"),
    path("annual/<int:rep_id>/report.docx", views_annual.report_docx, name="annual_docx"),
    path("annual/<int:rep_id>/report.pdf", views_annual.report_pdf, name="annual_pdf"),
]
