from django.urls import reverse


def test_pages_are_chinese_by_default(client, db):
    body = client.get(reverse("accounts:login")).content.decode()
    assert "登录" in body and 'lang="zh-hans"' in body


def test_english_is_available(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("accounts:login")).content.decode()
    assert "Log in" in body and 'lang="en"' in body
