"""Who may reach each page and API operation: the scope matrix's table.

Every Django URL pattern (by name, `namespace:name`) and every API operation
(`METHOD /api/v1/path/{param}`) is classified here. `test_matrix.py` fails on
anything unclassified and on entries that no longer exist; renaming a URL is a
one-line change of its key.

Classes:
- `public`: no login needed; tried anonymously (never 5xx, never sent to log in).
- `any_user`: any logged-in user, who sees only their own things (an inbox).
- `scoped`: the object or list belongs to a unit; strangers get 404 (403 where
  the object is public) and never its data, lists leave it out.
- `admin`: superusers/administrators only (the Django admin is one group line).

An entry with an object names how to reach town A's object (`kwargs` of the URL,
`query`, a write `body`), the text of that object (`marks`) and who may see it
(`owner`, default the town cadre of town A). Strangers (`strangers`, default the
town cadre and the representative of town B and `rep_c`, a representative of the
same group not linked to the object) must get `denied`; for lists (`listing`) they
get 200 without the marks. The owner must get `ok` and see a mark, so no check is
vacuous. The people are described in `world.World`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.charter import world as CW

from . import world as W

PUBLIC, ANY_USER, SCOPED, ADMIN = "public", "any_user", "scoped", "admin"
NOT_LINKED = ("town_b", "rep_b", "rep_c")
# For units above group A and lists of units: rep_c legitimately sees its own group.
OTHER_TOWN = ("town_b", "rep_b")

Fn = Callable[[W.World], Any]


@dataclass(frozen=True)
class Entry:
    cls: str
    kwargs: Fn | None = None  # URL kwargs (pages) or path parameters (API)
    query: Fn | None = None  # query string
    method: str = "GET"  # pages only; API operations carry it in their key
    body: Fn | None = None  # a valid body for a write
    multipart: bool = False
    marks: Fn | None = None  # the object's data: strangers never see it, the owner does
    listing: bool = False  # a list: strangers get 200 without the object
    owner: str = "town_a"
    strangers: tuple[str, ...] = NOT_LINKED
    denied: int | tuple[int, ...] = 404  # what strangers get (one of these)
    # Strangers whose role the page does not serve at all (it is not in their menu,
    # dashboard/menu.py): they get 403 before any scoped read.
    refused: tuple[str, ...] = ()
    ok: int = 200
    anon: int | None = None  # the anonymous answer when it is not the usual one
    note: str = ""
    object: bool | None = None  # tried by strangers and the owner (default: scoped, or marks)
    # A page that shows a form on GET and writes on POST: the POST body naming town A's
    # object. Strangers get one of `post_denied` and nothing is written; the owner's
    # POST succeeds (so the body is a valid one).
    post: Fn | None = None
    post_denied: tuple[int, ...] = (400, 403, 404)

    @property
    def has_object(self) -> bool:
        if self.object is not None:
            return self.object
        return self.cls == SCOPED or self.marks is not None


def empty(w) -> dict:
    return {}


def public(**kw) -> Entry:
    return Entry(PUBLIC, **kw)


def any_user(**kw) -> Entry:
    return Entry(ANY_USER, **kw)


def scoped(**kw) -> Entry:
    return Entry(SCOPED, **kw)


def admin(**kw) -> Entry:
    return Entry(ADMIN, **kw)


def listing(marks: Fn, **kw) -> Entry:
    return Entry(SCOPED, marks=marks, listing=True, **kw)


# --- what the strangers must never see --------------------------------------------------


def household_marks(w):
    return [w.household.head_name, w.household.address]


def member_marks(w):
    return [w.member.name]


def rep_marks(w):
    return [w.county.rep_a.member.name]


def unit_marks(w):
    return [w.county.village_a.name]


def appeal_marks(w):
    return [w.appeal.code, W.APPEAL_TEXT]


def breach_marks(w):
    return [W.BREACH_TEXT]


def entry_marks(w):
    return [W.ENTRY_TITLE]


def track_token(w) -> str:
    from linli.appeals import links

    return links.token_for(w.appeal)


def charter_marks(w):
    return [CW.CHARTER_ENTRY]


def charter_title(w):
    return [CW.CHARTER_TITLE]


def kw_pk(attr: str) -> Fn:
    return lambda w: {"pk": _attr(w, attr).pk}


def _attr(w, dotted: str):
    obj = w
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def q_unit(attr: str = "county.village_a") -> Fn:
    return lambda w: {"unit": _attr(w, attr).pk}


def _period(w) -> dict:
    return {"start": f"{w.today.year}-01-01", "end": f"{w.today.year}-12-31"}


# --- doorbell devices: built on first use in each test (the world predates the app) ---------

DOORBELL_ID = "DB-ZDEV31"


def doorbell_device(w):
    """Town A's doorbell (bound to household 1 of group A), with an open offline task and
    a refused message."""
    from linli.doorbell.models import Device, DeviceRejection, MaintenanceTask

    found = Device.objects.filter(device_id=DOORBELL_ID).first()
    if found is not None:
        return found
    household = w.county.households_a[1]
    d = Device.objects.create(
        device_id=DOORBELL_ID, secret="0" * 32, unit=household.unit, household=household
    )
    MaintenanceTask.objects.create(device=d, unit=d.unit, kind="offline", detail="never heard")
    DeviceRejection.objects.create(
        claimed_id=DOORBELL_ID, device=d, reason="replay", channel="http", seq=5
    )
    return d


def doorbell_task(w):
    return doorbell_device(w).tasks.get()


def doorbell_marks(w):
    return [doorbell_device(w).device_id]


def q_doorbell(w) -> dict:
    """A harmless filter that builds the doorbell first (lists are read before the marks)."""
    doorbell_device(w)
    return {"q": ""}


def doorbell_seq_reset_body(w, confirm=True) -> dict:
    """A valid sequence reset: the doorbell has counted to 50 (set again each time)."""
    from linli.doorbell.models import Device

    Device.objects.filter(pk=doorbell_device(w).pk).update(last_seq=50)
    return {"to": 0, "reason": "固件重置", "confirm": confirm}


def kw_doorbell(w) -> dict:
    return {"pk": doorbell_device(w).pk}


# --- activities: built on first use in each test (the world predates the app) ---------------

ACTIVITY_TITLE = "邻里节ZA19"
PAST_TITLE = "已开始活动ZA23"
SIGNUP_NAME = "报名人ZS27"


def _activity(w, title: str, hours: int):
    import datetime as dt

    from django.utils import timezone

    from linli.activities.models import Activity, Signup

    found = Activity.objects.filter(title=title).first()
    if found is not None:
        return found
    a = Activity.objects.create(
        unit=w.county.village_a,
        kind="festival",
        title=title,
        place="村部",
        starts_at=timezone.now() + dt.timedelta(hours=hours),
        created_by=w.superuser,
    )
    a.organisers.set([w.county.rep_a])
    Signup.objects.create(activity=a, name=SIGNUP_NAME, phone="13912349999")
    Signup.objects.create(activity=a, name=w.rep_a.name, user=w.rep_a)
    return a


def activity(w):
    """Town A's coming activity (open for sign-up), organised by rep_a, who signed up."""
    return _activity(w, ACTIVITY_TITLE, 2)


def past_activity(w):
    """Town A's activity that started an hour ago (attendance, photos, held)."""
    return _activity(w, PAST_TITLE, -1)


def activity_photo(w):
    from django.core.files.base import ContentFile

    from linli.activities.models import ActivityPhoto
    from tests.support.factories import png_bytes

    a = past_activity(w)
    photo = a.photos.first()
    if photo is None:
        photo = ActivityPhoto(
            activity=a, content_type="image/png", size=1, width=40, height=30, sha256="x"
        )
        photo.image.save("p.png", ContentFile(png_bytes()), save=True)
    return photo


def kw_activity(w) -> dict:
    return {"pk": activity(w).pk}


def api_activity(w) -> dict:
    return {"activity_id": activity(w).pk}


def api_past(w) -> dict:
    return {"activity_id": past_activity(w).pk}


def q_activity_unit(w) -> dict:
    """The list narrowed to the activity's unit (which builds the activity first)."""
    return {"unit": activity(w).unit_id}


def q_activity_kind(w) -> dict:
    """The list narrowed to the activity's kind (the pages offer only the user's units)."""
    return {"kind": activity(w).kind}


def activity_marks(w):
    return [activity(w).title]


def activity_body(w) -> dict:
    import datetime as dt

    from django.utils import timezone

    return {
        "kind": "lecture",
        "title": "外人宣讲",
        "place": "村部",
        "starts_at": (timezone.now() + dt.timedelta(days=2)).isoformat(),
        "organiser_ids": [w.county.rep_a.pk],
    }


def calendar_query(w) -> dict:
    from django.utils import timezone

    month = timezone.localtime(activity(w).starts_at).strftime("%Y-%m")
    return {"unit": w.county.village_a.pk, "month": month}


# --- notices: town A's notice to village A, with one delivery ------------------------------

NOTICE_TITLE = "防汛预警ZP17"


def notice(w):
    """Town A's notice to village A and its delivery to `w.household`, made on first use in
    each test (the module's world does not hold them): plain rows, no audit, so `written()`
    does not count them."""
    from linli.notices.models import Delivery, Notice

    found = Notice.objects.filter(title=NOTICE_TITLE).first()
    if found is not None:
        return found
    made = Notice.objects.create(
        unit=w.county.village_a, kind="flood", title=NOTICE_TITLE, published_by=w.town_a
    )
    Delivery.objects.create(
        notice=made,
        household=w.household,
        unit_id=w.household.unit_id,
        representative=w.county.rep_a,
        method="online",
        recorded_by=w.rep_a,
    )
    return made


def kw_notice(w) -> dict:
    return {"pk": notice(w).pk}


def api_notice(w) -> dict:
    return {"notice_id": notice(w).pk}


def q_notice(w) -> dict:
    notice(w)  # made before the list is asked for
    return {"kind": "flood"}


def notice_marks(w):
    return [NOTICE_TITLE]


# --- deliberation ---------------------------------------------------------------------------


def item_marks(w):
    from tests.deliberation.world import ITEM_TITLE

    return [ITEM_TITLE]


def matter_marks(w):
    from tests.deliberation.world import MATTER_TITLE

    return [MATTER_TITLE]


def published_marks(w):
    from tests.deliberation.world import PUBLISHED_TITLE

    return [PUBLISHED_TITLE]


def skipped_marks(w):
    from tests.deliberation.world import SKIPPED_TEXT

    return [SKIPPED_TEXT]


def _item_op(stage: str, body: Fn) -> Entry:
    return scoped(
        kwargs=lambda w: {"item_id": getattr(w.delib, stage).pk},
        body=body,
        strangers=OTHER_TOWN,
        denied=(404,),
    )


# --- doorbell: the care register and pairing (built on first use) -----------------------------

CARE_HEALTH = "心脏病ZH42"


def care_recipient(w):
    """Town A's care recipient: `w.candidate` (household 2, linked to rep_a), with health
    notes, paired with rep_a; rep_c (same group, not paired) is a stranger to it. Made
    with the ORM, so that building it inside a stranger's call writes none of the rows
    the matrix counts."""
    from linli.doorbell.models import CarePairing, CareRecipient

    found = CareRecipient.objects.filter(member=w.candidate, active=True).first()
    if found is not None:
        return found
    household = w.candidate.household
    r = CareRecipient.objects.create(
        household=household,
        member=w.candidate,
        unit=household.unit,
        kind="elderly_alone",
        health_notes=CARE_HEALTH,
    )
    CarePairing.objects.create(recipient=r, primary=w.county.rep_a, visit_every_days=7)
    return r


def care_marks(w):
    return [care_recipient(w).member.name]


