"""Pages of service days and activities: the calendar of a unit (with its iCalendar
feed), the list with filters and its Excel export, the activity form, the public
activity page with sign-up from the phone, the organisers' page for the day
(attendance, photos, held), and the service-day rule of a unit.

Thin: reads through selectors, writes through services.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.accounts.scope import HOUSEHOLD_LIST_ROLES
from linli.appeals import services as appeals_services
from linli.appeals import throttle
from linli.core.errors import DomainError
from linli.core.inputs import EVENT_YEARS, is_id
from linli.core.paging import paginate
from linli.core.timeutil import today
from linli.core.validators import normalize_mobile
from linli.org import selectors as org_selectors
from linli.org.models import TOWN_DEPTH, VILLAGE_DEPTH, Unit

from . import exports, ics, policy, selectors, services
from .forms import (
    WEEKDAYS,
    ActivityForm,
    AttendanceForm,
    CancelForm,
    FilterForm,
    HeldForm,
    PhoneCancelForm,
    PhoneSignupForm,
    PhotosForm,
    RuleForm,
)
from .models import Activity, ActivityKind, ActivityStatus, RuleKind

if TYPE_CHECKING:
    from linli.accounts.models import User

ROLES = HOUSEHOLD_LIST_ROLES
# How many coming service days the calendar and the feed show.
COMING = 6
FEED_DAYS = 12


def _unit_param(request: HttpRequest, qs: Any, name: str = "unit") -> Unit | None:
    value = request.GET.get(name) or request.POST.get(name) or ""
    if not value:
        return None
    if not is_id(value):
        raise BadRequest(_("The unit is not valid."))
    unit = qs.filter(pk=value).first()
    if unit is None:
        raise Http404
    return unit


def _month(request: HttpRequest) -> tuple[int, int]:
    value = request.GET.get("month", "")
    now = today()
    if not value:
        return now.year, now.month
    try:
        year, month = (int(x) for x in value.split("-", 1))
        if not (EVENT_YEARS[0] <= year <= EVENT_YEARS[1] and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise BadRequest(_("The month is not valid.")) from None
    return year, month


def _shift(year: int, month: int, by: int) -> str:
    n = year * 12 + (month - 1) + by
    y, m = divmod(n, 12)
    if not EVENT_YEARS[0] <= y <= EVENT_YEARS[1]:
        return ""
    return f"{y:04d}-{m + 1:02d}"


def _actor(request: HttpRequest) -> User:
    """The signed-in user of a page behind `roles_required`."""
    return cast("User", request.user)


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- the calendar ---------------------------------------------------------------------------


@roles_required(ROLES)
def calendar(request: HttpRequest) -> HttpResponse:
    units = selectors.calendar_units(request.user)
    unit = _unit_param(request, units) or selectors.default_unit(request.user)
    year, month = _month(request)
    context: dict[str, Any] = {"units": units, "unit": unit, "month": dt.date(year, month, 1)}
    if unit is not None:
        feed = reverse("activities:ics", args=[unit.pk])
        spec, own = selectors.rule_in_force(unit)
        days = selectors.calendar_month(request.user, unit, year, month)
        context.update(
            days=days,
            weeks=selectors.month_weeks(days, year, month),
            weekdays=[label for _value, label in WEEKDAYS],
            coming=selectors.coming_service_days(unit, count=COMING),
            rule=spec,
            rule_own=own,
            rule_text=rule_text(spec),
            prev=_shift(year, month, -1),
            next=_shift(year, month, 1),
            feed_url=request.build_absolute_uri(feed),
            webcal_url="webcal://" + request.get_host() + feed,
            can_set_rule=policy.can_set_rule(request.user, unit),
            can_create=selectors.create_units(request.user).exists(),
        )
    return render(request, "activities/calendar.html", context)


def rule_text(spec: Any) -> str:
    """The rule in words ("the 10th of each month", "the second Saturday")."""
    if spec is None:
        return _("No service day is set.")
    if spec.kind == RuleKind.MONTH_DAY:
        if spec.month_day == -1:
            return _("The last day of each month")
        return _("Day %(n)d of each month") % {"n": spec.month_day}
    if spec.kind == RuleKind.WEEKDAY:
        from .forms import NTHS, WEEKDAYS

        nth = dict(NTHS).get(str(spec.nth), "")
        weekday = dict(WEEKDAYS).get(str(spec.weekday), "")
        return _("The %(nth)s %(weekday)s of each month") % {"nth": nth, "weekday": weekday}
    return _("Follows the town's service day")


def ics_feed(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Public: the unit's coming service days and its (and its ancestors') activities."""
    unit = Unit.objects.filter(pk=unit_id, kind__in=policy.CALENDAR_KINDS).first()
    if unit is None:
        raise Http404
    since = today() - dt.timedelta(days=31)
    body = ics.feed(
        unit,
        selectors.coming_service_days(unit, start=since, count=FEED_DAYS),
        selectors.feed_activities(unit, since=since),
        host=request.get_host().split(":")[0],
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="linli-{unit.pk}.ics"'
    response["Cache-Control"] = "public, max-age=900"
    return response


# --- the list and its export -----------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[FilterForm, Any, dict[str, Any]]:
    units = selectors.calendar_units(request.user)
    form = FilterForm(request.GET or None, units=units)
    data: dict[str, Any] = {}
    if form.is_bound:
        if not form.is_valid():
            return form, Activity.objects.none(), {}
        data = form.cleaned_data
    qs = selectors.activities_filtered(
        request.user,
        unit=data.get("unit"),
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        start=data.get("start"),
        end=data.get("end"),
    )
    filters = {
        k: (v.pk if isinstance(v, Unit) else str(v)) for k, v in data.items() if v not in (None, "")
    }
    return form, qs, filters


@roles_required(ROLES)
def activity_list(request: HttpRequest) -> HttpResponse:
    form, qs, filters = _filtered(request)
    page = paginate(qs, request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "activities/list.html",
        {"form": form, "page": page, "query": query, "can_create": _can_create(request)},
        status=400 if form.errors else 200,
    )


def _can_create(request: HttpRequest) -> bool:
    return selectors.create_units(request.user).exists()


@roles_required(ROLES)
def activity_export(request: HttpRequest) -> FileResponse:
    form, qs, filters = _filtered(request)
    if form.errors:
        raise BadRequest(_("Some filters are not valid."))
    result = exports.activities_xlsx(user=_actor(request), activities=qs, filters=filters)
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- the activity form ----------------------------------------------------------------------


def _form(request: HttpRequest, activity: Activity | None) -> ActivityForm:
    units = selectors.create_unit_choices(request.user)
    if activity is not None:
        units = Unit.objects.filter(pk=activity.unit_id)
    initial: dict[str, Any] = {}
    if activity is not None:
        start = timezone.localtime(activity.starts_at)
        initial = {
            "unit": activity.unit_id,
            "kind": activity.kind,
            "title": activity.title,
            "place": activity.place,
            "day": start.date(),
            "start": start.strftime("%H:%M"),
            "end": timezone.localtime(activity.ends_at).strftime("%H:%M")
            if activity.ends_at
            else "",
            "capacity": activity.capacity,
            "description": activity.description,
            "organisers": [r.pk for r in activity.organisers.all()],
            "guard_teams": [t.pk for t in activity.guard_teams.all()],
            "appeals": [link.appeal_id for link in activity.appeal_links.all()],
            "on_service_day": "1" if activity.on_service_day else "0",
        }
    else:
        mine = org_selectors.own_representatives(request.user)
        if mine:
            initial["organisers"] = [mine[0].pk]
        chosen = request.GET.get("unit")
        if chosen and is_id(chosen):
            initial["unit"] = chosen
        day = request.GET.get("day", "")
        if day:
            initial["day"] = day
    chosen = request.POST.get("unit") or initial.get("unit")
    unit = units.filter(pk=chosen).first() if chosen and is_id(chosen) else None
    if unit is None and units.count() == 1:
        unit = units.first()
        initial["unit"] = unit.pk if unit else None
    appeals = selectors.open_appeals_for(request.user, unit)
    if activity is not None:
        linked = [link.appeal_id for link in activity.appeal_links.all()]
        appeals = appeals | selectors.appeals_visible_to_ids(request.user, linked)
    form = ActivityForm(
        request.POST or None,
        units=units,
        organisers=selectors.organisers_for(unit),
        teams=selectors.teams_for(unit),
        appeals=appeals,
        initial=initial,
    )
    if unit is None:
        form.fields["organisers"].help_text = _("Choose where it is held first.")
    form.fields["unit"].widget.attrs.update(
        {
            "hx-get": request.path,
            "hx-trigger": "change",
            "hx-target": "#line-fields",
            "hx-select": "#line-fields",
            "hx-swap": "outerHTML",
        }
    )
    return form


def _save(request: HttpRequest, form: ActivityForm, activity: Activity | None) -> Activity | None:
    d = form.cleaned_data
    starts_at, ends_at = form.moments()
    fields = dict(
        kind=d["kind"],
        title=d["title"],
        place=d["place"],
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=d["capacity"],
        description=d["description"],
        organisers=list(d["organisers"]),
        guard_teams=list(d["guard_teams"]),
        appeals=list(d["appeals"]),
        on_service_day=form.service_day(),
    )
    try:
        if activity is None:
            return services.activity_create(actor=_actor(request), unit=d["unit"], **fields)
        return services.activity_update(actor=_actor(request), activity=activity, **fields)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None


@roles_required(ROLES)
def activity_create(request: HttpRequest) -> HttpResponse:
    if not _can_create(request):
        raise Http404
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, None)
        if saved is not None:
            messages.success(request, _("The activity was planned."))
            return redirect("activities:detail", pk=saved.pk)
    return render(request, "activities/form.html", {"form": form, "title": _("Plan an activity")})


