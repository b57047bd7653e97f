from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("export.xlsx", views.export, name="export"),
    path("mine/", views.mine, name="mine"),
    path("weights/", views.weights, name="weights"),
    path("<int:year>/<int:rep_id>/", views.score, name="score"),
]
