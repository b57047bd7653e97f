"""Pages of the duties: the representative's phone page (owed households,
one-tap contacts, history with corrections), the forms, the leaders' team
table with its drill-down and export, and their scope and query counts."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import AuditLog, Role
from linli.core.timeutil import today
from linli.duties import services
from linli.duties.models import AnnualReport, ContactLog, Deliberation, HomeVisit
from linli.org import services as org_services
from tests.support import factories
from tests.support.queries import assert_queries_flat
from tests.support.roles import Actors, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "owed"}


@pytest.fixture
def actors(county):
    return Actors(county)


def _owed_ids(html: str, households) -> list[int]:
    return [h.pk for h in households if f'id="owed-{h.pk}"' in html]


def _contacts_owed(html: str) -> str:
    start = html.index('id="owed-contacts"')
    return html[start : html.index("</b>", start)].rsplit(">", 1)[-1]


def more_representatives(county, n: int):
    """`n` more representatives in town A's group, each serving one new household."""
    from linli.accounts.models import User

    admin = User.objects.get(is_superuser=True)
    reps = []
    for i in range(n):
        household = org_services.household_create(
            actor=admin, unit=county.group_a, head_name=f"赵{i}", address=f"李畋村一组赵{i}号"
        )
        member = org_services.member_create(
            actor=admin, household=household, name=f"赵代表{i}", relation="head"
        )
        rep = org_services.representative_appoint(
            actor=admin, member=member, unit=county.group_a, term_start=county.rep_a.term_start
        )
        org_services.link_assign(
            actor=admin, household=household, representative=rep, on_date=rep.term_start
        )
        reps.append(rep)
    return reps


# --- the representative's page ------------------------------------------------------------------


