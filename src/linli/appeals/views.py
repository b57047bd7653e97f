"""Pages of appeals: queues, the appeal page with its timeline and actions,
filing for a resident, numbers, export; and the public report and tracking
pages. Thin: reads through selectors, writes through services."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.scope import scope_for
from linli.core.errors import DomainError, InvalidInput, NotFound, Throttled
from linli.core.inputs import is_id, parse_day
from linli.core.nexturl import next_url
from linli.core.paging import paginate
from linli.core.photos import photos_prepare
from linli.core.validators import normalize_mobile
from linli.org import selectors as org_selectors
from linli.org.models import Department, Unit

from . import exports, links, policy, report_photos, selectors, services, throttle
from .forms import AppealFileForm, AppealFilterForm, PublicReportForm, TrackForm
from .models import Appeal, AppealPhoto, Category, Level, Status
from .workflow import ACTION_LABELS, Action, actions_for

# Session key holding {case code: phone} for the resident's tracking pages.
TRACKED = "linli_tracked"
# Session key holding the mobile number confirmed by a one-time code.
VERIFIED = "linli_verified_phone"


def _appeal(user, code) -> Appeal:
    try:
        return selectors.appeal_get(user, code)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _filters(request):
    form = AppealFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    unit = None
    if data.get("unit"):
        try:
            unit = org_selectors.unit_get(request.user, data["unit"])
        except NotFound as exc:
            raise Http404(exc.message) from None
    return form, data, unit


@login_required
def appeal_list(request):
    form, data, unit = _filters(request)
    qs = selectors.appeals_filtered(
        request.user,
        status=data.get("status", ""),
        level=data.get("level", ""),
        kind=data.get("kind", ""),
        q=data.get("q", ""),
        overdue=bool(data.get("overdue")),
        unit=unit,
    )
    page = paginate(qs, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "appeals/_rows.html" if request.htmx else "appeals/list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "rows": page.object_list,
            "unit": unit,
            "query": query.urlencode(),
            "now": timezone.now(),
        },
    )


@login_required
def queue(request):
    """My to-do: what I may claim or am handling, overdue first."""
    level = request.GET.get("level") or None
    if level and level not in Level.values:
        level = None
    qs = selectors.queue_for(request.user, level)
    page = paginate(qs, request.GET.get("page"))
    scope = scope_for(request.user)
    return render(
        request,
        "appeals/queue.html",
        {
            "page": page,
            "rows": page.object_list,
            "level": level,
            "levels": Level.choices,
            "is_department": bool(policy.departments_of(request.user)),
            "is_representative": bool(scope.representative_ids),
            "now": timezone.now(),
        },
    )


def _action_context(request, appeal: Appeal) -> dict:
    caps = policy.capacities(request.user, appeal)
    actions = actions_for(appeal.status, caps, appeal.kind, appeal.level)
    return {
        "actions": [(a.value, ACTION_LABELS[a]) for a in actions],
        "departments": Department.objects.filter(active=True).order_by("name")
        if Action.REFER in actions
        else [],
        "return_units": _return_units(appeal) if Action.RETURN in actions else [],
        "handlers": selectors.assignable_handlers(appeal) if Action.REASSIGN in actions else [],
    }


def _return_units(appeal: Appeal):
    return Unit.objects.filter(parent=appeal.unit).order_by("path")


@login_required
@require_POST
def reporter_reveal(request, code: str):
    """The reporter's mobile in clear (htmx), audited by the service."""
    appeal = _appeal(request.user, code)
    try:
        phone = services.reporter_phone_reveal(actor=request.user, appeal=appeal)
    except DomainError as exc:
        return render(
            request,
            "appeals/_reporter_phone.html",
            {"appeal": appeal, "error": exc.message},
            status=exc.status,
        )
    return render(request, "appeals/_reporter_phone.html", {"appeal": appeal, "revealed": phone})


@login_required
def appeal_detail(request, code: str):
    appeal = _appeal(request.user, code)
    context = {
        "appeal": appeal,
        "events": selectors.timeline(appeal),
        "photos": appeal.photos.all(),
        "parties": appeal.parties.all(),
        "mediations": appeal.mediations.all(),
        "duplicates": appeal.duplicates.all(),
        "now": timezone.now(),
        **_action_context(request, appeal),
    }
    return render(request, "appeals/detail.html", context)


