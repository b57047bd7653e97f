from django.contrib.auth import views as auth_views
from django.urls import path

from . import sms_views
from .forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Login by SMS code (accounts/sms_login.py).
    path("login/code/", sms_views.code_login, name="code_login"),
    path("login/code/verify/", sms_views.code_verify, name="code_verify"),
    path("login/code/password/", sms_views.code_password, name="code_password"),
]