def kw_care(w) -> dict:
    return {"pk": care_recipient(w).pk}


def api_care(w) -> dict:
    return {"recipient_id": care_recipient(w).pk}


def q_care(w) -> dict:
    """The register narrowed to the recipient's kind (which builds the recipient first)."""
    return {"kind": care_recipient(w).kind}


def care_update_body(w) -> dict:
    r = care_recipient(w)
    return {"version": r.version, "kind": r.kind, "level": "close"}


def kw_village_a(w) -> dict:
    return {"unit_id": w.county.village_a.pk}


# --- doorbell alarms: town A's household's press, built on first use in each test ------------

ALARM_DEVICE = "DB-ZA91"


def alarm(w):
    """A press of the doorbell of town A's candidate's household (cared for, rep_a the
    primary, told at once): plain rows, no audit, so `written()` does not count them."""
    from django.utils import timezone

    from linli.doorbell.models import (
        Alarm,
        AlarmEvent,
        AlarmNotice,
        CarePairing,
        CareRecipient,
        Device,
        DeviceMessage,
    )

    found = Alarm.objects.filter(device__device_id=ALARM_DEVICE).first()
    if found is not None:
        return found
    household = w.candidate.household
    recipient = CareRecipient.objects.create(
        household=household, member=w.candidate, unit=household.unit, kind="elderly_alone"
    )
    pairing = CarePairing.objects.create(recipient=recipient, primary=w.county.rep_a)
    device = Device.objects.create(
        device_id=ALARM_DEVICE, secret="scope-secret", household=household, unit=household.unit
    )
    message = DeviceMessage.objects.create(device=device, seq=1, kind="press", channel="http")
    made = Alarm.objects.create(
        device=device,
        message=message,
        household=household,
        recipient=recipient,
        pairing=pairing,
        unit=household.unit,
        status="notified",
        next_step_at=timezone.now() + timezone.timedelta(minutes=3),
    )
    AlarmEvent.objects.create(alarm=made, kind="raised")
    AlarmNotice.objects.create(
        alarm=made, step=0, role="primary", user=w.rep_a, name=w.county.rep_a.member.name
    )
    return made


def alarm_contact(w):
    """An emergency contact of the alarm's recipient (a plain row)."""
    from linli.doorbell.models import EmergencyContact

    recipient = alarm(w).recipient
    return EmergencyContact.objects.get_or_create(
        recipient=recipient, order=1, defaults={"name": "女儿", "phone": "13955550099"}
    )[0]


def q_alarm(w) -> dict:
    """No filter; builds the alarm before the list is asked for."""
    alarm(w)
    return {}


def alarm_marks(w):
    return [alarm(w).device.device_id]


def q_map(w) -> dict:
    """No filter; puts town A's appeal and the alarm's household on the map first."""
    from linli.appeals.models import Appeal
    from linli.org.models import Household

    a = alarm(w)
    Appeal.objects.filter(pk=w.appeal.pk).update(latitude="28.150000", longitude="113.640000")
    Household.objects.filter(pk=a.household_id).update(latitude="28.151000", longitude="113.641000")
    return {}


def map_marks(w):
    """The appeal's code and the alarm's place (group A): in the map data of town A only."""
    q_map(w)
    return [w.appeal.code, w.county.group_a.name]


def alarm_rep_marks(w):
    alarm(w)
    return [w.county.rep_a.member.name]


def kw_alarm(w) -> dict:
    return {"pk": alarm(w).pk}


def api_alarm(w) -> dict:
    return {"alarm_id": alarm(w).pk}


# --- pages ----------------------------------------------------------------------------------


def town_report(w):
    """Town A's monthly report (made once, kept)."""
    from linli.core.timeutil import today
    from linli.dashboard import services as dashboard_services
    from linli.dashboard.models import UnitReport

    found = UnitReport.objects.filter(unit=w.county.town_a, kind="month").first()
    return found or dashboard_services.report_generate(
        unit=w.county.town_a, kind="month", day=today()
    )


def report_marks(w):
    return [f"/dashboard/reports/{town_report(w).pk}/pdf/"]


def report_make_body(w):
    from linli.core.timeutil import today

    return {"unit": w.county.town_a.pk, "kind": "month", "month": today().strftime("%Y-%m")}


# --- the service fund: rep_a's fund of this year, built on first use in each test -------------

FUND_TEXT = "修路垫付ZF64"
FUND_PENDING_TEXT = "大额采购ZF65"


def fund(w):
    """rep_a's allocation of this year (200 yuan) with a counted spending (with a receipt)
    and one waiting for approval: plain rows, no audit, so `written()` does not count
    them."""
    from django.core.files.base import ContentFile

    from linli.funds.models import FundAllocation, FundEntry, FundReceipt
    from tests.support.factories import png_bytes

    found = FundAllocation.objects.filter(representative=w.county.rep_a, year=w.today.year).first()
    if found is not None:
        return found
    made = FundAllocation.objects.create(
        representative=w.county.rep_a,
        year=w.today.year,
        amount_fen=20000,
        spent_fen=3500,
        pending_fen=15000,
    )
    spent = FundEntry.objects.create(
        allocation=made,
        kind="spend",
        amount_fen=3500,
        day=w.today,
        purpose=FUND_TEXT,
        household=w.household,
        status="approved",
        created_by=w.rep_a,
    )
    FundEntry.objects.create(
        allocation=made,
        kind="spend",
        amount_fen=15000,
        day=w.today,
        purpose=FUND_PENDING_TEXT,
        status="pending",
        created_by=w.rep_a,
    )
    receipt = FundReceipt(entry=spent, content_type="image/png", size=1, width=40, height=30)
    receipt.image.save("r.png", ContentFile(png_bytes()), save=True)
    return made


def fund_entry(w):
    return fund(w).entries.get(purpose=FUND_TEXT)


def fund_pending(w):
    return fund(w).entries.get(purpose=FUND_PENDING_TEXT)


def fund_marks(w):
    fund(w)
    return [FUND_TEXT]


def fund_pending_marks(w):
    fund(w)
    return [FUND_PENDING_TEXT]


def fund_rep_marks(w):
    """rep_a's name, shown beside their fund (the fund is built first)."""
    fund(w)
    return [w.county.rep_a.name]


def q_fund(w) -> dict:
    """This year's funds (builds rep_a's first: lists are read before the marks)."""
    fund(w)
    return {"year": w.today.year}


def q_fund_village(w) -> dict:
    fund(w)
    return {"year": w.today.year, "unit": w.county.village_a.pk}


def scores(w):
    """This year's scores, computed once from the world's records (no audit)."""
    from linli.evaluation import services as evaluation
    from linli.evaluation.models import Score

    if not Score.objects.filter(year=w.today.year).exists():
        evaluation.scores_compute(w.today.year)
    return Score.objects.get(year=w.today.year, representative=w.county.rep_a)


def score_marks(w):
    """rep_a's name, shown beside their score (computed first)."""
    scores(w)
    return [w.county.rep_a.name]


def q_score(w) -> dict:
    scores(w)
    return {"year": w.today.year}


def kw_score(w) -> dict:
    return {"year": scores(w).year, "rep_id": w.county.rep_a.pk}


# --- training: town A's plan, a session held yesterday (rep_a present) and one planned --------

TRAINING_PLAN = "履职培训计划ZT71"
TRAINING_HELD = "已办培训ZT72"
TRAINING_PLANNED = "待办培训ZT73"


def training_plan(w):
    """Town A's plan with its two sessions, built on first use in each test as plain rows
    (no audit, so `written()` does not count them): rep_a attended the held one,
    representative_c is enrolled in the planned one (a withdrawal has something to
    withdraw)."""
    from linli.training.models import (
        Attendance,
        AttendanceRecord,
        Enrolment,
        TrainingPlan,
        TrainingSession,
    )

    found = TrainingPlan.objects.filter(title=TRAINING_PLAN).first()
    if found is not None:
        return found
    plan = TrainingPlan.objects.create(unit=w.county.town_a, year=w.today.year, title=TRAINING_PLAN)
    common = {"plan": plan, "held_on": w.today, "capacity": 10, "place": "镇会议室"}
    held = TrainingSession.objects.create(
        title=TRAINING_HELD, duration_minutes=120, credit_minutes=120, status="held", **common
    )
    Enrolment.objects.create(session=held, representative=w.county.rep_a)
    a = Attendance.objects.create(
        session=held, representative=w.county.rep_a, status="present", minutes=120
    )
    AttendanceRecord.objects.create(attendance=a, revision=1, status="present", minutes=120)
    planned = TrainingSession.objects.create(
        title=TRAINING_PLANNED, duration_minutes=60, credit_minutes=60, **common
    )
    Enrolment.objects.create(session=planned, representative=w.representative_c)
    return plan


def training_held(w):
    return training_plan(w).sessions.get(title=TRAINING_HELD)


def training_planned(w):
    return training_plan(w).sessions.get(title=TRAINING_PLANNED)


def training_marks(w):
    training_plan(w)
    return [TRAINING_PLAN]


def training_held_marks(w):
    training_plan(w)
    return [TRAINING_HELD]


def training_rep_marks(w):
    training_plan(w)
    return [w.county.rep_a.name]


def q_training(w) -> dict:
    training_plan(w)
    return {"year": w.today.year}


ANNUAL_TEXT = "述职草稿ZA64"


def annual_draft(w):
    """rep_a's own text of this year's annual report (a plain row: `written()` does not
    count drafts)."""
    from linli.evaluation.models import AnnualReportDraft

    AnnualReportDraft.objects.get_or_create(
        representative=w.county.rep_a, year=w.today.year, defaults={"text": ANNUAL_TEXT}
    )
    return w.county.rep_a


def annual_marks(w):
    annual_draft(w)
    return [ANNUAL_TEXT]


def kw_annual(w) -> dict:
    return {"rep_id": annual_draft(w).pk}


def q_year(w) -> dict:
    """This year (builds rep_a's draft first: pages are read before the marks)."""
    annual_draft(w)
    return {"year": w.today.year}


# --- the hundred best: this year's selection (nominating, rep_a nominated with a citation),
# last year's final list (rep_a, with a benefit), a reserve candidate; built on first use ---

HONOURS_CITATION = "百佳事迹ZH88"
HONOURS_REFERENCE = "待遇凭证ZB12"
REPS_REFUSED = ("rep_b", "rep_c")


def honours(w):
    """Plain rows (no audit, so `written()` does not count them)."""
    from linli.evaluation import services as evaluation
    from linli.evaluation.models import Score
    from linli.honours.models import (
        BenefitIssue,
        BenefitKind,
        Nomination,
        Quota,
        ReserveCandidate,
        Selection,
    )

    found = Nomination.objects.filter(citation=HONOURS_CITATION).first()
    if found is not None:
        return found
    year = w.today.year
    if not Score.objects.filter(year=year).exists():
        evaluation.scores_compute(year)
    model = evaluation.model_for(year - 1)
    sel = Selection.objects.create(year=year, seats=10)
    Quota.objects.create(selection=sel, town=w.county.town_a, seats=5)
    Quota.objects.create(selection=sel, town=w.county.town_b, seats=5)
    rep = w.county.rep_a

    def nomination(selection, status, citation):
        return Nomination.objects.create(
            selection=selection,
            representative=rep,
            town=w.county.town_a,
            village=w.county.village_a,
            unit_path=rep.unit.path,
            score_total=9000,
            rank_town=1,
            score_model=model,
            score_version=model.version,
            citation=citation,
            status=status,
        )

    made = nomination(sel, "nominated", HONOURS_CITATION)
    last = Selection.objects.create(year=year - 1, seats=10, stage="final")
    nomination(last, "final", "往年事迹")
    kind = BenefitKind.objects.create(name="景区免票")
    BenefitKind.objects.create(name="公交卡")
    BenefitIssue.objects.create(
        kind=kind,
        representative=rep,
        year=year - 1,
        unit_path=rep.unit.path,
        issued_on=w.today,
        reference=HONOURS_REFERENCE,
    )
    ReserveCandidate.objects.create(
        representative=rep,
        year=year,
        unit_path=rep.unit.path,
        town_path=w.county.town_a.path,
        score_total=9000,
        score_version=1,
        age=30,
    )
    return made