@login_required
@require_POST
def appeal_act(request, code: str, action: str):
    appeal = _appeal(request.user, code)
    post = request.POST
    try:
        department = (
            get_object_or_404(Department, pk=post["department"], active=True)
            if is_id(post.get("department", ""))
            else None
        )
        merge_into = (
            selectors.appeal_get(request.user, post["merge_into"])
            if post.get("merge_into")
            else None
        )
        unit = (
            org_selectors.unit_get(request.user, int(post["unit"]))
            if is_id(post.get("unit", ""))
            else None
        )
        assignee = None
        if action == Action.REASSIGN and post.get("assignee"):
            assignee = selectors.assignable_handler(appeal, post["assignee"])
        party = (
            {
                "name": post.get("party_name"),
                "phone": post.get("party_phone"),
                "role": post.get("party_side"),
            }
            if action == Action.PARTY_ADD
            else None
        )
        raw_version = post.get("version", "").strip()
        if raw_version and not is_id(raw_version):
            # A page's form always sends the version it showed; anything else is not
            # a page of ours, and skipping the check would act on a changed appeal.
            raise InvalidInput(
                _("This appeal was changed by someone else; reload the page and try again."),
                code="version",
            )
        services.appeal_act(
            actor=request.user,
            appeal=appeal,
            action=action,
            note=post.get("note", ""),
            version=int(raw_version) if raw_version else None,
            department=department,
            merge_into=merge_into,
            unit=unit,
            rating=post.get("rating") or None,
            party=party,
            assignee=assignee,
            internal=bool(post.get("internal")),
            photos=request.FILES.getlist("photos"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        label = ACTION_LABELS.get(Action(action)) if action in Action._value2member_map_ else action
        messages.success(request, _("Done: %(action)s.") % {"action": label})
    back = next_url(request, "")
    if back:
        # Dispatched from another screen (the command centre): back there.
        return redirect(back)
    try:
        selectors.appeal_get(request.user, code)
    except NotFound:
        # The action moved it out of the user's sight (e.g. returned elsewhere).
        return redirect("appeals:queue")
    return redirect("appeals:detail", code=appeal.code)


DISPATCH_ACTIONS = (Action.SUPERVISE, Action.URGE, Action.REASSIGN)


@login_required
def appeal_dispatch(request, code: str):
    """A fragment for dispatching an appeal from another screen (the command centre):
    what it is and where it stands, its last events, and the forms of supervise, urge
    and reassign the user may take now, each going back to `next`."""
    appeal = _appeal(request.user, code)
    context = _action_context(request, appeal)
    shown = [a for a in context["actions"] if a[0] in DISPATCH_ACTIONS]
    return render(
        request,
        "appeals/_dispatch.html",
        {
            "appeal": appeal,
            "actions": shown,
            "handlers": context["handlers"],
            "events": list(selectors.timeline(appeal).order_by("-at", "-id")[:3]),
            "next": next_url(request, ""),
        },
    )


@login_required
def appeal_create(request):
    households = org_selectors.households_visible_to(request.user).select_related("unit")
    scope = scope_for(request.user)
    if scope.representative_ids and not scope.household_paths:
        households = households.filter(
            pk__in=org_selectors.current_links()
            .filter(representative_id__in=scope.representative_ids)
            .values("household_id")
        )
    units = (
        org_selectors.units_visible_to(request.user)
        .filter(kind__in=["group", "area", "village", "community"])
        .select_related("parent")
        .order_by("path")
    )
    if scope.representative_ids and not units.exists():
        units = Unit.objects.filter(
            pk__in=policy.representative_units(request.user)
        ).select_related("parent")
    form = AppealFileForm(
        request.POST or None,
        households=households.order_by("unit__path", "head_name")[:500]
        if request.method != "POST"
        else households,
        units=units,
        initial={"household": request.GET.get("household")},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            appeal = services.appeal_file(
                actor=request.user,
                category=Category.objects.filter(code=d["category"]).first(),
                title=d["title"],
                description=d["description"],
                urgency=d["urgency"],
                household=d["household"],
                unit=d["unit"],
                address=d["address"],
                latitude=d["latitude"],
                longitude=d["longitude"],
                reporter_name=d["reporter_name"],
                reporter_phone=d["reporter_phone"],
                photos=request.FILES.getlist("photos"),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Appeal %(code)s filed.") % {"code": appeal.code})
            return redirect("appeals:detail", code=appeal.code)
    return render(request, "appeals/create.html", {"form": form})


@login_required
def stats(request):
    unit = None
    pk = request.GET.get("unit")
    try:
        if pk and is_id(pk):
            unit = org_selectors.unit_get(request.user, int(pk))
        else:
            unit = next(iter(org_selectors.root_units_for(request.user)[:1]), None)
    except NotFound as exc:
        raise Http404(exc.message) from None
    today = timezone.localdate()
    start = _date(request.GET.get("start")) or today.replace(day=1)
    end = _date(request.GET.get("end")) or today
    total, children = (None, [])
    if unit is not None and start <= end:
        tz = timezone.get_current_timezone()
        total, children = selectors.appeal_rates(
            request.user,
            unit,
            dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        )
    return render(
        request,
        "appeals/stats.html",
        {
            "unit": unit,
            "start": start,
            "end": end,
            "total": total,
            "children": children,
            "levels": Level.choices,
        },
    )


def _date(value):
    return parse_day(value)


@login_required
def export(request):
    _form, data, unit = _filters(request)
    result = exports.appeals_xlsx(user=request.user, params=data, unit=unit)
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def photo(request, pk: int):
    """A photo, for whoever may see its appeal (staff in scope, or the resident)."""
    p = get_object_or_404(AppealPhoto.objects.select_related("appeal"), pk=pk)
    allowed = request.user.is_authenticated and (
        selectors.appeals_visible_to(request.user).filter(pk=p.appeal_id).exists()
    )
    tracked = request.session.get(TRACKED, {})
    if not allowed and tracked.get(p.appeal.code) != p.appeal.reporter_phone:
        raise Http404
    response = FileResponse(default_storage.open(p.image.name, "rb"), content_type=p.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- public pages (no account) ----------------------------------------------------------


def _place_from(params) -> selectors.ReportPlace:
    return selectors.report_place(
        town=params.get("town"),
        village=params.get("village"),
        area=params.get("area"),
        group=params.get("group"),
        unit=params.get("unit"),
    )


def public_units(request):
    """htmx: the report form's place picker (town › village › area › group), re-drawn
    after each choice or from a search result (`unit`), or the places matching `q`."""
    if "q" in request.GET:
        return render(
            request,
            "appeals/_place_results.html",
            {"matches": selectors.report_place_search(request.GET["q"])},
        )
    return render(request, "appeals/_report_place.html", {"place": _place_from(request.GET)})


def _hold_photos(request, form: PublicReportForm) -> list:
    """Keep the photos of this try (checked) with the ones kept from before."""
    kept = report_photos.keep_only(request.session, set(request.POST.getlist("keep_photos")))
    try:
        prepared = photos_prepare(request.FILES.getlist("photos"), already=len(kept))
    except DomainError as exc:
        form.add_domain_error(exc.code, exc.message)
        return kept
    return report_photos.hold(request.session, prepared)


def report(request):
    verified = request.session.get(VERIFIED)
    held = report_photos.held(request.session)
    if request.method != "POST":
        # A confirmed resident in the register starts from their own household.
        home = selectors.resident_home_unit(verified) if verified else None
        if held:
            report_photos.release(request.session)
            held = []
        form = PublicReportForm(initial={"phone": verified or ""})
        place = _place_from({"unit": home.pk if home else request.GET.get("unit")})
        return _report_page(request, form, place, held, verified)

    form = PublicReportForm(request.POST)
    place = _place_from(request.POST)
    if request.POST.get("send_code"):
        # Step one: send a code to the number, keep everything else as it was.
        form.is_valid()
        form.errors.clear()
        held = _hold_photos(request, form)
        try:
            throttle.code_request(request)
            phone = normalize_mobile(request.POST.get("phone", ""))
            services.phone_code_request(phone=phone)
        except DomainError as exc:
            form.add_domain_error(exc.code, exc.message)
            return _report_page(request, form, place, held, verified, refused=exc)
        messages.success(
            request, _("A verification code was sent to %(phone)s.") % {"phone": phone}
        )
        return _report_page(request, form, place, held, verified)

    valid = form.is_valid()
    held = _hold_photos(request, form)
    if not valid or form.errors:
        return _report_page(request, form, place, held, verified)
    d = form.cleaned_data
    try:
        phone = normalize_mobile(d["phone"])
        if verified != phone:
            phone = services.phone_code_verify(phone=phone, code=d.get("code", ""))
            request.session[VERIFIED] = verified = phone
        filed = services.appeal_file(
            actor=None,
            category=Category.objects.filter(code=d["category"]).first(),
            description=d["description"],
            urgency=d["urgency"],
            unit=place.unit,
            address=d["address"],
            latitude=d["latitude"],
            longitude=d["longitude"],
            reporter_name=d["reporter_name"],
            reporter_phone=phone,
            held_photos=report_photos.load(held),
        )
    except DomainError as exc:
        form.add_domain_error(exc.code, exc.message)
        return _report_page(request, form, place, held, verified, refused=exc)
    report_photos.release(request.session)
    tracked = request.session.get(TRACKED, {})
    tracked[filed.code] = filed.reporter_phone
    request.session[TRACKED] = tracked
    return redirect("appeals:track_detail", code=filed.code)


def _report_page(request, form, place, held, verified, refused: DomainError | None = None):
    """The report form as it was left; a refused try answers 400 (429 with
    `Retry-After` when a limit refused it)."""
    response = render(
        request,
        "appeals/report.html",
        {
            "form": form,
            "place": place,
            "held": held,
            "verified": verified,
            "dev_inbox": _dev_inbox_url(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
    return _throttled_status(response, refused)


def _throttled_status(response, refused: DomainError | None):
    """A page a limit refused answers 429 with `Retry-After` (the form shows the wait)."""
    if isinstance(refused, Throttled):
        response.status_code = 429
        response["Retry-After"] = str(refused.retry_after)
    return response


def _dev_inbox_url() -> str:
    from django.conf import settings

    if settings.LINLI.get("DEV_INBOX") and settings.LINLI.get("SMS_BACKEND") == "console":
        try:
            return reverse("notify:dev_inbox")
        except Exception:  # noqa: BLE001 - the page is optional
            return ""
    return ""


def _remember_tracked(request, appeal: Appeal, phone: str) -> None:
    """The resident's tracking session: this browser may see the appeal (and its photos)."""
    tracked = request.session.get(TRACKED, {})
    tracked[appeal.code] = phone
    request.session[TRACKED] = tracked


def track(request):
    # An expired SMS link sends the resident here with the case code filled in.
    code = request.GET.get("code", "")
    initial = {"code": code} if code.isascii() and code.isalnum() and len(code) <= 20 else {}
    form = TrackForm(request.POST or None, initial=initial)
    refused: Throttled | None = None
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            throttle.track_attempt(request, code)
            try:
                phone = normalize_mobile(form.cleaned_data["phone"])
                appeal = selectors.appeal_for_resident(code, phone)
            except (InvalidInput, NotFound):
                throttle.track_failed(code)
                raise
        except Throttled as exc:
            refused = exc
            form.add_error(None, exc.message)
        except (InvalidInput, NotFound):
            form.add_error(None, _("No appeal matches this case code and mobile number."))
        else:
            _remember_tracked(request, appeal, phone)
            return redirect("appeals:track_detail", code=appeal.code)
    return _throttled_status(render(request, "appeals/track.html", {"form": form}), refused)


def track_link(request, token: str):
    """The short link in the resident's SMS: opens the tracking page of that appeal in
    the same session the tracking form would, without a login or retyping the code."""
    try:
        appeal = selectors.appeal_for_link(token)
    except links.LinkExpired:
        return render(
            request,
            "appeals/track_link_invalid.html",
            {
                "expired": True,
                "code": links.code_of(token),
                "link_days": settings.LINLI["TRACK_LINK_DAYS"],
            },
            status=410,
        )
    except links.LinkInvalid:
        return render(request, "appeals/track_link_invalid.html", {"expired": False}, status=404)
    _remember_tracked(request, appeal, appeal.reporter_phone)
    return redirect("appeals:track_detail", code=appeal.code)


def _tracked_appeal(request, code: str) -> Appeal:
    phone = request.session.get(TRACKED, {}).get(code)
    if not phone:
        raise Http404
    try:
        return selectors.appeal_for_resident(code, phone)
    except NotFound:
        raise Http404 from None


def track_detail(request, code: str):
    appeal = _tracked_appeal(request, code)
    return render(
        request,
        "appeals/track_detail.html",
        {
            "appeal": appeal,
            "events": selectors.timeline(appeal, public=True),
            "photos": appeal.photos.all(),
            "can_rate": appeal.status == Status.RESOLVED,
            "can_withdraw": appeal.is_open,
        },
    )


@require_POST
def track_act(request, code: str, action: str):
    appeal = _tracked_appeal(request, code)
    if action not in (Action.RATE, Action.WITHDRAW):
        raise Http404
    if action == Action.WITHDRAW and not request.POST.get("confirm"):
        messages.error(request, _("Tick “I want to withdraw it” to withdraw the report."))
        return redirect("appeals:track_detail", code=appeal.code)
    try:
        appeal = services.appeal_act(
            actor=None,
            appeal=appeal,
            action=action,
            note=request.POST.get("note", ""),
            rating=request.POST.get("rating") or None,
            resident_phone=appeal.reporter_phone,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if action == Action.WITHDRAW:
            done = _("Your appeal was withdrawn.")
        elif appeal.status == Status.PENDING:
            done = _("Thank you for your rating. The appeal is reopened and will be handled again.")
        else:
            done = _("Thank you for your rating.")
        messages.success(request, done)
    return redirect("appeals:track_detail", code=appeal.code)