def test_rep_page_lists_owed_households_and_one_tap_contact_removes_one(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    html = client.get(reverse("duties:mine")).content.decode()
    assert _owed_ids(html, county.households_a) == [h.pk for h in county.households_a[:6]]
    assert _contacts_owed(html) == "6"
    assert county.households_b[0].head_name not in html

    # One tap on the first household: the row goes, the count falls.
    first = county.households_a[0]
    r = client.post(reverse("duties:contact_quick"), {"household": first.pk}, **HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    assert html.startswith('<section id="owed"')
    assert _owed_ids(html, county.households_a) == [h.pk for h in county.households_a[1:6]]
    assert _contacts_owed(html) == "5"
    contact = ContactLog.objects.get()
    assert (contact.household, contact.representative) == (first, county.rep_a)
    assert (contact.method, contact.role, contact.day) == ("phone", "liaison", today())
    assert contact.created_by == actors.rep
    # The history below is refreshed in the same answer (out of band).
    history = html[html.index('<section id="history"') :]
    assert 'hx-swap-oob="true"' in history and first.head_name in history
    assert 'name="next" value="/duties/"' in history


def test_one_tap_contact_takes_method_and_note_and_works_without_htmx(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    r = client.post(
        reverse("duties:contact_quick"),
        {"household": county.households_a[2].pk, "method": "online", "note": "微信问候"},
        follow=True,
    )
    assert r.redirect_chain[-1][0] == reverse("duties:mine")
    assert "msg-success" in r.content.decode()
    contact = ContactLog.objects.get()
    assert (contact.method, contact.note) == ("online", "微信问候")
    assert _owed_ids(r.content.decode(), county.households_a) == [
        h.pk for h in county.households_a[:6] if h != county.households_a[2]
    ]


def test_one_tap_contact_for_a_household_not_served_changes_nothing(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    for household in (county.households_a[6], county.households_b[0]):
        r = client.post(reverse("duties:contact_quick"), {"household": household.pk}, **HTMX)
        assert r.status_code == 200
        assert "msg-error" in r.content.decode()
        assert _contacts_owed(r.content.decode()) == "6"
    r = client.post(reverse("duties:contact_quick"), {"household": "x"}, **HTMX)
    assert "msg-error" in r.content.decode()
    assert ContactLog.objects.count() == 0


def test_leaders_without_a_representative_go_to_the_team_page(client, actors):
    client.force_login(actors.town)
    r = client.get(reverse("duties:mine"))
    assert r.status_code == 302 and r["Location"] == reverse("duties:team")
    # Someone with no role at all is refused with the error page's plain explanation
    # (the page is not in their menu: dashboard/menu.py).
    nobody = make_user("13700000099", "无角色")
    client.force_login(nobody)
    r = client.get(reverse("duties:mine"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 403 and "请联系管理员" in r.content.decode()
    assert client.post(reverse("duties:contact_quick"), {"household": 1}).status_code == 404


def test_home_visit_with_an_appeal_counts_as_contact_and_visit(client, actors, reference_data):
    from linli.appeals.models import Appeal

    county = actors.county
    household = county.households_a[1]
    client.force_login(actors.rep)
    url = reverse("duties:visit_new") + f"?household={household.pk}"
    page = client.get(url).content.decode()
    assert household.head_name in page and 'name="raise_appeal"' in page
    r = client.post(
        url,
        {
            "household": household.pk,
            "day": today().isoformat(),
            "role": "safety",
            "met": "李一夫妇",
            "findings": "屋后排水沟堵塞",
            "needs": "清理水沟",
            "risks": "雨季积水",
            "raise_appeal": "on",
            "category": "water",
            "appeal_description": "屋后排水沟堵塞，雨天积水进屋",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    visit = HomeVisit.objects.get()
    assert visit.appeal is not None and visit.appeal.household == household
    assert Appeal.objects.count() == 1
    html = client.get(reverse("duties:mine")).content.decode()
    assert household.pk not in _owed_ids(html, county.households_a)
    assert _contacts_owed(html) == "5"
    assert (
        f'href="/duties/visits/new/?household={household.pk}"' not in html.split("visit-chips")[1]
    )


def test_home_visit_with_an_incomplete_appeal_writes_nothing(client, actors, reference_data):
    household = actors.county.households_a[1]
    client.force_login(actors.rep)
    r = client.post(
        reverse("duties:visit_new"),
        {"household": household.pk, "day": today().isoformat(), "role": "liaison"}
        | {"raise_appeal": "on", "category": "", "appeal_description": ""},
    )
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    # A service refusal (dated in the future) is shown on the form too.
    r = client.post(
        reverse("duties:visit_new"),
        {"household": household.pk, "day": "2099-01-01", "role": "liaison"},
    )
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    assert HomeVisit.objects.count() == 0
    # A household that is not the representative's: 404.
    other = actors.county.households_b[0]
    assert client.get(reverse("duties:visit_new") + f"?household={other.pk}").status_code == 404


def test_history_withdraw_then_correct(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    first, second = county.households_a[0], county.households_a[1]
    client.post(reverse("duties:contact_quick"), {"household": first.pk})
    client.post(reverse("duties:contact_quick"), {"household": second.pk})
    c1, c2 = ContactLog.objects.order_by("pk")
    html = client.get(reverse("duties:mine")).content.decode()
    assert reverse("duties:withdraw", args=["contact", c1.pk]) in html

    # Withdraw the first: a reason is required, then it no longer counts.
    url = reverse("duties:withdraw", args=["contact", c1.pk])
    r = client.post(url, {"reason": ""}, follow=True)
    assert "msg-error" in r.content.decode()
    r = client.post(url, {"reason": "记错了户", "next": "/duties/"}, follow=True)
    c1.refresh_from_db()
    assert c1.superseded_by.void and c1.superseded_by.note == "记错了户"
    assert first.pk in _owed_ids(r.content.decode(), county.households_a)
    assert "badge bad" in r.content.decode()

    # Correct the second: the form opens filled in; the new record replaces it.
    r = client.get(reverse("duties:correct", args=["contact", c2.pk]))
    assert r.status_code == 302 and f"supersedes={c2.pk}" in r["Location"]
    form = client.get(r["Location"]).content.decode()
    assert f'value="{c2.pk}"' in form
    r = client.post(
        r["Location"],
        {
            "supersedes": c2.pk,
            "household": second.pk,
            "day": today().isoformat(),
            "method": "in_person",
            "role": "mediator",
            "note": "当面调解邻里纠纷",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    c2.refresh_from_db()
    assert c2.superseded_by.method == "in_person" and not c2.superseded_by.void
    # The corrected one cannot be corrected again.
    assert client.get(reverse("duties:contact_new") + f"?supersedes={c2.pk}").status_code == 404

    # The history tab swaps by htmx.
    r = client.get(
        reverse("duties:mine"),
        {"history": "visit"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="history",
    )
    assert r.content.decode().startswith('<section id="history"')


def test_other_representative_cannot_touch_my_records(client, actors):
    county = actors.county
    contact = services.contact_log(
        actor=actors.rep, representative=county.rep_a, household=county.households_a[0]
    )
    client.force_login(actors.rep_b)
    assert (
        client.post(
            reverse("duties:withdraw", args=["contact", contact.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert client.get(reverse("duties:correct", args=["contact", contact.pk])).status_code == 404
    contact.refresh_from_db()
    assert contact.is_current


def test_deliberation_form_records_the_quarter_event(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    page = client.get(reverse("duties:deliberation_new")).content.decode()
    assert county.village_a.name in page and county.village_b.name not in page
    r = client.post(
        reverse("duties:deliberation_new"),
        {
            "unit": county.village_a.pk,
            "organisers": [county.rep_a.pk],
            "day": today().isoformat(),
            "place": "李畋村村部",
            "topic": "村道路灯安装议事",
            "attendee_count": 23,
            "attendees": "一组村民代表、党员",
            "minutes": "讨论路灯位置",
            "outcomes": "同意安装12盏",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    event = Deliberation.objects.get()
    assert list(event.organisers.all()) == [county.rep_a] and event.unit == county.village_a
    html = client.get(reverse("duties:mine")).content.decode()
    assert "村道路灯安装议事" in html
    # An organiser out of the representative's scope is not even offered.
    r = client.post(
        reverse("duties:deliberation_new"),
        {
            "unit": county.village_a.pk,
            "organisers": [county.rep_b.pk],
            "day": today().isoformat(),
            "place": "x",
            "topic": "y",
            "attendee_count": 3,
        },
    )
    assert r.status_code == 200 and Deliberation.objects.count() == 1


def test_cadre_chooses_the_unit_then_its_organisers(client, actors):
    county = actors.county
    client.force_login(actors.village)
    url = reverse("duties:deliberation_new")
    page = client.get(url).content.decode()
    assert f'value="{county.rep_a.pk}"' not in page  # no unit chosen yet: nobody offered
    # Choosing the unit reloads the organisers (htmx selects that row).
    page = client.get(url, {"unit": county.village_a.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="row-organisers"' in page and f'value="{county.rep_a.pk}"' in page
    r = client.post(
        url,
        {
            "unit": county.group_a.pk,
            "organisers": [county.rep_a.pk],
            "day": today().isoformat(),
            "place": "一组禾场",
            "topic": "组内议事",
            "attendee_count": 9,
        },
    )
    assert r.status_code == 302 and r["Location"] == reverse("duties:team")
    assert Deliberation.objects.get().unit == county.group_a
    # A town cadre is offered villages, not every group of the town.
    client.force_login(actors.town)
    page = client.get(url).content.decode()
    assert f'value="{county.village_a.pk}"' in page
    assert f'value="{county.group_a.pk}"' not in page


def test_report_with_a_document_and_its_download_is_scoped(client, actors, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    county = actors.county
    client.force_login(actors.rep)
    # Neither text nor document: the service's refusal, nothing written.
    r = client.post(
        reverse("duties:report_new"),
        {"representative": county.rep_a.pk, "kind": "residents", "day": today().isoformat()},
    )
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    assert AnnualReport.objects.count() == 0
    doc = SimpleUploadedFile("述职报告.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    r = client.post(
        reverse("duties:report_new"),
        {
            "representative": county.rep_a.pk,
            "kind": "residents",
            "day": today().isoformat(),
            "audience": "一组全体村民",
            "document": doc,
            "feedback": "满意",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    report = AnnualReport.objects.get()
    assert report.document and report.representative == county.rep_a
    url = reverse("duties:report_document", args=[report.pk])
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-1.4 report"
    client.force_login(actors.rep_b)
    assert client.get(url).status_code == 404
    # A file that is not a document is refused by the form.
    client.force_login(actors.rep)
    bad = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    r = client.post(
        reverse("duties:report_new"),
        {"representative": county.rep_a.pk, "kind": "committees", "day": today().isoformat()}
        | {"document": bad},
    )
    assert r.status_code == 200 and AnnualReport.objects.count() == 1


# --- leaders: team table, drill-down, export ----------------------------------------------------


def test_town_cadre_sees_only_their_towns_representatives(client, actors):
    county = actors.county
    services.contact_log(
        actor=actors.rep, representative=county.rep_a, household=county.households_a[0]
    )
    client.force_login(actors.town)
    r = client.get(reverse("duties:team"), {"period": "week"})
    assert r.status_code == 200
    html = r.content.decode()
    assert county.rep_a.name in html and county.rep_b.name not in html
    assert county.village_a.name in html  # the rollup row of the child unit
    table = html[html.index('id="rep-table"') :]
    assert "1/6" in table
    # Another town's unit is a 404, like one that does not exist.
    assert client.get(reverse("duties:team"), {"unit": county.town_b.pk}).status_code == 404


def test_city_sees_both_towns_rolled_up(client, actors):
    county = actors.county
    client.force_login(actors.city)
    for period in ("week", "month", "quarter", "year"):
        r = client.get(reverse("duties:team"), {"period": period})
        html = r.content.decode()
        assert r.status_code == 200
        assert county.town_a.name in html and county.town_b.name in html
        assert county.rep_a.name in html and county.rep_b.name in html
    r = client.get(
        reverse("duties:team"), {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}
    )
    assert r.status_code == 200 and 'value="2026-03-31"' in r.content.decode()
    # Reversed or malformed dates: an error message and this month instead.
    r = client.get(
        reverse("duties:team"), {"period": "custom", "start": "2026-03-01", "end": "2026-01-01"}
    )
    assert r.status_code == 200 and "msg-error" in r.content.decode()


def test_drill_down_is_scoped(client, actors):
    county = actors.county
    url = reverse("duties:rep", args=[county.rep_a.pk])
    client.force_login(actors.rep_b)
    assert client.get(url).status_code == 404
    client.force_login(actors.town_b)
    assert client.get(url).status_code == 404
    for user in (actors.rep, actors.town, actors.village):
        client.force_login(user)
        r = client.get(url, {"period": "week"})
        assert r.status_code == 200
        assert county.rep_a.name in r.content.decode()
        assert "0/6" in r.content.decode()


def test_leader_corrects_a_record_from_the_drill_down(client, actors):
    county = actors.county
    contact = services.contact_log(
        actor=actors.rep, representative=county.rep_a, household=county.households_a[0]
    )
    client.force_login(actors.village)
    url = reverse("duties:rep", args=[county.rep_a.pk])
    html = client.get(url, {"period": "week"}).content.decode()
    assert reverse("duties:withdraw", args=["contact", contact.pk]) in html
    r = client.post(
        reverse("duties:withdraw", args=["contact", contact.pk]),
        {"reason": "代表误录", "next": url},
    )
    assert r.status_code == 302 and r["Location"] == url
    contact.refresh_from_db()
    assert contact.superseded_by.void


def test_export_has_chinese_headers_and_is_audited(client, actors):
    county = actors.county
    services.contact_log(
        actor=actors.rep, representative=county.rep_a, household=county.households_a[0]
    )
    client.force_login(actors.town)
    r = client.get(reverse("duties:export"), {"period": "week"})
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.values)
    assert rows[0][:6] == (
        "代表",
        "所属单位",
        "每周联系应完成",
        "每周联系已完成",
        "每周联系完成率(%)",
        "每周联系状态",
    )
    assert "总体状态" in rows[0]
    assert len(rows) == 2 and rows[1][0] == county.rep_a.name and rows[1][2:4] == (6, 1)
    log = AuditLog.objects.get(action="export.duties")
    assert log.actor == actors.town and log.detail["rows"] == 1
    assert log.target_id == str(county.town_a.pk)
    client.force_login(actors.town_b)
    assert client.get(reverse("duties:export"), {"unit": county.town_a.pk}).status_code == 404


# --- query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,period", [("city", "week"), ("city", "month"), ("city", "year"), ("town", "quarter")]
)
def test_team_page_query_count_does_not_grow_with_representatives(client, actors, who, period):
    county = actors.county
    for h in county.households_a[:4]:
        services.contact_log(actor=actors.rep, representative=county.rep_a, household=h)
    client.force_login(getattr(actors, who))

    def build(n):
        for rep in factories.add_representatives(county, n):
            factories.contact(rep, rep.links.get().household, actor=county.superuser)

    # Cold reads (the rollup filled for the new representatives) as well as warm ones.
    assert_queries_flat(
        build, lambda: client.get(reverse("duties:team"), {"period": period}), warm=False
    )


@pytest.mark.parametrize("kind", ["contact", "visit", "deliberation", "report"])
def test_rep_pages_query_count_does_not_grow_with_records(client, actors, kind):
    county = actors.county
    rep = county.rep_a
    households = itertools.cycle(county.households_a[:6])
    reports = itertools.cycle(["residents", "committees"])

    def build(n):
        for _ in range(n):
            household = next(households)
            factories.contact(rep, household, actor=actors.rep)
            factories.visit(rep, household, actor=actors.rep)
            factories.deliberation(county.village_a, [rep], actor=actors.rep)
            factories.report(rep, actor=actors.rep, kind=next(reports))

    client.force_login(actors.rep)
    assert_queries_flat(build, lambda: client.get(reverse("duties:mine"), {"history": kind}))
    client.force_login(actors.town)
    assert_queries_flat(
        build,
        lambda: client.get(
            reverse("duties:rep", args=[rep.pk]), {"period": "month", "history": kind}
        ),
    )


def test_representative_role_without_a_linked_record_sees_the_notice(client, county):
    user = make_user("13700000088", "未关联代表", Role.REPRESENTATIVE, county.group_a)
    client.force_login(user)
    assert "notice" in client.get(reverse("duties:mine")).content.decode()
