"""The love doorbell's part of the small demo (dashboard.demo runs `seed`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from linli.accounts.models import User
from linli.accounts.selectors import phone_q
from linli.core.timeutil import today
from linli.org.models import VILLAGE_DEPTH, HouseholdLink, Member, Representative, Unit, path_at
from linli.org.selectors import current_link_q

from . import services
from .models import CarePairing, CareRecipient


def seed(progress: Callable[[str], object] = print) -> int:
    """Care register, pairings, doorbells and a few past alarms for the demo villages."""
    made = seed_care()
    seed_devices()
    seed_alarms()
    progress(f"doorbell: {made} care recipients paired")
    return made


# --- care register and pairing ------------------------------------------------------------


DEMO_REP_PHONE = "13800000007"  # 辜大祥, the demo representative (org.demo.DEMO_ACCOUNTS)
DEMO_VILLAGE_PHONE = "13800000004"  # 李国平, the demo village cadre
DEMO_GROUP_LEADER_PHONE = "13800000006"  # 李德贵, the demo group leader
HEALTH = [
    "高血压，每日早晚服药；行动较慢。",
    "糖尿病，需按时注射胰岛素；视力较差。",
    "曾有轻度中风，左手不便；独自外出需人陪同。",
    "慢性支气管炎，冬季易发作。",
    "听力较弱，敲门需大声。",
]
KINDS = ["elderly_alone", "elderly_alone", "elderly_alone", "empty_nest", "elderly_alone"]
LEVELS = ["intensive", "close", "routine", "close", "routine"]
# How long ago each pairing started: the first is overdue for its weekly visit.
STARTED_DAYS_AGO = [12, 4, 2, 20, 6]
RELATIONS = ["儿子", "女儿", "侄子", "儿子", "女儿"]
GIVEN = ["建军", "秀英", "志强", "海波", "丽华"]


def _user(phone: str) -> User | None:
    return User.objects.filter(phone_q(phone)).first()


def _oldest(household_id: int) -> Member | None:
    """The household's oldest member (the one most likely to need care)."""
    members = list(
        Member.objects.filter(household_id=household_id)
        # Not a serving representative (who would be paired with themself).
        .exclude(pk__in=Representative.objects.filter(term_end__isnull=True).values("member_id"))
        .order_by("birth_date", "pk")
    )
    dated = [m for m in members if m.birth_date]
    found = dated or members
    return found[0] if found else None


def _candidates(village: Unit, demo_rep: Representative) -> list[tuple[int, Representative]]:
    """(household id, its representative) pairs: first the demo representative's
    households living alone (or, without any, their first households), then two such
    households of other representatives of the village."""
    links = list(
        HouseholdLink.objects.filter(
            current_link_q(),
            household__unit__path__startswith=village.path,
            representative__term_end__isnull=True,
        )
        .select_related("household", "representative")
        .order_by("household_id")
    )
    alone = [link for link in links if "elderly_alone" in (link.household.tags or [])]
    own = [link for link in alone if link.representative_id == demo_rep.pk]
    if not own:
        own = [link for link in links if link.representative_id == demo_rep.pk]
    others = [link for link in alone if link.representative_id != demo_rep.pk]
    chosen = own[:3] + others[:2]
    return [(link.household_id, link.representative) for link in chosen]


@transaction.atomic
def seed_care() -> int:
    """Care recipients in the demo representative's village, paired (the demo
    representative is the primary of up to three, so "my pairings" shows them), each
    with the group leader and a relative as backups and an emergency contact; the
    village's doorbell settings with the demo village cadre on duty. Safe to run again:
    a member already in care and a pairing already made are left alone. Deterministic:
    the households in id order, the pairings' starts relative to today (the first began
    twelve days ago: overdue for its weekly visit unless a demo visit reached it)."""
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    demo_rep = (
        Representative.objects.filter(phone_q(DEMO_REP_PHONE, "user__"), term_end__isnull=True)
        .select_related("unit")
        .first()
    )
    if actor is None or demo_rep is None:
        return 0
    village = Unit.objects.filter(path=path_at(demo_rep.unit.path, VILLAGE_DEPTH)).first()
    if village is None:
        return 0
    leader = _user(DEMO_GROUP_LEADER_PHONE)
    cadre = _user(DEMO_VILLAGE_PHONE)
    made = 0
    chosen = [(_oldest(household_id), rep) for household_id, rep in _candidates(village, demo_rep)]
    for i, (member, rep) in enumerate((m, r) for m, r in chosen if m is not None):
        recipient = CareRecipient.objects.filter(member=member, active=True).first()
        if recipient is None:
            recipient = services.recipient_register(
                actor=actor, member=member, kind=KINDS[i], level=LEVELS[i], health_notes=HEALTH[i]
            )
            services.contacts_set(
                actor=actor,
                recipient=recipient,
                contacts=[
                    services.ContactSpec(
                        f"{member.name[0]}{GIVEN[i]}", RELATIONS[i], f"1390300{i + 1:04d}"
                    )
                ],
            )
            made += 1
        if CarePairing.objects.filter(recipient=recipient, ended_on__isnull=True).exists():
            continue
        backups = []
        if leader is not None and services.backup_user_allowed(leader, recipient.unit):
            if leader.pk != rep.user_id:
                backups.append(services.BackupSpec(kind="neighbour", user=leader))
        backups.append(
            services.BackupSpec(
                kind="family", name=f"{member.name[0]}{GIVEN[i]}", phone=f"1390300{i + 1:04d}"
            )
        )
        if cadre is not None and services.duty_cadre_allowed(cadre, recipient.unit):
            backups.append(services.BackupSpec(kind="cadre", user=cadre))
        pairing = services.pair(
            actor=actor, recipient=recipient, primary=rep, visit_every_days=7, backups=backups
        )
        # A demo has a past: the pairing began some days ago.
        CarePairing.objects.filter(pk=pairing.pk).update(
            started_on=today() - dt.timedelta(days=STARTED_DAYS_AGO[i])
        )
    if cadre is not None and services.duty_cadre_allowed(cadre, village):
        services.settings_set(
            actor=actor,
            unit=village,
            ack_minutes=3,
            offline_minutes=24 * 60,
            battery_low=20,
            duty_cadre=cadre,
        )
    return made


# --- devices, messages and maintenance ----------------------------------------------------


def seed_devices() -> None:
    pass


# --- alarms -------------------------------------------------------------------------------


def seed_alarms() -> None:
    pass
