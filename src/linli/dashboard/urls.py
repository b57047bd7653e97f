from django.urls import path

from . import views, views_map

# No app_name: the home page keeps its project-wide name, `home`.
urlpatterns = [
    path("", views.home, name="home"),
    # The command centre's map (views_map.py, maps.py).
    path("map/", views_map.map_page, name="dashboard_map"),
    path("map/data/", views_map.map_data, name="dashboard_map_data"),
]
