from django.urls import reverse


def test_audit_log_and_link_history_are_read_only_in_admin(county, superuser, client):
    client.force_login(superuser)
    assert client.get(reverse("admin:accounts_auditlog_changelist")).status_code == 200
    assert client.get(reverse("admin:org_householdlink_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditlog_add")).status_code == 403
    assert client.get(reverse("admin:org_householdlink_add")).status_code == 403
