"""The data set of the scope matrix: the county, one object of each kind in town A,
and the people who may or may not see them. Built once per module."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from linli.accounts.models import Role
from linli.accounts.services import token_create
from linli.core.timeutil import today
from linli.org import services as org
from tests.charter.world import CharterWorld
from tests.support import factories
from tests.support.api import ApiClient
from tests.support.factories import RESIDENT_PHONE, County, upload
from tests.support.roles import make_superuser, make_user

# Text that belongs to town A's objects only; strangers must never be shown it.
APPEAL_TEXT = "井盖松动请修XJ47"
CONTACT_NOTE = "电话联系ZQ58"
VISIT_FINDINGS = "走访发现ZV61"
DELIBERATION_TOPIC = "议事修路ZD73"
REPORT_TEXT = "述职报告ZR82"
NOTIFICATION_TITLE = "通知标题ZN95"
TOKEN_NAME = "甲镇令牌ZT31"
BREACH_TEXT = "违规收礼ZC27"
ENTRY_TITLE = "甲镇条目ZE19"


class World:
    """Town A's objects and the people around them.

    People (`people`): `town_a` (town cadre of town A, sees everything there), `rep_a`
    (the representative serving households 0-5 of group A), `town_b` (town cadre of
    town B), `rep_b` (town B's representative), `rep_c` (a representative of group A
    serving only household 6: not linked to anything below), `superuser`.
    """

    def __init__(self):
        factories.seed_reference_data()
        su = self.superuser = make_superuser()
        c = self.county = County(su)
        self.town_a = make_user("13600000001", "甲镇干部", Role.TOWN, c.town_a)
        self.town_b = make_user("13600000002", "乙镇干部", Role.TOWN, c.town_b)
        self.rep_a = make_user("13600000003", "甲代表", Role.REPRESENTATIVE, c.group_a)
        c.rep_a.user = self.rep_a
        c.rep_a.save(update_fields=["user"])
        self.rep_b = make_user("13600000004", "乙代表", Role.REPRESENTATIVE, c.group_b)
        c.rep_b.user = self.rep_b
        c.rep_b.save(update_fields=["user"])
        self.representative_c = factories.appoint(c, 3, "丙代表")
        org.link_assign(
            actor=su,
            household=c.households_a[6],
            representative=self.representative_c,
            on_date=factories.TERM_START,
        )
        self.rep_c = make_user("13600000005", "丙代表号", Role.REPRESENTATIVE, c.group_a)
        self.representative_c.user = self.rep_c
        self.representative_c.save(update_fields=["user"])

        # Town A's objects, each reachable by rep_a and town_a only.
        self.household = c.households_a[1]
        self.member = c.member_a
        self.uncovered = org.household_create(
            actor=su, unit=c.group_a, head_name="李孤户", address="李畋村一组孤户"
        )
        self.candidate = org.member_create(
            actor=su, household=c.households_a[2], name="李候选", relation="head"
        )
        self.appeal = factories.appeal(
            self.household, description=APPEAL_TEXT, photos=[upload("manhole.png")]
        )
        self.appeal_photo = self.appeal.photos.get()
        rep = c.rep_a
        self.contact = factories.contact(rep, self.household, actor=self.rep_a, note=CONTACT_NOTE)
        self.visit = factories.visit(
            rep, self.household, actor=self.rep_a, findings=VISIT_FINDINGS, photos=[upload()]
        )
        self.visit_photo = self.visit.photos.get()
        self.deliberation = factories.deliberation(
            c.village_a, [rep], actor=self.rep_a, topic=DELIBERATION_TOPIC
        )
        self.report = factories.report(
            rep,
            actor=self.rep_a,
            text=REPORT_TEXT,
            document=upload("report.txt", "述职报告全文".encode(), "text/plain"),
        )
        self.notification = factories.notification(self.town_a, title=NOTIFICATION_TITLE)
        self.token, _key = token_create(actor=self.town_a, name=TOKEN_NAME)
        self._conduct(su, rep)
        self.today = today()
        self.charter = CharterWorld(self)
        from tests.deliberation.world import DeliberationObjects

        self.delib = DeliberationObjects(self)

    def _conduct(self, su, rep):
        """Town A's own negative-list entry; two breach records against rep_a reported by
        the superuser (so town_a may review them): one waiting for the statement (with a
        photo), one whose statement is recorded (ready to confirm)."""
        from linli.conduct import services as conduct
        from linli.conduct.demo import seed_catalogue
        from linli.conduct.models import NegativeEntry

        seed_catalogue(su)
        self.conduct_entry = conduct.entry_create(
            actor=su, unit=self.county.town_a, code="TA-01", title=ENTRY_TITLE, severity="minor"
        )
        self.city_entry = NegativeEntry.objects.get(code="FM-02")
        self.breach = conduct.breach_report(
            actor=su,
            representative=rep,
            entry=self.city_entry,
            description=BREACH_TEXT,
            occurred_on=today(),
            photos=[upload()],
        )
        self.breach_photo = self.breach.evidence.get()
        self.breach_stated = conduct.breach_report(
            actor=su,
            representative=rep,
            entry=self.conduct_entry,
            description=BREACH_TEXT,
            occurred_on=today(),
        )
        conduct.breach_statement(actor=self.rep_a, breach=self.breach_stated, text="本人说明")

    people = ("town_a", "rep_a", "town_b", "rep_b", "rep_c", "superuser")

    def page_client(self, who: str) -> Client:
        """A browser session of `who`; `resident` is the reporter who has tracked the
        appeal with its code and phone; `anonymous` is nobody."""
        client = Client()
        if who == "resident":
            response = client.post(
                reverse("appeals:track"), {"code": self.appeal.code, "phone": RESIDENT_PHONE}
            )
            assert response.status_code == 302, response.content[:500]
        elif who != "anonymous":
            client.force_login(getattr(self, who))
        return client

    def api_client(self, who: str) -> ApiClient:
        """The API as `who` sees it, with a bearer token (anonymous: no credentials)."""
        return ApiClient(None if who == "anonymous" else getattr(self, who), token=True)