def honours_marks(w):
    honours(w)
    return [HONOURS_CITATION]


def honours_rep_marks(w):
    honours(w)
    return [w.county.rep_a.name]


def honours_benefit_marks(w):
    honours(w)
    return [HONOURS_REFERENCE]


def q_honours(w) -> dict:
    honours(w)
    return {"year": w.today.year}


def q_honours_last(w) -> dict:
    honours(w)
    return {"year": w.today.year - 1}


def honours_issue(w):
    from linli.honours.models import BenefitIssue

    honours(w)
    return BenefitIssue.objects.get(reference=HONOURS_REFERENCE)


def honours_candidate(w):
    from linli.honours.models import ReserveCandidate

    honours(w)
    return ReserveCandidate.objects.get(representative=w.county.rep_a)


def honours_kind(w, name="公交卡"):
    from linli.honours.models import BenefitKind

    honours(w)
    return BenefitKind.objects.get(name=name)


PAGES: dict[str, Entry] = {
    "home": listing(unit_marks, strangers=OTHER_TOWN, note="coverage of each unit below"),
    # The units' reports: the town's leaders and those above; strangers 404, lists
    # without them.
    "dashboard_reports": listing(
        report_marks, query=lambda w: (town_report(w), {})[1], refused=("rep_b", "rep_c")
    ),
    "dashboard_report_pdf": scoped(
        kwargs=lambda w: {"pk": town_report(w).pk}, refused=("rep_b", "rep_c")
    ),
    "dashboard_report_xlsx": scoped(
        kwargs=lambda w: {"pk": town_report(w).pk}, refused=("rep_b", "rep_c")
    ),
    "dashboard_report_make": scoped(
        method="POST", body=report_make_body, ok=302, refused=("rep_b", "rep_c")
    ),
    # The command centre's map (dashboard/maps.py): leaders and cadres of a city, town or
    # village (representatives 403); each opens on their own unit, town B's on town B.
    "dashboard_map": listing(unit_marks, refused=("rep_b", "rep_c")),
    "dashboard_map_data": listing(map_marks, query=q_map, refused=("rep_b", "rep_c")),
    "accounts:login": public(),
    "accounts:logout": public(),
    # The second login step and the account page (我的账户): one's own account only.
    "accounts:otp_verify": any_user(note="sends a verified session on"),
    "accounts:otp_enrol": any_user(note="one's own new authenticator"),
    "accounts:otp_recovery": any_user(method="POST", body=empty, note="one's own codes"),
    "accounts:otp_disable": any_user(
        method="POST", body=empty, note="one's own device; refused to a required role"
    ),
    "accounts:me": any_user(
        marks=lambda w: [W.TOKEN_NAME], listing=True, note="one's own name, roles, tokens"
    ),
    "accounts:token_create": any_user(
        method="POST",
        body=lambda w: {"name": "新令牌", "scope": "read", "expires_in_days": "30"},
        note="a token for oneself",
    ),
    "accounts:token_revoke": any_user(
        kwargs=lambda w: {"pk": w.token.pk},
        method="POST",
        body=empty,
        object=True,
        ok=302,
        note="one's own token",
    ),
    # The audit log: superusers and audit administrators (a permission, not a role).
    "accounts:audit_log": admin(note="audit administrators"),
    "accounts:audit_export": admin(note="audit administrators"),
    "accounts:audit_verify": admin(method="POST", body=empty),
    "accounts:code_login": public(note="login by SMS code: the mobile number"),
    "accounts:code_verify": public(note="login by SMS code: the code (step 1 if none was asked)"),
    "accounts:code_password": any_user(note="offered once after a login by code"),
    "set_language": public(),
    # org
    "org:unit_tree": listing(
        lambda w: [w.county.town_a.name], strangers=OTHER_TOWN, refused=("rep_b",)
    ),
    "org:unit_detail": scoped(kwargs=kw_pk("county.village_a"), marks=unit_marks),
    "org:unit_children": scoped(kwargs=kw_pk("county.village_a"), marks=lambda w: ["一组"]),
    # The forms that build the tree: org-write roles only (representatives 403 before any
    # read), the other town's cadre 404; each POST is a valid write for town A's cadre.
    "org:unit_child_create": scoped(
        kwargs=kw_pk("county.village_a"),
        marks=unit_marks,
        refused=("rep_b", "rep_c"),
        post=lambda w: {"kind": "area", "name": "新片"},
    ),
    "org:unit_rename": scoped(
        kwargs=kw_pk("county.village_a"),
        marks=unit_marks,
        refused=("rep_b", "rep_c"),
        post=lambda w: {"name": "新名村"},
    ),
    "org:place_create": scoped(
        kwargs=kw_pk("county.village_a"),
        marks=unit_marks,
        refused=("rep_b", "rep_c"),
        post=lambda w: {"kind": "school", "name": "新小学", "representative": w.county.rep_a.pk},
    ),
    "org:team_create": scoped(
        kwargs=kw_pk("county.village_a"),
        marks=unit_marks,
        refused=("rep_b", "rep_c"),
        post=lambda w: {"name": "新守心团", "representatives": [w.county.rep_a.pk]},
    ),
    "org:team_member_add": scoped(
        kwargs=kw_pk("county.village_a"),
        marks=lambda w: [w.county.village_a.name, w.county.team_a.name],
        refused=("rep_b", "rep_c"),
        post=lambda w: {"team": w.county.team_a.pk, "kind": "volunteer", "name": "新志愿"},
    ),
    "org:representative_appoint": scoped(
        kwargs=kw_pk("county.village_a"),
        marks=lambda w: [w.county.village_a.name, w.candidate.name],
        refused=("rep_b", "rep_c"),
        post=lambda w: {"member": w.candidate.pk, "unit": w.county.group_a.pk},
    ),
    "org:household_list": listing(household_marks),
    "org:household_create": listing(
        lambda w: [w.county.group_a.name],
        strangers=OTHER_TOWN,
        post=lambda w: {"unit": w.county.group_a.pk, "head_name": "外人户", "address": "x"},
    ),
    "org:household_detail": scoped(kwargs=kw_pk("household"), marks=household_marks),
    "org:member_add": scoped(
        kwargs=kw_pk("household"),
        method="POST",
        body=lambda w: {"name": "李新", "relation": "other"},
    ),
    "org:household_link": scoped(
        kwargs=kw_pk("household"),
        method="POST",
        body=lambda w: {"representative": w.county.rep_a.pk, "reason": "x"},
    ),
    "org:member_reveal": scoped(kwargs=kw_pk("member"), method="POST", body=empty),
    "org:representative_list": listing(rep_marks, refused=("rep_b", "rep_c")),
    "org:representative_detail": scoped(kwargs=kw_pk("county.rep_a"), marks=rep_marks),
    "org:representative_end_term": scoped(
        kwargs=kw_pk("county.rep_a"),
        marks=rep_marks,
        refused=("rep_b", "rep_c"),
        post=lambda w: {"reason": "迁出本村"},
    ),
    "org:representative_phone": scoped(
        kwargs=kw_pk("county.rep_a"),
        marks=rep_marks,
        refused=("rep_b", "rep_c"),
        post=lambda w: {"phone": "13912345671"},
    ),
    "org:coverage": scoped(
        query=q_unit(),
        marks=lambda w: [w.uncovered.head_name, w.county.place_a.name],
        refused=("rep_b", "rep_c"),
    ),
    "org:import": any_user(
        note="the form, for the org-write roles (403 for others); an import's rows are checked"
        " one by one"
    ),
    "org:import_template": any_user(
        kwargs=lambda w: {"kind": "households", "fmt": "csv"}, object=False
    ),
    "org:export": listing(household_marks, kwargs=lambda w: {"kind": "households"}),
    # notify
    "notify:inbox": any_user(
        marks=lambda w: [W.NOTIFICATION_TITLE], listing=True, note="one's own notifications"
    ),
    "notify:read": any_user(
        kwargs=kw_pk("notification"),
        method="POST",
        body=empty,
        object=True,
        ok=302,
        note="one's own notification",
    ),
    "notify:read_all": any_user(method="POST", body=empty),
    "notify:dev_inbox": public(note="the console SMS backend's outbox, for demos"),
    "notify:failed": admin(note="failed deliveries: administrators"),
    "notify:failed_retry": admin(method="POST", body=empty),
    # appeals
    "appeals:list": listing(appeal_marks),
    "appeals:queue": listing(appeal_marks, owner="rep_a"),
    "appeals:create": any_user(
        object=False,
        marks=household_marks,
        post_denied=(200,),
        post=lambda w: {
            "category": "facilities",
            "description": "外人代报的诉求",
            "urgency": "normal",
            "household": w.household.pk,
            "reporter_phone": W.RESIDENT_PHONE,
        },
        note="the form lists the households in scope; naming another answers the form's error",
    ),
    "appeals:stats": scoped(query=q_unit("county.town_a"), marks=unit_marks),
    # The command centre: town A's page, numbers and tables list village A below it;
    # the other town's cadre gets 404, representatives 403 (not their menu).
    "centre": scoped(query=q_unit("county.town_a"), marks=unit_marks, refused=("rep_b", "rep_c")),
    "centre_screen": scoped(
        query=q_unit("county.town_a"),
        marks=lambda w: [w.county.town_a.name],
        refused=("rep_b", "rep_c"),
    ),
    "centre_data": scoped(
        query=q_unit("county.town_a"), marks=unit_marks, refused=("rep_b", "rep_c")
    ),
    "centre_export": scoped(
        kwargs=lambda w: {"table": "all"},
        query=q_unit("county.town_a"),
        marks=unit_marks,
        refused=("rep_b", "rep_c"),
    ),
    "appeals:export": listing(appeal_marks),
    "appeals:photo": scoped(
        kwargs=kw_pk("appeal_photo"), anon=404, note="also the reporter with a tracked session"
    ),
    "appeals:detail": scoped(kwargs=lambda w: {"code": w.appeal.code}, marks=appeal_marks),
    # The command centre's dispatch panel of one appeal (a fragment): as its page.
    "appeals:dispatch": scoped(kwargs=lambda w: {"code": w.appeal.code}, marks=appeal_marks),
    "appeals:act": scoped(
        kwargs=lambda w: {"code": w.appeal.code, "action": "note"},
        method="POST",
        body=lambda w: {"note": "外人的备注"},
    ),
    "appeals:reporter_reveal": scoped(
        kwargs=lambda w: {"code": w.appeal.code}, method="POST", body=empty
    ),
    "appeals:report": public(),
    "appeals:public_units": public(),
    "appeals:track": public(),
    "appeals:track_detail": public(
        kwargs=lambda w: {"code": w.appeal.code},
        marks=appeal_marks,
        owner="resident",
        strangers=("anonymous", "town_b", "rep_c"),
        note="the reporter who tracked it with code and phone",
    ),
    "appeals:track_act": public(
        kwargs=lambda w: {"code": w.appeal.code, "action": "withdraw"},
        method="POST",
        body=lambda w: {"note": "x", "confirm": "1"},
        owner="resident",
        strangers=("anonymous", "town_b", "rep_c"),
    ),
    # The SMS link: the signed token is the credential, so whoever holds it is the owner
    # and is sent on to the tracking page (302). Its own denial rules (another appeal's,
    # a tampered, an expired or a malformed token: 404/410, nothing shown) are in
    # tests/appeals/test_track_link.py.
    "appeals:track_link": public(
        kwargs=lambda w: {"token": track_token(w)},
        owner="anonymous",
        strangers=(),
        object=True,
        ok=302,
        note="the signed token in the resident's SMS is the credential",
    ),
    # duties
    "duties:mine": any_user(
        marks=lambda w: [w.household.head_name],
        listing=True,
        owner="rep_a",
        strangers=("rep_b", "rep_c"),
        note="one's own duties as a representative",
    ),
    "duties:sw": public(note="the service worker script"),
    "duties:contact_quick": any_user(
        method="POST",
        body=lambda w: {"household": w.household.pk},
        owner="rep_a",
        object=True,
        ok=302,
        denied=(302, 404),
        note="one's own households only: others get the form's error (302), no record",
    ),
    "duties:contact_new": scoped(
        query=lambda w: {"rep": w.county.rep_a.pk},
        marks=rep_marks,
        post=lambda w: {
            "household": w.household.pk,
            "day": w.today.isoformat(),
            "method": "phone",
            "role": "liaison",
        },
    ),
    "duties:visit_new": scoped(
        query=lambda w: {"rep": w.county.rep_a.pk, "household": w.household.pk},
        marks=household_marks,
    ),
    "duties:deliberation_new": scoped(
        query=lambda w: {"supersedes": w.deliberation.pk}, marks=lambda w: [W.DELIBERATION_TOPIC]
    ),
    "duties:report_new": scoped(
        query=lambda w: {"supersedes": w.report.pk}, marks=lambda w: [W.REPORT_TEXT]
    ),
    "duties:visit_photo": scoped(kwargs=kw_pk("visit_photo"), anon=404),
    "duties:report_document": scoped(kwargs=kw_pk("report")),
    "duties:correct": scoped(kwargs=lambda w: {"kind": "contact", "pk": w.contact.pk}, ok=302),
    "duties:withdraw": scoped(
        kwargs=lambda w: {"kind": "contact", "pk": w.contact.pk},
        method="POST",
        body=lambda w: {"reason": "外人撤回"},
    ),
    "duties:team": scoped(query=q_unit(), marks=rep_marks),
    "duties:export": scoped(query=q_unit(), marks=rep_marks),
    "duties:rep": scoped(kwargs=kw_pk("county.rep_a"), marks=rep_marks),
    # conduct: the negative list (the city's entries are everyone's; town A's are not
    # town B's) and breach records (not even another representative of the group)
    "conduct:entries": listing(entry_marks, strangers=OTHER_TOWN),
    "conduct:entries_export": listing(entry_marks, strangers=OTHER_TOWN),
    "conduct:entry_new": any_user(note="a form for the writer's own lists"),
    "conduct:entry_edit": scoped(
        kwargs=kw_pk("conduct_entry"), marks=entry_marks, refused=("rep_b", "rep_c")
    ),
    "conduct:breaches": listing(breach_marks, refused=("rep_b", "rep_c")),
    "conduct:breaches_export": listing(breach_marks, refused=("rep_b", "rep_c")),
    "conduct:breach_new": any_user(note="the report form: representatives of one's units"),
    "conduct:breach": scoped(kwargs=kw_pk("breach"), marks=breach_marks),
    "conduct:breach_act": scoped(
        kwargs=lambda w: {"pk": w.breach.pk, "action": "statement"},
        method="POST",
        body=lambda w: {"text": "外人陈述"},
    ),
    "conduct:evidence": scoped(kwargs=kw_pk("breach_photo"), anon=404),
    "conduct:mine": any_user(
        marks=breach_marks,
        listing=True,
        owner="rep_a",
        strangers=("rep_b", "rep_c"),
        note="one's own breach records as a representative",
    ),
    # activities: a representative of group A (rep_c) sees its village's activities, so the
    # reads are denied to the other town; the writes to whoever does not manage them.
    "activities:calendar": scoped(query=calendar_query, marks=activity_marks, strangers=OTHER_TOWN),
    "activities:ics": public(
        kwargs=lambda w: {"unit_id": w.county.village_a.pk},
        note="a phone calendar subscribes without a login: titles, times, places only",
    ),
    "activities:list": listing(activity_marks, query=q_activity_kind, strangers=OTHER_TOWN),
    "activities:export": listing(activity_marks, query=q_activity_kind, strangers=OTHER_TOWN),
    "activities:create": any_user(note="the form offers the units the user may plan in"),
    "activities:detail": public(
        kwargs=kw_activity,
        marks=lambda w: [SIGNUP_NAME],
        listing=True,
        note="public page; who signed up only for organisers and cadres",
    ),
    "activities:signup": public(
        kwargs=kw_activity,
        method="POST",
        body=lambda w: {"action": "signup"},
        note="a resident with mobile and one-time code, or a signed-in user",
    ),
    "activities:edit": scoped(kwargs=kw_activity, marks=activity_marks),
    "activities:cancel": scoped(
        kwargs=kw_activity, method="POST", body=lambda w: {"reason": "外人取消"}
    ),
    "activities:manage": scoped(kwargs=kw_activity, marks=activity_marks),
    "activities:photo": scoped(
        kwargs=lambda w: {"pk": activity_photo(w).pk}, anon=404, strangers=OTHER_TOWN
    ),
    "activities:service_day": scoped(
        kwargs=lambda w: {"unit_id": w.county.village_a.pk},
        marks=unit_marks,
        strangers=OTHER_TOWN,
    ),
    # notices (the notice reaches rep_c's group too: rep_c sees it, not its reach)
    "notices:list": listing(notice_marks, query=q_notice, strangers=OTHER_TOWN),
    "notices:export": listing(notice_marks, query=q_notice, strangers=OTHER_TOWN),
    "notices:new": listing(
        unit_marks,
        refused=("rep_b", "rep_c"),
        post=lambda w: {"unit": w.county.village_a.pk, "kind": "policy", "title": "外人通知"},
        post_denied=(200, 403),
        note="the form offers the units of one's scope; another's is not a choice",
    ),
    "notices:detail": scoped(kwargs=kw_notice, marks=notice_marks, strangers=OTHER_TOWN),
    "notices:reach": scoped(kwargs=kw_notice, marks=rep_marks),
    "notices:deliver": any_user(
        kwargs=kw_notice,
        method="POST",
        body=lambda w: {"household": w.county.households_a[3].pk, "method": "online"},
        owner="rep_a",
        object=True,
        ok=302,
        denied=(302, 404),
        note="one's own households only: others get the list's error (302), no record",
    ),
    "notices:deliver_bulk": any_user(
        kwargs=kw_notice,
        method="POST",
        body=lambda w: {"households": [w.county.households_a[3].pk], "method": "online"},
        owner="rep_a",
        object=True,
        ok=302,
        denied=(302, 404),
        note="one's own households only",
    ),
    "notices:withdraw": scoped(
        kwargs=kw_notice,
        method="POST",
        body=lambda w: {"reason": "外人撤回"},
        refused=("rep_b", "rep_c"),
        ok=302,
    ),
    "notices:export_reach": scoped(kwargs=kw_notice, marks=rep_marks),
    "notices:export_deliveries": scoped(kwargs=kw_notice, marks=household_marks),
    # deliberation (the deliberation list). Representatives of village A (rep_c too) see
    # its list, so the strangers are the other town's; cadres' pages refuse rep_b (403).
    "deliberation:list": listing(item_marks, strangers=OTHER_TOWN),
    "deliberation:export": listing(item_marks, strangers=OTHER_TOWN),
    "deliberation:new": listing(
        unit_marks,
        strangers=OTHER_TOWN,
        post=lambda w: {"unit": w.county.village_a.pk, "title": "外人提议"},
        post_denied=(200,),
        note="the form lists the villages one may propose in; another's answers its error",
    ),
    "deliberation:detail": scoped(
        kwargs=lambda w: {"pk": w.delib.proposed.pk}, marks=item_marks, strangers=OTHER_TOWN
    ),
    "deliberation:act": scoped(
        kwargs=lambda w: {"pk": w.delib.proposed.pk, "action": "withdraw"},
        method="POST",
        body=lambda w: {"note": "外人撤回"},
        strangers=OTHER_TOWN,
        ok=302,
    ),
    "deliberation:photo": public(
        kwargs=lambda w: {"pk": w.delib.photo.pk},
        note="a progress photo of an item on public notice",
    ),
    "deliberation:comment_hide": scoped(
        kwargs=lambda w: {"pk": w.delib.comment.pk},
        method="POST",
        body=lambda w: {"reason": "外人隐藏"},
        strangers=OTHER_TOWN,
        refused=("rep_b",),
        ok=302,
    ),
    "deliberation:catalogue": scoped(
        query=lambda w: {"unit": w.county.village_a.pk},
        marks=matter_marks,
        strangers=OTHER_TOWN,
        post=lambda w: {"code": "WX1", "title": "外人事项"},
    ),
    "deliberation:catalogue_export": scoped(
        query=lambda w: {"unit": w.county.village_a.pk}, marks=matter_marks, strangers=OTHER_TOWN
    ),
    "deliberation:matter_retire": scoped(
        kwargs=lambda w: {"pk": w.delib.matter.pk},
        method="POST",
        body=empty,
        strangers=OTHER_TOWN,
        refused=("rep_b",),
        ok=302,
    ),
    "deliberation:rule": scoped(
        query=lambda w: {"unit": w.county.village_a.pk},
        marks=unit_marks,
        strangers=OTHER_TOWN,
        refused=("rep_b",),
        post=lambda w: {"quorum_num": 3, "quorum_den": 4, "majority_num": 1, "majority_den": 2},
    ),
    "deliberation:groups": scoped(
        query=lambda w: {"unit": w.county.village_a.pk},
        marks=lambda w: [w.appeal.code],
        strangers=OTHER_TOWN,
        refused=("rep_b",),
    ),
    "deliberation:group_propose": scoped(
        method="POST",
        body=lambda w: {
            "unit": w.county.village_a.pk,
            "appeals": [w.appeal.pk],
            "title": "外人提议",
        },
        strangers=OTHER_TOWN,
        refused=("rep_b",),
        ok=302,
    ),
    "deliberation:skipped": listing(
        skipped_marks,
        strangers=OTHER_TOWN,
        refused=("rep_b",),
        post=lambda w: {
            "unit": w.county.village_a.pk,
            "matter": w.delib.matter.pk,
            "decided": "外人记录",
            "decided_on": w.today.isoformat(),
        },
        post_denied=(200, 403),
        note="supervisors' form lists their villages; another's answers the form's error",
    ),
    "deliberation:skipped_export": listing(skipped_marks, strangers=OTHER_TOWN, refused=("rep_b",)),
    "deliberation:skipped_photo": scoped(
        kwargs=lambda w: {"pk": w.delib.skipped.pk}, strangers=OTHER_TOWN, refused=("rep_b",)
    ),
    "deliberation:public_board": public(
        kwargs=lambda w: {"unit_id": w.county.town_a.pk},
        marks=published_marks,
        owner="anonymous",
        strangers=(),
        note="the public notice board: no login",
    ),
    "deliberation:public_item": public(
        kwargs=lambda w: {"pk": w.delib.published.pk},
        marks=published_marks,
        owner="anonymous",
        strangers=(),
    ),
    # doorbell: the care register (cadres and leaders), a recipient (their carers too);
    # rep_c, a representative of the same group who is not paired, is a stranger.
    "doorbell:care_list": listing(care_marks, query=q_care, refused=("rep_b", "rep_c")),
    "doorbell:care_export": listing(care_marks, query=q_care, refused=("rep_b", "rep_c")),
    "doorbell:care_register": any_user(note="the form offers the members the user manages"),
    "doorbell:care_detail": scoped(kwargs=kw_care, marks=care_marks),
    "doorbell:care_edit": scoped(kwargs=kw_care, marks=care_marks, post=care_update_body),
    "doorbell:care_end": scoped(kwargs=kw_care, marks=care_marks),
    "doorbell:care_contacts": scoped(
        kwargs=kw_care,
        marks=care_marks,
        post=lambda w: {"name_1": "李儿子", "relation_1": "儿子", "phone_1": "13912345678"},
    ),
    "doorbell:care_pair": scoped(
        kwargs=kw_care,
        marks=care_marks,
        post=lambda w: {"primary": w.county.rep_a.pk, "visit_every_days": 14},
    ),
    "doorbell:care_pair_end": scoped(kwargs=kw_care, marks=care_marks),
    # calling an emergency contact from the care record's page: the carers (rep_a, the
    # primary) and the village cadre, audited; strangers 404.
    "doorbell:care_call": scoped(
        kwargs=lambda w: {"pk": alarm(w).recipient.pk, "contact": alarm_contact(w).pk},
        method="POST",
        body=empty,
        ok=302,
        owner="rep_a",
    ),
    "doorbell:mine": any_user(
        query=q_care,
        marks=care_marks,
        listing=True,
        owner="rep_a",
        strangers=("rep_b", "rep_c"),
        note="one's own care pairings as a representative",
    ),
    "doorbell:settings": scoped(kwargs=kw_village_a, marks=unit_marks, refused=("rep_b", "rep_c")),
    # doorbell devices (the household roles; representatives are refused the pages)
    "doorbell:devices": listing(doorbell_marks, query=q_doorbell, refused=("rep_b", "rep_c")),
    "doorbell:devices_export": listing(
        doorbell_marks, query=q_doorbell, refused=("rep_b", "rep_c")
    ),
    "doorbell:device_new": any_user(
        note="the form offers the units the user manages",
        post=lambda w: {"device_id": "DB-ZNEW-1", "unit": w.county.village_a.pk},
    ),
    "doorbell:device_detail": scoped(
        kwargs=kw_doorbell, marks=doorbell_marks, refused=("rep_b", "rep_c")
    ),
    "doorbell:device_secret": scoped(
        kwargs=kw_doorbell, marks=doorbell_marks, refused=("rep_b", "rep_c")
    ),
    "doorbell:device_new_secret": scoped(
        kwargs=kw_doorbell, method="POST", body=empty, refused=("rep_b", "rep_c")
    ),
    "doorbell:device_bind": scoped(
        kwargs=kw_doorbell,
        method="POST",
        # The doorbell is bound already: a move needs its confirmation (else a 409).
        body=lambda w: {"household": w.county.households_a[2].pk, "move": "on"},
        refused=("rep_b", "rep_c"),
    ),
    "doorbell:device_retire": scoped(
        kwargs=kw_doorbell,
        method="POST",
        body=lambda w: {"reason": "外人停用"},
        refused=("rep_b", "rep_c"),
    ),
    "doorbell:device_seq_reset": scoped(
        kwargs=kw_doorbell,
        method="POST",
        body=lambda w: doorbell_seq_reset_body(w, confirm="on"),
        refused=("rep_b", "rep_c"),
    ),
    "doorbell:tasks": listing(doorbell_marks, query=q_doorbell, refused=("rep_b", "rep_c")),
    "doorbell:task_resolve": scoped(
        kwargs=lambda w: {"pk": doorbell_task(w).pk},
        method="POST",
        body=lambda w: {"note": "外人处理"},
        refused=("rep_b", "rep_c"),
    ),
    "doorbell:rejections": listing(doorbell_marks, query=q_doorbell, refused=("rep_b", "rep_c")),
    # doorbell alarms: the panel and figures serve the household roles and representatives
    # (rep_c, of the same group, sees none of town A's household's alarms: not told of it).
    "doorbell:alarms": listing(alarm_marks, query=q_alarm),
    "doorbell:alarm_export": listing(alarm_marks, query=q_alarm),
    "doorbell:figures": listing(alarm_rep_marks, query=q_alarm),
    "doorbell:figures_export": listing(alarm_rep_marks, query=q_alarm),
    "doorbell:alarm_detail": scoped(kwargs=kw_alarm, marks=alarm_marks),
    # acknowledge and arrive: the people told (rep_a), the carers and the village's cadres
    # only (policy.can_attend), not the town that owns the panel.
    "doorbell:alarm_act": scoped(
        kwargs=lambda w: {"pk": alarm(w).pk, "action": "acknowledge"},
        method="POST",
        body=empty,
        ok=302,
        owner="rep_a",
    ),
    # calling an emergency contact from the alarm's page: the carers (rep_a, the primary)
    # and the village cadre, audited; strangers 404.
    "doorbell:alarm_call": scoped(
        kwargs=lambda w: {"pk": alarm(w).pk, "contact": alarm_contact(w).pk},
        method="POST",
        body=empty,
        ok=302,
        owner="rep_a",
    ),
    # the evaluation: cadres and leaders read their units' rankings (representatives are
    # refused them); a representative reads only their own score; the weights are the city's.
    "evaluation:ranking": listing(score_marks, query=q_score, refused=("rep_b", "rep_c")),
    "evaluation:export": listing(score_marks, query=q_score, refused=("rep_b", "rep_c")),
    "evaluation:score": scoped(kwargs=kw_score, marks=score_marks, anon=404),
    "evaluation:mine": any_user(
        query=q_score,
        marks=score_marks,
        listing=True,
        owner="rep_a",
        strangers=("rep_b", "rep_c"),
        note="one's own scores as a representative",
    ),
    "evaluation:weights": admin(note="the city's weights (the city command centre too)"),
    # the service fund: cadres and leaders read their units' funds (representatives are
    # refused those pages); a representative reads only their own fund (funds:mine).
    "funds:totals": scoped(query=q_fund_village, marks=fund_rep_marks, refused=("rep_b", "rep_c")),
    "funds:mine": any_user(
        query=q_fund,
        marks=fund_marks,
        listing=True,
        owner="rep_a",
        strangers=("rep_b", "rep_c"),
        note="one's own service fund as a representative",
    ),
    "funds:entries": listing(fund_marks, query=q_fund, refused=("rep_b", "rep_c")),
    "funds:export": listing(fund_marks, query=q_fund, refused=("rep_b", "rep_c")),
    "funds:queue": listing(fund_pending_marks, query=q_fund, refused=("rep_b", "rep_c")),
    "funds:entry": scoped(
        kwargs=lambda w: {"pk": fund_entry(w).pk},
        marks=fund_marks,
        post=lambda w: {"action": "reverse", "reason": "外人冲正"},
    ),
    "funds:receipt": scoped(kwargs=lambda w: {"pk": fund_entry(w).receipts.get().pk}, anon=404),
    "funds:rule": scoped(
        kwargs=kw_village_a,
        marks=unit_marks,
        refused=("rep_b", "rep_c"),
        post=lambda w: {
            "action": "rule",
            "year": w.today.year,
            "allocation": "300",
            "approval": "100",
        },
    ),
    # representative training: cadres and leaders read their units' plans (and those
    # above), a representative only their own record (training:mine, and
    # training:representative of themselves; rep_c, of the same group, gets 404).
    "training:plans": listing(training_marks, query=q_training, refused=("rep_b", "rep_c")),
    "training:plan": scoped(
        kwargs=lambda w: {"pk": training_plan(w).pk},
        marks=training_marks,
        refused=("rep_b", "rep_c"),
    ),
    "training:session": scoped(
        kwargs=lambda w: {"pk": training_planned(w).pk},
        marks=lambda w: [TRAINING_PLANNED],
        refused=("rep_b", "rep_c"),
        post=lambda w: {"action": "cancel", "reason": "外人取消"},
    ),
    "training:representative": scoped(
        kwargs=lambda w: {"pk": w.county.rep_a.pk},
        query=q_training,
        marks=training_held_marks,
    ),
    "training:mine": any_user(
        query=q_training,
        marks=training_held_marks,
        listing=True,
        owner="rep_a",
        strangers=("rep_b", "rep_c"),
        note="one's own training record as a representative",
    ),
    "training:hours": listing(training_rep_marks, query=q_training, refused=("rep_b", "rep_c")),
    "training:export": listing(training_rep_marks, query=q_training, refused=("rep_b", "rep_c")),
    # the annual report (述职报告): a representative writes and presents their own
    # (evaluation:annual_mine, their serving records only); leaders and cadres read those
    # of their subtrees (the list, the page, the downloads); anyone else 404.
    "evaluation:annual_mine": any_user(
        query=q_year,
        marks=annual_marks,
        listing=True,
        owner="rep_a",
        strangers=("rep_b", "rep_c"),
        note="one's own annual report as a representative",
    ),
    "evaluation:annual_team": listing(rep_marks, query=q_year, refused=("rep_b", "rep_c")),
    "evaluation:annual_report": scoped(
        kwargs=kw_annual,
        query=q_year,
        marks=annual_marks,
        owner="rep_a",
        post=lambda w: {"year": w.today.year, "text": ANNUAL_TEXT, "action": "present"},
    ),
    "evaluation:annual_docx": scoped(kwargs=kw_annual, query=q_year),
    "evaluation:annual_pdf": scoped(kwargs=kw_annual, query=q_year),
    # the hundred best (百佳代表), their benefits and the reserve pool: city, town and village
    # cadres of their units (representatives are refused); the city-only pages refuse the
    # town; the public notice and the final list need no login.
    "honours:selection": listing(honours_rep_marks, query=q_honours, refused=REPS_REFUSED),
    "honours:quotas": scoped(
        kwargs=lambda w: {"year": (honours(w), w.today.year)[1]},
        owner="superuser",
        strangers=("town_a", "town_b", "rep_b", "rep_c"),
        refused=("town_a", "town_b", "rep_b", "rep_c"),
        note="the city's page",
    ),
    "honours:nominate": listing(
        honours_rep_marks,
        kwargs=lambda w: {"year": (honours(w), w.today.year)[1]},
        refused=REPS_REFUSED,
        post=lambda w: {"representative": w.representative_c.pk, "citation": "外人推荐"},
    ),
    "honours:nomination": scoped(
        kwargs=lambda w: {"pk": honours(w).pk},
        marks=honours_marks,
        refused=REPS_REFUSED,
        post=lambda w: {"action": "town_approve", "note": ""},
    ),
    "honours:public_notice": public(),
    "honours:public_nominee": public(kwargs=lambda w: {"pk": honours(w).pk}),
    "honours:public_final": public(kwargs=lambda w: {"year": (honours(w), w.today.year - 1)[1]}),
    "honours:benefits": listing(honours_benefit_marks, query=q_honours_last, refused=REPS_REFUSED),
    "honours:benefit_kinds": any_user(note="the benefit kinds (not personal); the city adds"),
    "honours:benefit_revoke": scoped(
        kwargs=lambda w: {"pk": honours_issue(w).pk},
        marks=honours_benefit_marks,
        refused=REPS_REFUSED,
        post=lambda w: {"reason": "外人撤销"},
    ),
    "honours:benefits_export": listing(
        honours_benefit_marks, query=q_honours_last, refused=REPS_REFUSED
    ),
    "honours:reserve": listing(honours_rep_marks, query=q_honours, refused=REPS_REFUSED),
    "honours:reserve_candidate": scoped(
        kwargs=lambda w: {"pk": honours_candidate(w).pk},
        marks=honours_rep_marks,
        refused=REPS_REFUSED,
        post=lambda w: {"action": "confirm", "note": ""},
    ),
    "honours:reserve_export": listing(honours_rep_marks, query=q_honours, refused=REPS_REFUSED),
    # the API's own pages
    "api:openapi-json": public(),
    "api:openapi-view": public(),
    "api:api-root": public(),
    # charter (the responsibility and rights list)
    "charter:mine": scoped(
        query=q_unit("county.town_a"), marks=charter_marks, strangers=OTHER_TOWN
    ),
    "charter:export": scoped(
        query=q_unit("county.town_a"), marks=charter_marks, strangers=OTHER_TOWN
    ),
    "charter:versions": listing(
        charter_title,
        strangers=OTHER_TOWN,
        refused=("rep_b",),
        post=lambda w: {
            "unit": w.county.village_a.pk,
            "title": "李畋村清单",
            "effective_from": w.charter.next_day,
        },
    ),
    "charter:versions_export": listing(charter_title, strangers=OTHER_TOWN, refused=("rep_b",)),
    "charter:version_detail": scoped(
        kwargs=lambda w: {"pk": w.charter.town_list.pk}, marks=charter_marks, strangers=OTHER_TOWN
    ),
    "charter:version_edit": scoped(
        kwargs=lambda w: {"pk": w.charter.draft.pk},
        method="POST",
        body=lambda w: {"title": "改名", "effective_from": w.charter.next_day, "note": ""},
        denied=(403, 404),
        ok=302,
    ),
    "charter:version_publish": scoped(
        kwargs=lambda w: {"pk": w.charter.draft.pk}, method="POST", body=empty, denied=(403, 404)
    ),
    "charter:entry_new": scoped(
        kwargs=lambda w: {"pk": w.charter.draft.pk},
        post=lambda w: {"code": "town-new", "kind": "right", "title": "新权利"},
        denied=(403, 404),
    ),
    "charter:entry_edit": scoped(
        kwargs=lambda w: {"pk": w.charter.draft_entry.pk},
        marks=lambda w: [CW.DRAFT_ENTRY],
        post=lambda w: {"code": "town-draft", "kind": "right", "title": "改后"},
        denied=(403, 404),
    ),
    "charter:entry_delete": scoped(
        kwargs=lambda w: {"pk": w.charter.draft_spare.pk},
        method="POST",
        body=empty,
        denied=(403, 404),
    ),
}

