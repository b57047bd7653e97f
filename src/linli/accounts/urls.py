from django.contrib.auth import views as auth_views
from django.urls import path

from . import audit_views, sms_views, views
from .views import LoginView

app_name = "accounts"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The second step after `login` (accounts/middleware.py sends sessions here).
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("2fa/enrol/", views.otp_enrol, name="otp_enrol"),
    path("2fa/recovery-codes/", views.otp_recovery, name="otp_recovery"),
    path("2fa/disable/", views.otp_disable, name="otp_disable"),
    # 我的账户
    path("me/", views.me, name="me"),
    path("me/tokens/", views.token_create, name="token_create"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    path("audit/verify/", audit_views.audit_verify, name="audit_verify"),
    # Login by SMS code (accounts/sms_login.py).
    path("login/code/", sms_views.code_login, name="code_login"),
    path("login/code/verify/", sms_views.code_verify, name="code_verify"),
    path("login/code/password/", sms_views.code_password, name="code_password"),
]