@roles_required(ROLES)
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_manage_get(request.user, pk)
    if activity.status != ActivityStatus.PLANNED:
        messages.error(request, _("This activity was already held or cancelled."))
        return redirect("activities:detail", pk=pk)
    form = _form(request, activity)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, activity)
        if saved is not None:
            messages.success(request, _("The activity was changed."))
            return redirect("activities:detail", pk=pk)
    return render(
        request,
        "activities/form.html",
        {"form": form, "title": _("Change the activity"), "activity": activity},
    )


@require_POST
@roles_required(ROLES)
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_manage_get(request.user, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the activity is cancelled."))
        return redirect("activities:manage", pk=pk)
    try:
        services.activity_cancel(
            actor=_actor(request), activity=activity, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The activity was cancelled."))
    except DomainError as exc:
        _error(request, exc)
    return redirect("activities:detail", pk=pk)


# --- the public page and sign-up ----------------------------------------------------------------


def _detail_context(request: HttpRequest, activity: Activity, **extra: Any) -> dict[str, Any]:
    manage = policy.can_manage(request.user, activity)
    signed_in = request.user.is_authenticated
    return {
        "activity": activity,
        "places_left": selectors.places_left(activity),
        "signed_up": selectors.signed_up_count(activity),
        "open": activity.status == ActivityStatus.PLANNED and activity.starts_at > timezone.now(),
        "mine": selectors.signup_of_user(activity, request.user) if signed_in else None,
        "manage": manage,
        "signups": list(selectors.signups_of(activity)) if manage else [],
        "board_unit_id": _board_unit_id(activity),
        "phone_form": extra.pop("phone_form", None) or PhoneSignupForm(),
        "cancel_form": extra.pop("cancel_form", None) or PhoneCancelForm(),
        **extra,
    }


def _board_unit_id(activity: Activity) -> int | None:
    """A deliberation meeting's village (or town), whose public notice board of decided
    items its page links to: a resident has no other way to find the board."""
    unit = activity.unit
    if activity.kind != ActivityKind.DELIBERATION or unit.depth < TOWN_DEPTH:
        return None
    path = unit.village_path() if unit.depth >= VILLAGE_DEPTH else unit.path
    return Unit.objects.filter(path=path).values_list("pk", flat=True).first()


def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Public: anyone may read it and sign up from their phone."""
    activity = selectors.activity_public(pk)
    return render(request, "activities/detail.html", _detail_context(request, activity))


@require_POST
def activity_signup(request: HttpRequest, pk: int) -> HttpResponse:
    """Public: send a code, sign up by mobile and code, or with one's account; cancel."""
    activity = selectors.activity_public(pk)
    action = request.POST.get("action", "")
    if action in ("account", "account_cancel"):
        if not request.user.is_authenticated:
            return redirect(
                f"{reverse('accounts:login')}?next={reverse('activities:detail', args=[pk])}"
            )
        try:
            if action == "account":
                services.signup_by_account(actor=_actor(request), activity=activity)
                messages.success(request, _("You have signed up."))
            else:
                services.signup_cancel(actor=_actor(request), activity=activity)
                messages.success(request, _("Your sign-up was cancelled."))
        except DomainError as exc:
            _error(request, exc)
        return redirect("activities:detail", pk=pk)
    if action in ("cancel_code", "cancel"):
        return _phone_cancel(request, activity, action)
    return _phone_signup(request, activity, action)


def _send_code(request: HttpRequest, form: Any) -> bool:
    try:
        throttle.code_request(request)
        phone = normalize_mobile(request.POST.get("phone", ""))
        appeals_services.phone_code_request(phone=phone)
    except DomainError as exc:
        form.add_error("phone", exc.message)
        return False
    messages.success(request, _("A verification code was sent to %(phone)s.") % {"phone": phone})
    return True


def _phone_signup(request: HttpRequest, activity: Activity, action: str) -> HttpResponse:
    form = PhoneSignupForm(request.POST)
    valid = form.is_valid()
    if action == "code":
        if valid:
            _send_code(request, form)
        return _again(request, activity, phone_form=form)
    if valid and not form.cleaned_data.get("code"):
        form.add_error("code", _("Enter the verification code sent to your mobile."))
    if not form.is_valid():
        return _again(request, activity, phone_form=form)
    d = form.cleaned_data
    try:
        services.signup_by_phone(
            activity=activity, name=d["name"], phone=d["phone"], code=d["code"]
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _again(request, activity, phone_form=form, status=exc.status)
    messages.success(request, _("You have signed up. See you there!"))
    return redirect("activities:detail", pk=activity.pk)


def _phone_cancel(request: HttpRequest, activity: Activity, action: str) -> HttpResponse:
    form = PhoneCancelForm(request.POST)
    valid = form.is_valid()
    if action == "cancel_code":
        if valid:
            _send_code(request, form)
        return _again(request, activity, cancel_form=form, cancelling=True)
    if valid and not form.cleaned_data.get("code"):
        form.add_error("code", _("Enter the verification code sent to your mobile."))
    if not form.is_valid():
        return _again(request, activity, cancel_form=form, cancelling=True)
    try:
        services.signup_cancel_by_phone(
            activity=activity, phone=form.cleaned_data["phone"], code=form.cleaned_data["code"]
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _again(request, activity, cancel_form=form, cancelling=True, status=exc.status)
    messages.success(request, _("Your sign-up was cancelled."))
    return redirect("activities:detail", pk=activity.pk)


def _again(
    request: HttpRequest, activity: Activity, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "activities/detail.html",
        _detail_context(request, activity, **extra),
        status=status if status != 200 else (400 if _has_errors(extra) else 200),
    )


def _has_errors(extra: dict[str, Any]) -> bool:
    return any(getattr(f, "errors", None) for f in extra.values())


# --- on the day --------------------------------------------------------------------------------


@roles_required(ROLES)
def activity_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisers' page: who signed up, attendance, photos, outcome, held, cancel."""
    activity = selectors.activity_manage_get(request.user, pk)
    signups = selectors.signups_of(activity)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    attendance = AttendanceForm(
        request.POST if action == "attendance" else None,
        signups=signups,
        initial={
            "attended": [s.pk for s in signups if s.attended],
            "walk_ins": activity.walk_ins,
        },
    )
    held = HeldForm(
        request.POST if action == "held" else None, initial={"outcome": activity.outcome}
    )
    status = 200
    if action:
        try:
            done = _manage_action(request, activity, action, attendance, held)
        except DomainError as exc:
            _error(request, exc)
            done, status = False, exc.status
        if done:
            return redirect("activities:manage", pk=pk)
        status = status if status != 200 else 400
    return render(
        request,
        "activities/manage.html",
        {
            "activity": activity,
            "signups": list(signups),
            "attendance": attendance,
            "attendance_count": selectors.attendance_count(activity),
            "held": held,
            "photos": list(activity.photos.all()),
            "photos_form": PhotosForm(),
            "cancel_form": CancelForm(),
            "appeal_links": list(activity.appeal_links.select_related("appeal")),
            "planned": activity.status == ActivityStatus.PLANNED,
            "started": timezone.localtime(activity.starts_at).date() <= today(),
        },
        status=status,
    )


def _manage_action(
    request: HttpRequest, activity: Activity, action: str, attendance: Any, held: Any
) -> bool:
    if action == "attendance":
        if not attendance.is_valid():
            return False
        d = attendance.cleaned_data
        services.attendance_record(
            actor=_actor(request),
            activity=activity,
            attended=[s.pk for s in d["attended"]],
            walk_ins=d["walk_ins"],
        )
        messages.success(request, _("The attendance was saved."))
        return True
    if action == "photos":
        services.activity_photos_add(
            actor=_actor(request), activity=activity, photos=request.FILES.getlist("photos")
        )
        messages.success(request, _("The photos were added."))
        return True
    if action == "held":
        if not held.is_valid():
            return False
        services.activity_hold(
            actor=_actor(request), activity=activity, outcome=held.cleaned_data["outcome"]
        )
        messages.success(request, _("The activity was marked held."))
        return True
    raise Http404


def activity_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo of an activity, for whoever sees the activity in their scope (404 to
    anyone else, and to visitors)."""
    if not request.user.is_authenticated:
        raise Http404
    photo = selectors.photo_get(request.user, pk)
    response = FileResponse(
        default_storage.open(photo.image.name, "rb"), content_type=photo.content_type
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the service day of a unit ------------------------------------------------------------------


@roles_required(ROLES)
def service_day(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.calendar_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    may = policy.can_set_rule(request.user, unit)
    form = RuleForm(request.POST or None, initial={"effective_from": today()}) if may else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.service_day_set(
                    actor=_actor(request),
                    unit=unit,
                    kind=d["kind"],
                    month_day=d["month_day"] or None,
                    nth=d["nth"] or None,
                    weekday=d["weekday"] or None,
                    effective_from=d["effective_from"],
                )
                messages.success(request, _("The service day was set."))
                return redirect(f"{reverse('activities:calendar')}?unit={unit.pk}")
            except DomainError as exc:
                form.add_error(None, exc.message)
    spec, own = selectors.rule_in_force(unit)
    return render(
        request,
        "activities/service_day.html",
        {
            "unit": unit,
            "form": form,
            "rule": spec,
            "rule_text": rule_text(spec),
            "rule_own": own,
            "history": [(r, rule_text(r)) for r in selectors.rules_of(unit)],
            "coming": selectors.coming_service_days(unit, count=COMING),
        },
        status=400 if form is not None and form.errors else 200,
    )
