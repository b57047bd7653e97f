from django.urls import path

from . import views

app_name = "funds"

urlpatterns = [
    path("", views.totals, name="totals"),
    path("mine/", views.mine, name="mine"),
    path("entries/", views.entries, name="entries"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("queue/", views.queue, name="queue"),
    path("export.xlsx", views.export, name="export"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("rule/<int:unit_id>/", views.rule, name="rule"),
]