# Whole namespaces classified at once.
NAMESPACES: dict[str, Entry] = {
    "admin": admin(note="the Django admin: staff and superusers only"),
}


# --- API operations -------------------------------------------------------------------------

API: dict[str, Entry] = {
    "POST /api/v1/auth/token": public(),
    "POST /api/v1/auth/code": public(note="answers the same whether the number has an account"),
    "POST /api/v1/auth/code/token": public(),
    "GET /api/v1/auth/me": any_user(),
    "GET /api/v1/auth/tokens": any_user(marks=lambda w: [W.TOKEN_NAME], listing=True),
    "DELETE /api/v1/auth/tokens/{token_id}": any_user(
        kwargs=lambda w: {"token_id": w.token.pk}, object=True, note="one's own token"
    ),
    # org
    "GET /api/v1/units": listing(unit_marks, strangers=OTHER_TOWN),
    "POST /api/v1/units": scoped(
        body=lambda w: {"parent_id": w.county.village_a.pk, "kind": "group", "name": "外人组"}
    ),
    "GET /api/v1/units/{unit_id}": scoped(
        kwargs=lambda w: {"unit_id": w.county.village_a.pk}, marks=unit_marks
    ),
    "GET /api/v1/units/{unit_id}/children": scoped(
        kwargs=lambda w: {"unit_id": w.county.village_a.pk}, marks=lambda w: ["一组"]
    ),
    "POST /api/v1/units/{unit_id}/move": scoped(
        kwargs=lambda w: {"unit_id": w.county.group_a.pk},
        # Its own parent: a no-op for the owner, so the shared data set stays as it is.
        body=lambda w: {"parent_id": w.county.village_a.pk},
        marks=lambda w: ["一组"],
        denied=(403, 404),
        note="rep_c sees its own group, without the right to move it: 403",
    ),
    "GET /api/v1/households": listing(household_marks),
    "POST /api/v1/households": scoped(
        body=lambda w: {"unit_id": w.county.group_a.pk, "head_name": "外人", "address": "x"},
        denied=(403, 404),
        note="rep_c sees its own group, without the right to register households: 403",
    ),
    "GET /api/v1/households/{household_id}": scoped(
        kwargs=lambda w: {"household_id": w.household.pk}, marks=household_marks
    ),
    "PATCH /api/v1/households/{household_id}": scoped(
        kwargs=lambda w: {"household_id": w.household.pk}, body=lambda w: {"address": "外人改"}
    ),
    "GET /api/v1/members": listing(member_marks),
    "POST /api/v1/members": scoped(
        body=lambda w: {"household_id": w.household.pk, "name": "外人", "relation": "other"}
    ),
    "GET /api/v1/members/{member_id}": scoped(
        kwargs=lambda w: {"member_id": w.member.pk}, marks=member_marks
    ),
    "POST /api/v1/members/{member_id}/reveal": scoped(
        kwargs=lambda w: {"member_id": w.member.pk}, body=empty
    ),
    "GET /api/v1/representatives": listing(rep_marks),
    "POST /api/v1/representatives": scoped(
        body=lambda w: {"member_id": w.candidate.pk, "unit_id": w.county.group_a.pk}
    ),
    "GET /api/v1/representatives/{representative_id}": scoped(
        kwargs=lambda w: {"representative_id": w.county.rep_a.pk}, marks=rep_marks
    ),
    "POST /api/v1/representatives/{representative_id}/end-term": scoped(
        kwargs=lambda w: {"representative_id": w.county.rep_a.pk}, body=lambda w: {"reason": "x"}
    ),
    "POST /api/v1/representatives/{representative_id}/phone": scoped(
        kwargs=lambda w: {"representative_id": w.county.rep_a.pk},
        body=lambda w: {"phone": "13912345670"},
    ),
    "GET /api/v1/links": listing(household_marks),
    "POST /api/v1/links": scoped(
        body=lambda w: {
            "household_id": w.uncovered.pk,
            "representative_id": w.county.rep_a.pk,
            "reason": "x",
        }
    ),
    "POST /api/v1/households/{household_id}/link/end": scoped(
        kwargs=lambda w: {"household_id": w.household.pk}, body=lambda w: {"reason": "x"}
    ),
    "GET /api/v1/places": listing(lambda w: [w.county.place_a.name]),
    "POST /api/v1/places": scoped(
        body=lambda w: {"unit_id": w.county.village_a.pk, "kind": "school", "name": "外人校"}
    ),
    "POST /api/v1/places/{place_id}/assign": scoped(
        kwargs=lambda w: {"place_id": w.county.place_a.pk},
        body=lambda w: {"representative_id": None},
    ),
    "GET /api/v1/teams": listing(lambda w: [w.county.team_a.name]),
    "POST /api/v1/teams": scoped(body=lambda w: {"unit_id": w.county.village_a.pk, "name": "外团"}),
    "POST /api/v1/teams/{team_id}/members": scoped(
        kwargs=lambda w: {"team_id": w.county.team_a.pk},
        body=lambda w: {"kind": "volunteer", "name": "外人"},
    ),
    "GET /api/v1/coverage": scoped(query=q_unit("county.town_a"), marks=unit_marks),
    "GET /api/v1/coverage/uncovered": scoped(
        query=q_unit("county.town_a"), marks=lambda w: [w.uncovered.head_name]
    ),
    # notify
    "GET /api/v1/notifications": any_user(marks=lambda w: [W.NOTIFICATION_TITLE], listing=True),
    "GET /api/v1/notifications/unread-count": any_user(),
    "POST /api/v1/notifications/read-all": any_user(),
    "POST /api/v1/notifications/{notification_id}/read": any_user(
        kwargs=lambda w: {"notification_id": w.notification.pk}, body=empty, object=True
    ),
    # appeals
    "GET /api/v1/appeal-categories": any_user(note="reference data"),
    "GET /api/v1/departments": any_user(note="reference data"),
    "POST /api/v1/appeals": scoped(
        body=lambda w: {
            "category": "facilities",
            "description": "外人代报",
            "household_id": w.household.pk,
            "reporter_phone": W.RESIDENT_PHONE,
        }
    ),
    "GET /api/v1/appeals": listing(appeal_marks),
    "GET /api/v1/appeals/queue": listing(appeal_marks, owner="rep_a"),
    "GET /api/v1/appeals/stats": scoped(
        query=lambda w: {"unit": w.county.town_a.pk, **_period(w)}, marks=unit_marks
    ),
    "GET /api/v1/appeals/{code}": scoped(
        kwargs=lambda w: {"code": w.appeal.code}, marks=appeal_marks
    ),
    "GET /api/v1/appeals/{code}/events": scoped(
        kwargs=lambda w: {"code": w.appeal.code}, marks=lambda w: [w.appeal.unit.name]
    ),
    "POST /api/v1/appeals/{code}/actions/{action}": scoped(
        kwargs=lambda w: {"code": w.appeal.code, "action": "note"}, body=lambda w: {"note": "x"}
    ),
    "POST /api/v1/appeals/{code}/photos": scoped(
        kwargs=lambda w: {"code": w.appeal.code},
        body=lambda w: {"note": "外人照片", "files": W.upload()},
        multipart=True,
    ),
    # duties
    "GET /api/v1/duties/contacts": listing(lambda w: [W.CONTACT_NOTE]),
    "POST /api/v1/duties/contacts": scoped(
        body=lambda w: {"household_id": w.household.pk, "representative_id": w.county.rep_a.pk}
    ),
    "GET /api/v1/duties/visits": listing(lambda w: [W.VISIT_FINDINGS]),
    "POST /api/v1/duties/visits": scoped(
        body=lambda w: {
            "household_id": w.household.pk,
            "representative_id": w.county.rep_a.pk,
            "met": "户主",  # a visit says who was met or what was found
        }
    ),
    "GET /api/v1/duties/deliberations": listing(lambda w: [W.DELIBERATION_TOPIC]),
    "POST /api/v1/duties/deliberations": scoped(
        body=lambda w: {
            "unit_id": w.county.village_a.pk,
            "organiser_ids": [w.county.rep_a.pk],
            "day": w.today.isoformat(),
            "place": "村部",
            "topic": "外人议事",
            "attendee_count": 3,
        }
    ),
    "GET /api/v1/duties/reports": listing(lambda w: [W.REPORT_TEXT]),
    "POST /api/v1/duties/reports": scoped(
        body=lambda w: {
            "representative_id": w.county.rep_a.pk,
            "kind": "committees",
            "day": w.today.isoformat(),
            "text": "外人述职",
        }
    ),
    "POST /api/v1/duties/contacts/{record_id}/withdraw": scoped(
        kwargs=lambda w: {"record_id": w.contact.pk}, body=lambda w: {"reason": "x"}
    ),
    "POST /api/v1/duties/visits/{record_id}/withdraw": scoped(
        kwargs=lambda w: {"record_id": w.visit.pk}, body=lambda w: {"reason": "x"}
    ),
    "POST /api/v1/duties/deliberations/{record_id}/withdraw": scoped(
        kwargs=lambda w: {"record_id": w.deliberation.pk}, body=lambda w: {"reason": "x"}
    ),
    "POST /api/v1/duties/reports/{record_id}/withdraw": scoped(
        kwargs=lambda w: {"record_id": w.report.pk}, body=lambda w: {"reason": "x"}
    ),
    "GET /api/v1/duties/owed": scoped(
        query=lambda w: {"representative": w.county.rep_a.pk},
        marks=lambda w: [w.county.households_a[2].head_name],
    ),
    "GET /api/v1/duties/compliance": scoped(
        query=lambda w: {"representative": w.county.rep_a.pk, **_period(w)},
        marks=rep_marks,
    ),
    # conduct
    "GET /api/v1/conduct/entries": listing(entry_marks, strangers=OTHER_TOWN),
    "POST /api/v1/conduct/entries": scoped(
        body=lambda w: {
            "code": "TA-09",
            "title": "外人条目",
            "severity": "minor",
            "unit_id": w.county.town_a.pk,
        },
        denied=(403, 404),
        ok=201,
    ),
    "PUT /api/v1/conduct/entries/{entry_id}": scoped(
        kwargs=lambda w: {"entry_id": w.conduct_entry.pk},
        body=lambda w: {"title": "外人改条目", "severity": "minor", "active": False},
        denied=(403, 404),
    ),
    "GET /api/v1/conduct/breaches": listing(breach_marks),
    "GET /api/v1/conduct/breaches/{breach_id}": scoped(
        kwargs=lambda w: {"breach_id": w.breach.pk}, marks=breach_marks
    ),
    "POST /api/v1/conduct/breaches": scoped(
        body=lambda w: {
            "representative_id": w.county.rep_a.pk,
            "entry_id": w.city_entry.pk,
            "description": "外人举报",
            "occurred_on": w.today.isoformat(),
        },
        ok=201,
    ),
    "POST /api/v1/conduct/breaches/{breach_id}/statement": scoped(
        kwargs=lambda w: {"breach_id": w.breach.pk}, body=lambda w: {"text": "外人陈述"}
    ),
    "POST /api/v1/conduct/breaches/{breach_id}/confirm": scoped(
        kwargs=lambda w: {"breach_id": w.breach_stated.pk}, body=lambda w: {"reason": "外人确认"}
    ),
    "POST /api/v1/conduct/breaches/{breach_id}/dismiss": scoped(
        kwargs=lambda w: {"breach_id": w.breach_stated.pk}, body=lambda w: {"reason": "外人驳回"}
    ),
    "POST /api/v1/conduct/breaches/{breach_id}/withdraw": scoped(
        kwargs=lambda w: {"breach_id": w.breach.pk},
        body=lambda w: {"reason": "撤回"},
        owner="superuser",
        note="the reporter withdraws",
    ),
    "POST /api/v1/conduct/breaches/{breach_id}/evidence": scoped(
        kwargs=lambda w: {"breach_id": w.breach.pk},
        body=lambda w: {"photos": W.upload()},
        multipart=True,
        ok=201,
    ),
    # activities
    "GET /api/v1/activities": listing(activity_marks, query=q_activity_unit, strangers=OTHER_TOWN),
    "POST /api/v1/activities": scoped(
        body=lambda w: {"unit_id": w.county.village_a.pk, **activity_body(w)},
        denied=(403, 404),
        note="rep_c may plan in its village only naming itself among the organisers",
    ),
    "GET /api/v1/activities/{activity_id}": scoped(
        kwargs=api_activity, marks=activity_marks, strangers=OTHER_TOWN
    ),
    "PUT /api/v1/activities/{activity_id}": scoped(kwargs=api_activity, body=activity_body),
    "POST /api/v1/activities/{activity_id}/cancel": scoped(
        kwargs=api_activity, body=lambda w: {"reason": "外人取消"}
    ),
    "POST /api/v1/activities/{activity_id}/signups": scoped(
        kwargs=api_activity, body=empty, strangers=OTHER_TOWN
    ),
    "DELETE /api/v1/activities/{activity_id}/signups/mine": scoped(
        kwargs=api_activity, owner="rep_a", strangers=OTHER_TOWN
    ),
    "POST /api/v1/activities/{activity_id}/attendance": scoped(
        kwargs=api_past, body=lambda w: {"attended": [], "walk_ins": 2}
    ),
    "POST /api/v1/activities/{activity_id}/photos": scoped(
        kwargs=api_past, body=lambda w: {"files": W.upload()}, multipart=True
    ),
    "POST /api/v1/activities/{activity_id}/held": scoped(
        kwargs=api_past, body=lambda w: {"outcome": "外人的成效"}
    ),
    "GET /api/v1/activities/service-days/{unit_id}": scoped(
        kwargs=lambda w: {"unit_id": w.county.village_a.pk},
        marks=unit_marks,
        strangers=OTHER_TOWN,
    ),
    "PUT /api/v1/activities/service-days/{unit_id}": scoped(
        kwargs=lambda w: {"unit_id": w.county.village_a.pk},
        body=lambda w: {"kind": "month_day", "month_day": 10},
        denied=(403, 404),
        note="rep_c reads its village's service day but may not set it",
    ),
    "GET /api/v1/public/activities/{activity_id}": public(kwargs=api_activity),
    "POST /api/v1/public/activities/{activity_id}/signups": public(
        kwargs=api_activity,
        body=lambda w: {"name": "外人", "phone": "13912349998", "code": "000000"},
    ),
    "POST /api/v1/public/activities/{activity_id}/signups/cancel": public(
        kwargs=api_activity, body=lambda w: {"phone": "13912349998", "code": "000000"}
    ),
    # notices
    "GET /api/v1/notices": listing(notice_marks, query=q_notice, strangers=OTHER_TOWN),
    "POST /api/v1/notices": scoped(
        body=lambda w: {"unit_id": w.county.village_a.pk, "kind": "policy", "title": "外人通知"}
    ),
    "GET /api/v1/notices/{notice_id}": scoped(
        kwargs=api_notice, marks=notice_marks, strangers=OTHER_TOWN
    ),
    "POST /api/v1/notices/{notice_id}/withdraw": scoped(
        kwargs=api_notice, body=lambda w: {"reason": "外人撤回"}, denied=(403, 404)
    ),
    "GET /api/v1/notices/{notice_id}/reach": scoped(kwargs=api_notice, marks=rep_marks),
    "GET /api/v1/notices/{notice_id}/households": scoped(
        kwargs=api_notice,
        query=lambda w: {"representative": w.county.rep_a.pk},
        marks=lambda w: [w.county.households_a[2].head_name],
    ),
    "GET /api/v1/notices/{notice_id}/deliveries": scoped(
        kwargs=api_notice, marks=household_marks, strangers=OTHER_TOWN
    ),
    "POST /api/v1/notices/{notice_id}/deliveries": scoped(
        kwargs=api_notice,
        body=lambda w: {"household_id": w.county.households_a[3].pk, "method": "online"},
    ),
    "POST /api/v1/notices/{notice_id}/deliveries/bulk": scoped(
        kwargs=api_notice,
        body=lambda w: {"household_ids": [w.county.households_a[3].pk], "method": "online"},
    ),
    # deliberation
    "GET /api/v1/deliberation/matters": listing(matter_marks, strangers=OTHER_TOWN),
    "POST /api/v1/deliberation/matters": scoped(
        body=lambda w: {"unit_id": w.county.village_a.pk, "code": "WX2", "title": "外人事项"},
        strangers=OTHER_TOWN,
    ),
    "POST /api/v1/deliberation/matters/{matter_id}/retire": scoped(
        kwargs=lambda w: {"matter_id": w.delib.matter.pk}, body=empty, strangers=OTHER_TOWN
    ),
    "GET /api/v1/deliberation/rules/{unit_id}": scoped(
        kwargs=lambda w: {"unit_id": w.county.village_a.pk}, strangers=OTHER_TOWN
    ),
    "PUT /api/v1/deliberation/rules/{unit_id}": scoped(
        kwargs=lambda w: {"unit_id": w.county.village_a.pk},
        body=lambda w: {"quorum_num": 3, "quorum_den": 4, "majority_num": 1, "majority_den": 2},
        strangers=OTHER_TOWN,
    ),
    "GET /api/v1/deliberation/items": listing(item_marks, strangers=OTHER_TOWN),
    "POST /api/v1/deliberation/items": scoped(
        body=lambda w: {"unit_id": w.county.village_a.pk, "title": "外人提议"},
        strangers=OTHER_TOWN,
    ),
    "GET /api/v1/deliberation/items/{item_id}": scoped(
        kwargs=lambda w: {"item_id": w.delib.proposed.pk}, marks=item_marks, strangers=OTHER_TOWN
    ),
    "POST /api/v1/deliberation/items/{item_id}/schedule": _item_op(
        "proposed", lambda w: {"meeting_id": w.delib.meeting.pk}
    ),
    "POST /api/v1/deliberation/items/{item_id}/discuss": _item_op(
        "scheduled", lambda w: {"note": "外人讨论"}
    ),
    "POST /api/v1/deliberation/items/{item_id}/vote": _item_op(
        "discussed",
        lambda w: {"present": 2, "votes_for": 2, "votes_against": 0, "votes_abstain": 0},
    ),
    "POST /api/v1/deliberation/items/{item_id}/decide": _item_op(
        "voted", lambda w: {"decision": "外人决定"}
    ),
    "POST /api/v1/deliberation/items/{item_id}/progress": _item_op(
        "decided", lambda w: {"note": "外人进展"}
    ),
    "POST /api/v1/deliberation/items/{item_id}/complete": _item_op("decided", empty),
    "POST /api/v1/deliberation/items/{item_id}/publish": _item_op("completed", empty),
    "POST /api/v1/deliberation/items/{item_id}/withdraw": _item_op(
        "proposed", lambda w: {"note": "外人撤回"}
    ),
    "GET /api/v1/deliberation/appeal-groups": scoped(
        query=lambda w: {"unit": w.county.village_a.pk},
        marks=lambda w: [w.appeal.code],
        strangers=OTHER_TOWN,
    ),
    "GET /api/v1/deliberation/skipped": listing(skipped_marks, strangers=OTHER_TOWN),
    "POST /api/v1/deliberation/skipped": scoped(
        body=lambda w: {
            "unit_id": w.county.village_a.pk,
            "matter_id": w.delib.matter.pk,
            "decided": "外人记录",
            "decided_on": w.today.isoformat(),
        },
        strangers=OTHER_TOWN,
    ),
    "POST /api/v1/deliberation/comments/{comment_id}/hide": scoped(
        kwargs=lambda w: {"comment_id": w.delib.comment.pk},
        body=lambda w: {"reason": "外人隐藏"},
        strangers=OTHER_TOWN,
    ),
    # doorbell: the care register and pairing
    "GET /api/v1/doorbell/recipients": listing(care_marks, query=q_care),
    "POST /api/v1/doorbell/recipients": scoped(
        body=lambda w: {"member_id": w.member.pk, "kind": "other"},
        denied=(403, 404),
        ok=201,
    ),
    "GET /api/v1/doorbell/recipients/{recipient_id}": scoped(kwargs=api_care, marks=care_marks),
    "PUT /api/v1/doorbell/recipients/{recipient_id}": scoped(
        kwargs=api_care, body=care_update_body
    ),
    "POST /api/v1/doorbell/recipients/{recipient_id}/end": scoped(
        kwargs=api_care, body=lambda w: {"reason": "外人结束"}
    ),
    "PUT /api/v1/doorbell/recipients/{recipient_id}/contacts": scoped(
        kwargs=api_care, body=lambda w: {"contacts": [{"name": "外人", "phone": "13912345678"}]}
    ),
    "PUT /api/v1/doorbell/recipients/{recipient_id}/pairing": scoped(
        kwargs=api_care, body=lambda w: {"primary_id": w.county.rep_a.pk, "visit_every_days": 14}
    ),
    "POST /api/v1/doorbell/recipients/{recipient_id}/pairing/end": scoped(
        kwargs=api_care, body=empty
    ),
    "GET /api/v1/doorbell/pairings/mine": any_user(
        query=q_care, marks=care_marks, listing=True, owner="rep_a", strangers=("rep_b", "rep_c")
    ),
    "GET /api/v1/doorbell/settings/{unit_id}": scoped(kwargs=kw_village_a),
    "PUT /api/v1/doorbell/settings/{unit_id}": scoped(
        kwargs=kw_village_a,
        body=lambda w: {"ack_minutes": 5, "offline_minutes": 1440, "battery_low": 20},
    ),
    "GET /api/v1/public/deliberation/boards/{unit_id}": public(
        kwargs=lambda w: {"unit_id": w.county.town_a.pk},
        marks=published_marks,
        owner="anonymous",
        strangers=(),
    ),
    "GET /api/v1/public/deliberation/items/{item_id}": public(
        kwargs=lambda w: {"item_id": w.delib.published.pk},
        marks=published_marks,
        owner="anonymous",
        strangers=(),
    ),
    "POST /api/v1/public/deliberation/items/{item_id}/comments": public(
        kwargs=lambda w: {"item_id": w.delib.published.pk},
        body=lambda w: {"name": "王", "text": "同意"},
    ),
    # doorbell devices
    "GET /api/v1/doorbell/devices": listing(doorbell_marks, query=q_doorbell),
    "POST /api/v1/doorbell/devices": scoped(
        body=lambda w: {"device_id": "DB-ZNEW-2", "unit_id": w.county.village_a.pk},
        denied=(403, 404),
    ),
    "GET /api/v1/doorbell/devices/{device_pk}": scoped(
        kwargs=lambda w: {"device_pk": doorbell_device(w).pk}, marks=doorbell_marks
    ),
    "POST /api/v1/doorbell/devices/{device_pk}/seq-reset": scoped(
        kwargs=lambda w: {"device_pk": doorbell_device(w).pk}, body=doorbell_seq_reset_body
    ),
    "GET /api/v1/doorbell/maintenance-tasks": listing(doorbell_marks, query=q_doorbell),
    "POST /api/v1/doorbell/maintenance-tasks/{task_id}/resolve": scoped(
        kwargs=lambda w: {"task_id": doorbell_task(w).pk}, body=lambda w: {"note": "外人处理"}
    ),
    "POST /api/v1/public/doorbell/messages": public(
        note="a doorbell's own door: the message's signature is the credential"
    ),
    # public (no account)
    "GET /api/v1/public/appeal-categories": public(),
    "GET /api/v1/public/units": public(),
    "POST /api/v1/public/codes": public(),
    "POST /api/v1/public/appeals": public(),
    "POST /api/v1/public/track": public(
        body=lambda w: {"code": w.appeal.code, "phone": W.RESIDENT_PHONE},
        marks=appeal_marks,
        owner="anonymous",
        strangers=(),
        note="the code and phone are the credentials",
    ),
    # charter (the responsibility and rights list)
    "GET /api/v1/charter/in-force": scoped(
        query=q_unit("county.town_a"), marks=charter_marks, strangers=OTHER_TOWN
    ),
    "GET /api/v1/charter/versions": listing(charter_title, strangers=OTHER_TOWN),
    "GET /api/v1/charter/versions/{version_id}": scoped(
        kwargs=lambda w: {"version_id": w.charter.town_list.pk},
        marks=charter_marks,
        strangers=OTHER_TOWN,
    ),
    "POST /api/v1/charter/versions": scoped(
        body=lambda w: {
            "unit_id": w.county.village_a.pk,
            "title": "李畋村清单",
            "effective_from": w.charter.next_day,
        },
        denied=(403, 404),
    ),
    "PATCH /api/v1/charter/versions/{version_id}": scoped(
        kwargs=lambda w: {"version_id": w.charter.draft.pk}, body=lambda w: {"title": "改名"}
    ),
    "POST /api/v1/charter/versions/{version_id}/publish": scoped(
        kwargs=lambda w: {"version_id": w.charter.draft.pk}, body=empty
    ),
    "POST /api/v1/charter/versions/{version_id}/entries": scoped(
        kwargs=lambda w: {"version_id": w.charter.draft.pk},
        body=lambda w: {"code": "town-new", "kind": "right", "title": "新权利"},
    ),
    "PATCH /api/v1/charter/entries/{entry_id}": scoped(
        kwargs=lambda w: {"entry_id": w.charter.draft_entry.pk},
        body=lambda w: {"text": "补充"},
        marks=lambda w: [CW.DRAFT_ENTRY],
    ),
    "DELETE /api/v1/charter/entries/{entry_id}": scoped(
        kwargs=lambda w: {"entry_id": w.charter.draft_spare.pk}, body=empty
    ),
    # doorbell alarms
    "GET /api/v1/doorbell/alarms": listing(alarm_marks, query=q_alarm),
    "GET /api/v1/doorbell/alarms/figures": listing(alarm_rep_marks, query=q_alarm),
    "GET /api/v1/doorbell/alarms/{alarm_id}": scoped(kwargs=api_alarm, marks=alarm_marks),
    "POST /api/v1/doorbell/alarms/{alarm_id}/acknowledge": scoped(
        kwargs=api_alarm, body=empty, owner="rep_a"
    ),
    "POST /api/v1/doorbell/alarms/{alarm_id}/arrive": scoped(
        kwargs=api_alarm, body=lambda w: {"latitude": 28.15, "longitude": 113.63}, owner="rep_a"
    ),
    "POST /api/v1/doorbell/alarms/{alarm_id}/close": scoped(
        kwargs=api_alarm, body=lambda w: {"outcome": "false_press", "note": "外人关闭"}
    ),
    # the service fund
    "GET /api/v1/funds/allocations": listing(fund_rep_marks, query=q_fund),
    "GET /api/v1/funds/allocations/{allocation_id}": scoped(
        kwargs=lambda w: {"allocation_id": fund(w).pk}, marks=fund_rep_marks
    ),
    "GET /api/v1/funds/entries": listing(fund_marks, query=q_fund),
    "POST /api/v1/funds/entries": any_user(
        body=lambda w: {"amount_fen": 100, "day": str(w.today), "purpose": "自己的支出"},
        note="a representative spends from their own fund only; others get 404",
    ),
    "POST /api/v1/funds/entries/{entry_id}/decision": scoped(
        kwargs=lambda w: {"entry_id": fund_pending(w).pk},
        body=lambda w: {"approve": True},
    ),
    "POST /api/v1/funds/entries/{entry_id}/reversal": scoped(
        kwargs=lambda w: {"entry_id": fund_entry(w).pk},
        body=lambda w: {"reason": "外人冲正"},
    ),
    "GET /api/v1/funds/totals": scoped(query=q_fund_village, marks=fund_rep_marks),
    "PUT /api/v1/funds/rules/{unit_id}": scoped(
        kwargs=kw_village_a,
        body=lambda w: {"year": w.today.year, "allocation_fen": 30000, "approval_fen": 10000},
    ),
    # the evaluation: rankings for leaders and cadres, one's own score as a representative
    "GET /api/v1/evaluation/scores": listing(score_marks, query=q_score),
    "GET /api/v1/evaluation/scores/{representative_id}": scoped(
        kwargs=lambda w: {"representative_id": scores(w).representative_id},
        query=q_score,
        marks=score_marks,
    ),
    "GET /api/v1/evaluation/weights/{year}": any_user(
        kwargs=lambda w: {"year": w.today.year}, note="the city's weights are public policy"
    ),
    "POST /api/v1/evaluation/weights/{year}": admin(
        kwargs=lambda w: {"year": w.today.year},
        body=lambda w: {"weights": {"duties": 50, "appeals": 10}, "note": "调整"},
        note="the city's weights (the city command centre too)",
    ),
    # representative training
    "GET /api/v1/training/plans": listing(training_marks, query=q_training),
    "POST /api/v1/training/plans": scoped(
        body=lambda w: {"unit_id": w.county.town_a.pk, "year": w.today.year, "title": "新计划"},
    ),
    "GET /api/v1/training/sessions": listing(training_held_marks, query=q_training),
    "POST /api/v1/training/sessions": scoped(
        body=lambda w: {
            "plan_id": training_plan(w).pk,
            "title": "新场次",
            "held_on": str(w.today),
            "duration_minutes": 60,
            "place": "村部",
            "capacity": 5,
        },
    ),
    "GET /api/v1/training/sessions/{session_id}": scoped(
        kwargs=lambda w: {"session_id": training_held(w).pk}, marks=training_held_marks
    ),
    "POST /api/v1/training/sessions/{session_id}/enrolments": scoped(
        kwargs=lambda w: {"session_id": training_planned(w).pk},
        body=lambda w: {"representative_ids": [w.county.rep_a.pk]},
    ),
    "POST /api/v1/training/sessions/{session_id}/withdrawals": scoped(
        kwargs=lambda w: {"session_id": training_planned(w).pk},
        body=lambda w: {"representative_id": w.representative_c.pk},
    ),
    "POST /api/v1/training/sessions/{session_id}/attendance": scoped(
        kwargs=lambda w: {"session_id": training_held(w).pk},
        body=lambda w: {
            "records": [{"representative_id": w.county.rep_a.pk, "status": "excused"}],
            "reason": "外人更正",
        },
    ),
    "POST /api/v1/training/sessions/{session_id}/cancel": scoped(
        kwargs=lambda w: {"session_id": training_planned(w).pk},
        body=lambda w: {"reason": "外人取消"},
    ),
    "GET /api/v1/training/representatives/{representative_id}": scoped(
        kwargs=lambda w: {"representative_id": w.county.rep_a.pk},
        query=q_training,
        marks=training_held_marks,
    ),
    "GET /api/v1/training/hours": listing(
        training_rep_marks, query=q_training, refused=("rep_b", "rep_c")
    ),
    # the annual report (述职报告): one's own, or a representative of one's subtree
    "GET /api/v1/evaluation/annual/{representative_id}": scoped(
        kwargs=lambda w: {"representative_id": annual_draft(w).pk},
        query=q_year,
        marks=annual_marks,
    ),
    "GET /api/v1/evaluation/annual/{representative_id}/document": scoped(
        kwargs=lambda w: {"representative_id": annual_draft(w).pk}, query=q_year
    ),
    # the hundred best
    "GET /api/v1/honours/selections/{year}": any_user(
        kwargs=lambda w: {"year": (honours(w), w.today.year)[1]},
        note="a selection's stage and quotas (no personal data)",
    ),
    "GET /api/v1/honours/nominations": listing(honours_marks, query=q_honours),
    "GET /api/v1/honours/nominations/{nomination_id}": scoped(
        kwargs=lambda w: {"nomination_id": honours(w).pk}, marks=honours_marks
    ),
    "POST /api/v1/honours/nominations": scoped(
        body=lambda w: {
            "year": (honours(w), w.today.year)[1],
            "representative_id": w.representative_c.pk,
            "citation": "外人推荐",
        },
        denied=(403, 404),
    ),
    "POST /api/v1/honours/nominations/{nomination_id}/decision": scoped(
        kwargs=lambda w: {"nomination_id": honours(w).pk},
        body=lambda w: {"action": "town_approve"},
    ),
    "GET /api/v1/honours/benefits": listing(honours_benefit_marks, query=q_honours_last),
    "POST /api/v1/honours/benefits": scoped(
        body=lambda w: {
            "kind_id": honours_kind(w).pk,
            "representative_id": w.county.rep_a.pk,
            "year": w.today.year - 1,
            "issued_on": str(w.today),
        },
    ),
    "GET /api/v1/honours/reserve": listing(honours_rep_marks, query=q_honours),
    "POST /api/v1/honours/reserve/{candidate_id}/decision": scoped(
        kwargs=lambda w: {"candidate_id": honours_candidate(w).pk},
        body=lambda w: {"confirm": True},
    ),
    "GET /api/v1/public/honours/{year}": public(
        kwargs=lambda w: {"year": (honours(w), w.today.year - 1)[1]}
    ),
}
