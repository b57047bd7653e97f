from django.urls import path

from . import views

# No app_name: the home page keeps its project-wide name, `home`.
urlpatterns = [
    path("", views.home, name="home"),
]
