"""The people and objects of the care register tests (plain helpers, not fixtures, so
that the doorbell's parts do not share a conftest): town A's cadres, representatives
with accounts, a resident to care for."""

from __future__ import annotations

from linli.accounts.models import AuditAction, AuditLog, Role
from linli.doorbell import services
from linli.org import services as org
from tests.support import factories
from tests.support.roles import make_user


class People:
    """Around `county`: `village` (the village cadre of village A), `town` (town A),
    `city`, `admin` (the administrator role at the city), `town_b`; `rep` (rep_a's
    account, group A), `rep_c` (another serving representative of group A with an
    account, paired with nobody), `neighbour` (a group leader of group A: a backup
    with an account); `resident` (a member of household 1, linked to rep_a)."""

    def __init__(self, county):
        self.county = county
        self.su = county.superuser
        self.village = make_user("13700001001", "村干部", Role.VILLAGE, county.village_a)
        self.town = make_user("13700001002", "镇干部", Role.TOWN, county.town_a)
        self.city = make_user("13700001003", "市干部", Role.CITY, county.city)
        self.admin = make_user("13700001004", "管理员", Role.ADMIN, county.city)
        self.town_b = make_user("13700001005", "乙镇干部", Role.TOWN, county.town_b)
        self.village_b = make_user("13700001006", "乙村干部", Role.VILLAGE, county.village_b)
        self.rep = make_user("13700001007", "甲代表", Role.REPRESENTATIVE, county.group_a)
        county.rep_a.user = self.rep
        county.rep_a.save(update_fields=["user"])
        self.representative_c = factories.appoint(county, 31, "丙代表")
        self.rep_c = make_user("13700001008", "丙代表号", Role.REPRESENTATIVE, county.group_a)
        self.representative_c.user = self.rep_c
        self.representative_c.save(update_fields=["user"])
        self.neighbour = make_user("13700001009", "邻居组长", Role.GROUP_LEADER, county.group_a)
        self.resident = org.member_create(
            actor=self.su,
            household=county.households_a[1],
            name="王奶奶",
            relation="parent",
            phone="13800139001",
        )

    def register(self, **kw):
        kw.setdefault("kind", "elderly_alone")
        kw.setdefault("level", "close")
        kw.setdefault("health_notes", "高血压,每日服药")
        return services.recipient_register(actor=self.village, member=self.resident, **kw)

    def paired(self, **kw):
        """The resident registered and paired with rep_a, the neighbour as backup 1 and a
        relative by name and mobile as backup 2."""
        recipient = self.register(**kw)
        services.pair(
            actor=self.village,
            recipient=recipient,
            primary=self.county.rep_a,
            visit_every_days=7,
            backups=[
                services.BackupSpec(kind="neighbour", user=self.neighbour),
                services.BackupSpec(kind="family", name="王儿子", phone="13912340002"),
            ],
        )
        return recipient


def audits(action: AuditAction, **kw) -> int:
    return AuditLog.objects.filter(action=action, **kw).count()
