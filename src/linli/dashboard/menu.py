"""The navigation: one table of menu entries, each naming the roles it serves.

`base.html` (in `core`, which may not import the apps above it) lists what
`context_processors.menu` hands it; nothing else decides what the menu shows. The pages
behind the entries refuse the roles the table leaves out (`accounts.access.roles_required`
with the same role sets), and `tests/dashboard/test_menu.py` checks both, role by role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from linli.accounts.access import holds_any
from linli.accounts.models import Role
from linli.accounts.scope import HOUSEHOLD_LIST_ROLES, HOUSEHOLD_ROLES, ORG_WRITE_ROLES
from linli.charter.policy import WRITE_ROLES as CHARTER_WRITE_ROLES

from .centre import CENTRE_ROLES
from .maps import MAP_ROLES

EVERY_ROLE = frozenset(Role)


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str | Promise
    # Who sees it; None: every signed-in user, with a role or not.
    roles: frozenset[Role] | None
    # Or, instead of roles, a permission (the audit log is a right, not a role at a unit).
    perm: str = ""

    def shown_to(self, user: Any) -> bool:
        if self.perm:
            return bool(user.has_perm(self.perm))
        return self.roles is None or holds_any(user, self.roles)


MENU: tuple[MenuEntry, ...] = (
    MenuEntry("home", _("Home"), None),
    # The command centre (指挥调度中心): city, town and village leaders and cadres.
    MenuEntry("centre", _("Command centre"), CENTRE_ROLES),
    # The command centre's map: leaders and cadres of a city, town or village.
    MenuEntry("dashboard_map", _("Map"), MAP_ROLES),
    # The units' monthly and quarterly reports, for the same people.
    MenuEntry("dashboard_reports", _("Reports"), MAP_ROLES),
    # Every role handles appeals: representatives and leaders take them on, cadres
    # supervise, departments answer the ones referred to them.
    MenuEntry("appeals:queue", _("Appeals"), EVERY_ROLE),
    # Representatives keep their duties; leaders and cadres follow their team's.
    MenuEntry("duties:mine", _("Duties"), frozenset(HOUSEHOLD_LIST_ROLES)),
    # The responsibility and rights list in force, for everyone at a unit; its versions
    # and drafts for the cadres who write a list.
    MenuEntry("charter:mine", _("Responsibility list"), EVERY_ROLE),
    MenuEntry("charter:versions", _("List versions"), CHARTER_WRITE_ROLES),
    # The negative list binds everyone; leaders and cadres follow the breach records,
    # a representative answers those against them.
    MenuEntry("conduct:entries", _("Negative list"), EVERY_ROLE),
    MenuEntry("conduct:breaches", _("Breach records"), frozenset(HOUSEHOLD_ROLES)),
    MenuEntry("conduct:mine", _("My breach records"), frozenset({Role.REPRESENTATIVE})),
    # Service days and activities: representatives organise and sign up, cadres plan.
    MenuEntry("activities:calendar", _("Activities"), frozenset(HOUSEHOLD_LIST_ROLES)),
    # Cadres publish policy notices and follow their reach; representatives relay them.
    MenuEntry("notices:list", _("Policy notices"), frozenset(HOUSEHOLD_LIST_ROLES)),
    # The deliberation list (议事清单): cadres keep it, representatives vote on it.
    MenuEntry("deliberation:list", _("Deliberation list"), frozenset(HOUSEHOLD_LIST_ROLES)),
    # The love doorbell: cadres and leaders keep the care register (关爱对象); a
    # representative sees the residents paired with them (我的结对).
    MenuEntry("doorbell:care_list", _("Care register"), frozenset(HOUSEHOLD_ROLES)),
    MenuEntry("doorbell:mine", _("My care pairings"), frozenset({Role.REPRESENTATIVE})),
    # The love doorbell's devices: their health, maintenance and refused messages.
    MenuEntry("doorbell:devices", _("Doorbells"), frozenset(HOUSEHOLD_ROLES)),
    # The love doorbell's alarms (告警): the live panel; a representative sees those told of.
    MenuEntry("doorbell:alarms", _("Doorbell alarms"), frozenset(HOUSEHOLD_LIST_ROLES)),
    # The service fund (服务群众专项资金): cadres and leaders follow their units' totals
    # and approve; a representative keeps their own fund's ledger.
    MenuEntry("funds:totals", _("Service fund"), frozenset(HOUSEHOLD_ROLES)),
    MenuEntry("funds:mine", _("My service fund"), frozenset({Role.REPRESENTATIVE})),
    # The evaluation (代表考评): cadres and leaders read their units' rankings; a
    # representative reads their own scores and why.
    MenuEntry("evaluation:ranking", _("Representatives' scores"), frozenset(HOUSEHOLD_ROLES)),
    MenuEntry("evaluation:mine", _("My scores"), frozenset({Role.REPRESENTATIVE})),
    # Representative training (代表培训): cadres organise plans and sessions and follow
    # the hours; a representative reads their own training record.
    MenuEntry("training:plans", _("Representative training"), frozenset(HOUSEHOLD_ROLES)),
    MenuEntry("training:mine", _("My training"), frozenset({Role.REPRESENTATIVE})),
    # The annual report (述职报告): leaders and cadres read their representatives'; a
    # representative writes and presents their own (我的述职报告).
    MenuEntry("evaluation:annual_team", _("Annual reports"), frozenset(HOUSEHOLD_ROLES)),
    MenuEntry("evaluation:annual_mine", _("My annual report"), frozenset({Role.REPRESENTATIVE})),
    # The hundred best (百佳代表), their benefits and the reserve pool for village
    # cadres: the city decides, towns nominate and confirm, village cadres follow theirs.
    MenuEntry("honours:selection", _("Hundred best"), frozenset(ORG_WRITE_ROLES)),
    MenuEntry("honours:benefits", _("Hundred best benefits"), frozenset(ORG_WRITE_ROLES)),
    MenuEntry("honours:reserve", _("Reserve cadres"), frozenset(ORG_WRITE_ROLES)),
    MenuEntry("org:unit_tree", _("Units"), frozenset(HOUSEHOLD_ROLES)),
    # A representative's list holds the households linked to them.
    MenuEntry("org:household_list", _("Households"), frozenset(HOUSEHOLD_LIST_ROLES)),
    MenuEntry("org:representative_list", _("Representatives"), frozenset(HOUSEHOLD_ROLES)),
    MenuEntry("org:coverage", _("Coverage"), frozenset(HOUSEHOLD_ROLES)),
    MenuEntry("org:import", _("Import / export"), frozenset(ORG_WRITE_ROLES)),
    MenuEntry("accounts:audit_log", _("Audit log"), None, perm="accounts.view_auditlog"),
    # Name, roles, two-factor and API tokens: everyone's own page.
    MenuEntry("accounts:me", _("My account"), None),
)


@dataclass(frozen=True)
class MenuLink:
    url_name: str
    label: str | Promise
    href: str
    current: bool


def menu_for(user: Any, path: str = "") -> list[MenuLink]:
    """The entries `user` sees, in table order; `current` marks the one `path` is under."""
    if not getattr(user, "is_authenticated", False):
        return []
    links = [
        MenuLink(e.url_name, e.label, reverse(e.url_name), False) for e in MENU if e.shown_to(user)
    ]
    # The longest matching prefix is the current entry (home, "/", matches only itself).
    best = max(
        (
            link
            for link in links
            if path == link.href or (link.href != "/" and path.startswith(link.href))
        ),
        key=lambda link: len(link.href),
        default=None,
    )
    return [MenuLink(link.url_name, link.label, link.href, link is best) for link in links]
