"""Every write on the organisation.

Each function takes the acting user, checks permission against the user's
scope, writes the change and its audit row in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from linli.accounts.models import AuditAction, Role, User
from linli.accounts.scope import LINK_WRITE_ROLES, ORG_WRITE_ROLES, scope_for
from linli.accounts.selectors import account_bindable, user_by_phone
from linli.accounts.services import audit_record, role_grant
from linli.core import hooks
from linli.core.crypto import blind_index
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.inputs import check_text
from linli.core.masking import mask_phone
from linli.core.timeutil import today
from linli.core.validators import (
    birth_date_from_id,
    clean_coordinate,
    normalize_id_number,
    normalize_mobile,
)

from .models import (
    KIND_RANK,
    STEPLEN,
    VILLAGE_DEPTH,
    Department,
    GuardTeam,
    GuardTeamMember,
    Household,
    HouseholdLink,
    HouseholdTag,
    Member,
    MemberKind,
    Place,
    PlaceKind,
    Relation,
    Representative,
    Sex,
    Unit,
    UnitKind,
    encode_step,
    path_at,
)
from .selectors import current_link_q, current_links, member_id_number_q


class LinkOutOfRange(InvalidInput):
    code = "link_out_of_range"


def _require(actor, roles: set[Role], unit: Unit) -> None:
    if not scope_for(actor).can(roles, unit.path):
        raise Forbidden(_("You may not change data of %(unit)s.") % {"unit": unit.name})


def required_text(value: str | None, label: str, max_length: int) -> str:
    text = check_text((value or "").strip(), label, multiline=False)
    if not text:
        raise InvalidInput(_("%(field)s is required.") % {"field": label}, code="required")
    if len(text) > max_length:
        raise InvalidInput(
            _("%(field)s may have at most %(n)d characters.") % {"field": label, "n": max_length},
            code="too_long",
        )
    return text


def pinyin_key(name: str) -> str:
    """Pinyin initials then full pinyin: "wjg wangjianguo" for 王建国."""
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))
    full = "".join(lazy_pinyin(name))
    return f"{initials} {full}".lower()[:100]


# --- units -----------------------------------------------------------------


def next_child_path(parent: Unit | None) -> tuple[str, int]:
    """The path and depth for a new child; the caller holds a lock on the parent."""
    if parent is None:
        last = Unit.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
        prefix, depth = "", 1
    else:
        last = (
            Unit.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
            .order_by("-path")
            .values_list("path", flat=True)
            .first()
        )
        prefix, depth = parent.path, parent.depth + 1
    step = int(last[-STEPLEN:], 36) + 1 if last else 1
    return prefix + encode_step(step), depth


@transaction.atomic
def unit_create(*, actor: User, parent: Unit | None, kind: str, name: str, code: str = "") -> Unit:
    """Add a unit under `parent` (a city at the root needs a superuser)."""
    name = required_text(name, _("Name"), 100)
    if kind not in UnitKind.values:
        raise InvalidInput(_("Unknown unit kind."), code="unit_kind")
    code = (code or "").strip()
    if code and (not code.isdigit() or len(code) not in (6, 9, 12)):
        raise InvalidInput(_("Division code must have 6, 9 or 12 digits."), code="unit_code")
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise Forbidden(_("Only a superuser may create a top-level unit."))
    else:
        _require(actor, ORG_WRITE_ROLES, parent)
        parent = Unit.objects.select_for_update().get(pk=parent.pk)
        if KIND_RANK[UnitKind(kind)] <= KIND_RANK[UnitKind(parent.kind)]:
            raise InvalidInput(
                _("A %(kind)s cannot be placed under a %(parent)s.")
                % {"kind": UnitKind(kind).label, "parent": UnitKind(parent.kind).label},
                code="unit_kind_order",
            )
        if Unit.objects.filter(parent=parent, name=name).exists():
            raise Conflict(
                _("%(parent)s already has a unit named %(name)s.")
                % {"parent": parent.name, "name": name},
                code="unit_exists",
            )
    path, depth = next_child_path(parent)
    unit = Unit.objects.create(
        parent=parent, path=path, depth=depth, kind=kind, name=name, code=code
    )
    audit_record(
        actor=actor,
        action=AuditAction.UNIT_CREATE,
        target=unit,
        detail={"name": name, "kind": kind, "parent": parent.pk if parent else None},
    )
    return unit


@transaction.atomic
def unit_rename(*, actor: User, unit: Unit, name: str, code: str | None = None) -> Unit:
    _require(actor, ORG_WRITE_ROLES, unit)
    before = {"name": unit.name, "code": unit.code}
    unit.name = required_text(name, _("Name"), 100)
    fields = ["name"]
    if code is not None:
        unit.code = code.strip()
        fields.append("code")
    unit.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UNIT_UPDATE,
        target=unit,
        detail={"before": before, "after": {"name": unit.name, "code": unit.code}},
    )
    return unit


def _moved(path: str, old: str, new: str) -> Unit:
    """A stand-in unit at the path `path` will have once the subtree `old` is at `new`."""
    if path.startswith(old):
        path = new + path[len(old) :]
    return Unit(path=path, depth=len(path) // STEPLEN)


def _move_breaks(unit: Unit, new_path: str) -> dict[str, str]:
    """What moving `unit`'s subtree to `new_path` would leave inconsistent.

    Only ties that cross the edge of the subtree can break: a current household
    link or a place whose representative would end up in another village, or a
    guard team whose representatives would leave the team's unit.
    """
    old = unit.path
    inside = Q(**{"unit__path__startswith": old})
    problems: dict[str, str] = {}
    links = (
        HouseholdLink.objects.filter(current_link_q())
        .filter(
            Q(household__unit__path__startswith=old) ^ Q(representative__unit__path__startswith=old)
        )
        .values_list("household__unit__path", "representative__unit__path")
    )
    if any(not same_village(_moved(h, old, new_path), _moved(r, old, new_path)) for h, r in links):
        problems["links"] = _("households linked to representatives of another village")
    places = (
        Place.objects.filter(representative__isnull=False)
        .filter(inside ^ Q(representative__unit__path__startswith=old))
        .values_list("unit__path", "representative__unit__path")
    )
    if any(not same_village(_moved(p, old, new_path), _moved(r, old, new_path)) for p, r in places):
        problems["places"] = _("places covered by representatives of another village")
    teams = (
        GuardTeam.representatives.through.objects.exclude(guardteam__unit__path__startswith=old)
        .filter(representative__unit__path__startswith=old)
        .values_list("guardteam__unit__path", "representative__unit__path")
    )
    if any(not _moved(r, old, new_path).path.startswith(t) for t, r in teams):
        problems["teams"] = _("guard teams of the old parent with representatives of this unit")
    return problems


@transaction.atomic
def unit_move(*, actor: User, unit: Unit, parent: Unit) -> Unit:
    """Put `unit` (and everything below it) under another parent.

    The materialised paths of the whole subtree are rewritten in one statement,
    so scope follows the new tree at once; copies of paths kept by other apps
    are told through the `units_moved` hook. The actor needs a write role over
    both the unit and its new parent.
    """
    _require(actor, ORG_WRITE_ROLES, unit)
    _require(actor, ORG_WRITE_ROLES, parent)
    # Lock in path order (a parent before its children) so concurrent moves cannot deadlock.
    locked = {
        u.pk: u
        for u in Unit.objects.select_for_update()
        .filter(pk__in={unit.pk, parent.pk})
        .order_by("path")
    }
    unit, parent = locked[unit.pk], locked[parent.pk]
    if unit.parent_id == parent.pk:
        return unit
    if parent.path.startswith(unit.path):
        raise InvalidInput(
            _("A unit cannot be moved under itself or one of its own units."),
            code="unit_move_cycle",
        )
    if unit.rank <= parent.rank:
        raise InvalidInput(
            _("A %(kind)s cannot be placed under a %(parent)s.")
            % {"kind": UnitKind(unit.kind).label, "parent": UnitKind(parent.kind).label},
            code="unit_kind_order",
        )
    if Unit.objects.filter(parent=parent, name=unit.name).exists():
        raise Conflict(
            _("%(parent)s already has a unit named %(name)s.")
            % {"parent": parent.name, "name": unit.name},
            code="unit_exists",
        )
    old_path, old_parent_id = unit.path, unit.parent_id
    new_path, new_depth = next_child_path(parent)
    problems = _move_breaks(unit, new_path)
    if problems:
        raise Conflict(
            _("%(unit)s cannot move while it has %(what)s; change those first.")
            % {"unit": unit.name, "what": "; ".join(problems.values())},
            code="unit_move_ties",
            details={"ties": sorted(problems)},
        )
    # Lock the subtree first: a unit being added under one of its units meanwhile
    # (unit_create locks its parent) is then committed before the UPDATE starts and
    # moves with it; on PostgreSQL an UPDATE does not see rows committed after it began.
    list(Unit.objects.select_for_update().filter(path__startswith=old_path).values_list("pk"))
    # The new prefix is a fresh sibling path, so no rewritten path can collide.
    moved = Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (new_depth - unit.depth),
    )
    Unit.objects.filter(pk=unit.pk).update(parent=parent)
    hooks.send("units_moved", old_path=old_path, new_path=new_path)
    # The actor's scope, cached for this request, may hold paths that just changed.
    vars(actor).pop("_linli_scope", None)
    unit.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.UNIT_MOVE,
        target=unit,
        detail={
            "from_parent": old_parent_id,
            "to_parent": parent.pk,
            "from_path": old_path,
            "to_path": new_path,
            "units": moved,
        },
    )
    return unit


# --- households and members -------------------------------------------------


def clean_tags(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for t in tags or ():
        t = (t or "").strip()
        if not t:
            continue
        if t not in HouseholdTag.values:
            # Accept the Chinese label as well as the code.
            match = [
                v for v, label in HouseholdTag.choices if str(label) == t or _(str(label)) == t
            ]
            if not match:
                raise InvalidInput(
                    _("Unknown household tag: %(tag)s") % {"tag": t}, code="household_tag"
                )
            t = match[0]
        if t not in out:
            out.append(t)
    return out


def household_validate(
    *,
    unit: Unit,
    head_name: str,
    address: str,
    tags: Iterable[str] = (),
    latitude=None,
    longitude=None,
) -> dict:
    """Check and normalise household fields without writing (used by import too)."""
    return {
        "unit": unit,
        "head_name": required_text(head_name, _("Head of household"), 50),
        "address": required_text(address, _("Address"), 200),
        "tags": clean_tags(tags),
        "latitude": clean_coordinate(latitude, -90, 90, _("Latitude")),
        "longitude": clean_coordinate(longitude, -180, 180, _("Longitude")),
    }


@transaction.atomic
def household_create(
    *,
    actor: User,
    unit: Unit,
    head_name: str,
    address: str,
    tags: Iterable[str] = (),
    latitude=None,
    longitude=None,
) -> Household:
    _require(actor, ORG_WRITE_ROLES, unit)
    data = household_validate(
        unit=unit,
        head_name=head_name,
        address=address,
        tags=tags,
        latitude=latitude,
        longitude=longitude,
    )
    household = Household.objects.create(search_key=pinyin_key(data["head_name"]), **data)
    audit_record(
        actor=actor,
        action=AuditAction.HOUSEHOLD_CREATE,
        target=household,
        detail={"head_name": household.head_name, "unit": unit.pk},
    )
    return household


@transaction.atomic
def household_update(*, actor: User, household: Household, **changes) -> Household:
    """Change address, head name, tags or coordinates of a household."""
    _require(actor, ORG_WRITE_ROLES, household.unit)
    household = Household.objects.select_for_update().get(pk=household.pk)
    current = {
        "head_name": household.head_name,
        "address": household.address,
        "tags": household.tags,
        "latitude": household.latitude,
        "longitude": household.longitude,
    }
    allowed = set(current)
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    merged = {**current, **changes}
    data = household_validate(unit=household.unit, **merged)
    changed = [f for f in allowed if data[f] != current[f]]
    for f in changed:
        setattr(household, f, data[f])
    if "head_name" in changed:
        household.search_key = pinyin_key(household.head_name)
        changed.append("search_key")
    if changed:
        household.save(update_fields=changed)
        audit_record(
            actor=actor,
            action=AuditAction.HOUSEHOLD_UPDATE,
            target=household,
            detail={"fields": sorted(c for c in changed if c != "search_key")},
        )
    return household


def member_validate(
    *,
    name: str,
    sex: str = "",
    birth_date: dt.date | None = None,
    relation: str = Relation.OTHER,
    id_number: str = "",
    phone: str = "",
) -> dict:
    data = {
        "name": required_text(name, _("Name"), 50),
        "sex": (sex or "").strip().upper(),
        "birth_date": birth_date,
        "relation": relation or Relation.OTHER,
        "id_number": "",
        "phone": "",
    }
    if data["sex"] not in ("", *Sex.values):
        raise InvalidInput(_("Sex must be M or F."), code="sex")
    if data["relation"] not in Relation.values:
        raise InvalidInput(_("Unknown relation to the head of household."), code="relation")
    if id_number and id_number.strip():
        data["id_number"] = normalize_id_number(id_number)
        born = birth_date_from_id(data["id_number"])
        if data["birth_date"] and data["birth_date"] != born:
            raise InvalidInput(
                _("Birth date does not match the ID card number."), code="birth_date_mismatch"
            )
        data["birth_date"] = born
        if not data["sex"]:
            data["sex"] = Sex.MALE if int(data["id_number"][16]) % 2 else Sex.FEMALE
    if phone and phone.strip():
        data["phone"] = normalize_mobile(phone)
    return data


@transaction.atomic
def member_create(*, actor: User, household: Household, **fields) -> Member:
    _require(actor, ORG_WRITE_ROLES, household.unit)
    data = member_validate(**fields)
    if data["id_number"] and Member.objects.filter(member_id_number_q(data["id_number"])).exists():
        raise Conflict(
            _("A resident with this ID card number is already registered."), code="id_number_exists"
        )
    member = Member.objects.create(household=household, **data)
    audit_record(
        actor=actor,
        action=AuditAction.MEMBER_CREATE,
        target=member,
        detail={"household": household.pk},
    )
    return member


@transaction.atomic
def member_reveal(*, actor: User, member: Member) -> dict:
    """Return a member's unmasked ID number and phone, and audit the view."""
    scope = scope_for(actor)
    if not (
        scope.can(ORG_WRITE_ROLES | LINK_WRITE_ROLES, member.household.unit.path)
        or scope.representative_ids
    ):
        raise Forbidden(_("You may not view unmasked personal data."))
    audit_record(
        actor=actor,
        action=AuditAction.MEMBER_REVEAL,
        target=member,
        detail={"fields": ["id_number", "phone"]},
    )
    return {"id_number": member.id_number, "phone": member.phone}


# --- places ------------------------------------------------------------------


@transaction.atomic
def place_create(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    name: str,
    address: str = "",
    representative: Representative | None = None,
) -> Place:
    _require(actor, ORG_WRITE_ROLES, unit)
    if kind not in PlaceKind.values:
        raise InvalidInput(_("Unknown place kind."), code="place_kind")
    place = Place.objects.create(
        unit=unit,
        kind=kind,
        name=required_text(name, _("Name"), 100),
        address=(address or "").strip()[:200],
        representative=representative,
    )
    audit_record(
        actor=actor, action=AuditAction.PLACE_CREATE, target=place, detail={"unit": unit.pk}
    )
    return place


@transaction.atomic
def place_assign(*, actor: User, place: Place, representative: Representative | None) -> Place:
    _require(actor, LINK_WRITE_ROLES, place.unit)
    if representative is not None and not same_village(representative.unit, place.unit):
        raise InvalidInput(
            _("The representative serves another village."), code="place_other_village"
        )
    before = place.representative_id
    place.representative = representative
    place.save(update_fields=["representative"])
    audit_record(
        actor=actor,
        action=AuditAction.PLACE_ASSIGN,
        target=place,
        detail={"before": before, "after": representative.pk if representative else None},
    )
    return place


# --- representatives and links ------------------------------------------------


def same_village(a: Unit, b: Unit) -> bool:
    """Do the two units lie in one village? (`a`, `b`: anything with `path` and `depth`,
    the import passes its own unit rows.)"""
    if a.depth < VILLAGE_DEPTH or b.depth < VILLAGE_DEPTH:
        return a.path.startswith(b.path) or b.path.startswith(a.path)
    return path_at(a.path, VILLAGE_DEPTH) == path_at(b.path, VILLAGE_DEPTH)


def account_not_found() -> NotFound:
    """The one answer for an account id that does not exist and one that is not the
    appointer's to give (`accounts.selectors.bindable_accounts`)."""
    return NotFound(_("User not found."))


def account_refused() -> Conflict:
    """The one answer when a representative's mobile number is already the login of an
    account the appointer may not link: it says nothing of whose account it is."""
    return Conflict(
        _(
            "This mobile number is already the login of another account, which cannot be "
            "given to this representative. Correct the number, or ask an administrator."
        ),
        code="rep_account_refused",
    )


def _free_account_for(user: User, member_id: int) -> Representative | None:
    """May `user` become the account of a new term of `member_id`? Answer the ended
    term of the same resident that holds it (to be unlinked), None if it is free;
    refuse an account serving someone else."""
    held = Representative.objects.filter(user=user).first()
    if held is None:
        return None
    if held.member_id == member_id and held.term_end is not None:
        return held
    raise account_refused()


def _link_account(*, actor: User, rep: Representative, user: User, created: bool) -> User:
    rep.user = user
    rep.save(update_fields=["user"])
    role_grant(actor=actor, user=user, role=Role.REPRESENTATIVE, unit=rep.unit)
    audit_record(
        actor=actor,
        action=AuditAction.REPRESENTATIVE_ACCOUNT,
        target=rep,
        detail={"user": user.pk, "created": created},
    )
    return user


@transaction.atomic
def representative_account_ensure(*, actor: User, representative: Representative) -> User | None:
    """Give a serving representative a login account for their registered mobile.

    The one place a representative's account is made (the page form, the API and the
    admin through `representative_appoint`; the import writes the same rows in bulk,
    `imports._representatives`). With no account for the number yet, one is created:
    active, without a usable password (the first login is by a code sent by SMS,
    `accounts.sms_login`), holding the representative role at the representative's
    unit. An existing account of that number is linked only when it is the appointer's
    (`accounts.selectors.bindable_accounts`: in their units, never a superuser, staff
    or administrator) and serves no other representative; otherwise `Conflict`
    `rep_account_refused`, which does not say whose it is. A representative without a
    mobile number, with an account already, or whose term ended is left as it is.
    """
    rep = Representative.objects.select_related("member", "unit", "user").get(pk=representative.pk)
    _require(actor, ORG_WRITE_ROLES, rep.unit)
    if rep.user_id is not None or rep.term_end is not None or not rep.member.phone:
        return rep.user
    phone = rep.member.phone
    user = user_by_phone(phone)
    if user is None:
        user = User.objects.create_user(phone=phone, password=None, name=rep.name)
        audit_record(
            actor=actor,
            action=AuditAction.USER_CREATE,
            target=user,
            detail={
                "role": str(Role.REPRESENTATIVE),
                "unit": rep.unit_id,
                "representative": rep.pk,
            },
        )
        return _link_account(actor=actor, rep=rep, user=user, created=True)
    if not account_bindable(actor, user):
        raise account_refused()
    old = _free_account_for(user, rep.member_id)
    if old is not None:
        Representative.objects.filter(pk=old.pk).update(user=None)
    return _link_account(actor=actor, rep=rep, user=user, created=False)


@transaction.atomic
def representative_appoint(
    *,
    actor: User,
    member: Member,
    unit: Unit,
    term_start: dt.date | None = None,
    user: User | None = None,
    account: bool = True,
    phone: str = "",
) -> Representative:
    """Make a resident the representative of a group (or another unit) from `term_start`.

    `user`: an existing account to give them, which must be the appointer's
    (`accounts.selectors.bindable_accounts`); one that is not answers exactly like a
    missing one (`NotFound`). Without `user`, and with `account` (the default), the
    representative gets the account of their registered mobile number
    (`representative_account_ensure`). `phone`, when given, becomes the resident's
    registered mobile first (the form asks for it when none is registered).
    """
    _require(actor, ORG_WRITE_ROLES, unit)
    new_phone = normalize_mobile(phone) if phone and phone.strip() else ""
    if not same_village(member.household.unit, unit):
        raise InvalidInput(
            _("A representative must live in the village they serve."), code="rep_other_village"
        )
    if Representative.objects.filter(member=member, term_end__isnull=True).exists():
        raise Conflict(
            _("%(name)s is already a serving representative.") % {"name": member.name},
            code="rep_exists",
        )
    old = None
    if user is not None:
        if not account_bindable(actor, user):
            raise account_not_found()
        held = Representative.objects.filter(user=user).first()
        if held is not None and (held.member_id != member.pk or held.term_end is None):
            raise Conflict(
                _("This account already belongs to a representative."), code="rep_user_taken"
            )
        old = held
    if old is not None:
        Representative.objects.filter(pk=old.pk).update(user=None)
    if new_phone and new_phone != member.phone:
        # update() fills no blind index by itself: the hash goes with the number.
        Member.objects.filter(pk=member.pk).update(
            phone=new_phone, phone_hash=blind_index(new_phone)
        )
        member.phone = new_phone
    rep = Representative.objects.create(
        member=member, unit=unit, name=member.name, term_start=term_start or today(), user=user
    )
    if user is not None:
        role_grant(actor=actor, user=user, role=Role.REPRESENTATIVE, unit=unit)
    audit_record(
        actor=actor,
        action=AuditAction.REPRESENTATIVE_APPOINT,
        target=rep,
        detail={
            "member": member.pk,
            "unit": unit.pk,
            "term_start": str(rep.term_start),
            **({"phone": mask_phone(new_phone)} if new_phone else {}),
        },
    )
    if user is None and account:
        representative_account_ensure(actor=actor, representative=rep)
        rep.refresh_from_db(fields=["user"])
    return rep


@transaction.atomic
def representative_phone_change(
    *, actor: User, representative: Representative, phone: str
) -> Representative:
    """Change a representative's registered mobile, and their account's login with it.

    The account keeps its password and roles; a number that is already another
    account's login is refused (`rep_account_refused`), as is changing the login of an
    account that is not the appointer's to manage. A serving representative without an
    account gets one for the new number.
    """
    rep = Representative.objects.select_related("member", "unit", "user").get(pk=representative.pk)
    _require(actor, ORG_WRITE_ROLES, rep.unit)
    new = normalize_mobile(phone) if phone and phone.strip() else ""
    before = rep.member.phone
    if new == before:
        return rep
    account = rep.user
    if account is not None and new:
        if not account_bindable(actor, account):
            raise Forbidden(
                _("This representative's account is managed by an administrator."),
                code="rep_account_foreign",
            )
        other = user_by_phone(new)
        if other is not None and other.pk != account.pk:
            raise account_refused()
    member = Member.objects.select_for_update().get(pk=rep.member_id)
    member.phone = new
    member.save(update_fields=["phone", "phone_hash"])
    if account is not None and new:
        # update() fills no blind index by itself: the login's hash goes with it.
        User.objects.filter(pk=account.pk).update(phone=new, phone_hash=blind_index(new))
    audit_record(
        actor=actor,
        action=AuditAction.REPRESENTATIVE_PHONE,
        target=rep,
        detail={
            "before": mask_phone(before),
            "after": mask_phone(new),
            "account": account.pk if account is not None else None,
        },
    )
    if account is None and new:
        representative_account_ensure(actor=actor, representative=rep)
    rep.refresh_from_db()
    return rep


@transaction.atomic
def representative_end_term(
    *,
    actor: User,
    representative: Representative,
    term_end: dt.date | None = None,
    reason: str = "",
) -> Representative:
    """End a term; the representative's households become uncovered from that day."""
    _require(actor, ORG_WRITE_ROLES, representative.unit)
    rep = Representative.objects.select_for_update().get(pk=representative.pk)
    if rep.term_end is not None:
        raise Conflict(_("This term has already ended."), code="rep_term_ended")
    end = term_end or today()
    if end < rep.term_start:
        raise InvalidInput(_("The term cannot end before it started."), code="rep_term_dates")
    reason = required_text(reason, _("Reason"), 200)
    for link in current_links().select_for_update().filter(representative=rep):
        if end < link.valid_from:
            raise InvalidInput(_("A household link starts after this date."), code="link_dates")
        link.valid_to = end
        link.save(update_fields=["valid_to"])
    rep.term_end = end
    rep.save(update_fields=["term_end"])
    hooks.send("links_changed", representative_ids=[rep.pk], since=end)
    audit_record(
        actor=actor,
        action=AuditAction.REPRESENTATIVE_END_TERM,
        target=rep,
        detail={"term_end": str(end), "reason": reason},
    )
    return rep


def range_distance(n: int) -> int:
    """How far a household count is from the allowed 5-15 (0 inside)."""
    lo, hi = settings.LINLI["LINK_MIN"], settings.LINLI["LINK_MAX"]
    return max(0, lo - n, n - hi)


def active_count(rep: Representative) -> int:
    return current_links().filter(representative=rep).count()


def _range_breaks(rep: Representative, delta: int) -> tuple[bool, int]:
    """Would adding `delta` households take the representative further out of 5-15?"""
    n = active_count(rep)
    return range_distance(n + delta) > range_distance(n), n + delta


def range_message(rep: Representative, n: int) -> str:
    lo, hi = settings.LINLI["LINK_MIN"], settings.LINLI["LINK_MAX"]
    return _(
        "%(name)s would serve %(n)d households, outside %(lo)d-%(hi)d; give a reason to proceed."
    ) % {"name": rep.name, "n": n, "lo": lo, "hi": hi}


@transaction.atomic
def link_assign(
    *,
    actor: User,
    household: Household,
    representative: Representative,
    on_date: dt.date | None = None,
    reason: str = "",
) -> HouseholdLink:
    """Link a household to a representative from `on_date`, ending its current link.

    A change that takes either representative further outside 5-15 households
    needs a reason and is flagged; it is never silently allowed.
    """
    _require(actor, LINK_WRITE_ROLES, household.unit)
    day = on_date or today()
    reason = (reason or "").strip()[:200]
    # Lock both representatives in id order so concurrent moves cannot deadlock.
    household = Household.objects.select_for_update().select_related("unit").get(pk=household.pk)
    current = current_links().select_for_update().filter(household=household).first()
    # Lock both representatives in id order, so two moves touching the same
    # representative see each other's counts and cannot deadlock.
    rep_ids = {representative.pk} | ({current.representative_id} if current else set())
    locked = {
        r.pk: r
        for r in Representative.objects.select_for_update()
        .select_related("unit")
        .filter(pk__in=rep_ids)
        .order_by("pk")
    }
    rep = locked[representative.pk]
    if rep.term_end is not None or day < rep.term_start:
        raise InvalidInput(
            _("%(name)s is not serving on that date.") % {"name": rep.name}, code="rep_not_serving"
        )
    if not same_village(rep.unit, household.unit):
        raise InvalidInput(
            _("A representative may only serve households of their own village."),
            code="link_other_village",
        )
    if current and current.representative_id == rep.pk:
        raise Conflict(
            _("This household is already linked to %(name)s.") % {"name": rep.name},
            code="link_exists",
        )
    if current and day < current.valid_from:
        raise InvalidInput(
            _("The change date is before the current link started."), code="link_dates"
        )

    flagged = False
    breaks, n = _range_breaks(rep, +1)
    if breaks:
        if not reason:
            raise LinkOutOfRange(range_message(rep, n))
        flagged = True
    if current:
        previous = locked[current.representative_id]
        breaks, n = _range_breaks(previous, -1)
        if breaks:
            if not reason:
                raise LinkOutOfRange(range_message(previous, n))
            flagged = True
        current.valid_to = day
        current.save(update_fields=["valid_to"])
    try:
        with transaction.atomic():
            link = HouseholdLink.objects.create(
                representative=rep,
                household=household,
                valid_from=day,
                reason=reason,
                out_of_range=flagged,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        raise Conflict(
            _("This household was changed by someone else; reload and try again."), code="link_race"
        ) from None
    hooks.send(
        "links_changed",
        representative_ids=[rep.pk] + ([current.representative_id] if current else []),
        since=day,
    )
    audit_record(
        actor=actor,
        action=AuditAction.LINK_MOVE if current else AuditAction.LINK_CREATE,
        target=link,
        detail={
            "household": household.pk,
            "from": current.representative_id if current else None,
            "to": rep.pk,
            "on": str(day),
            "reason": reason,
            "out_of_range": flagged,
        },
    )
    return link


@transaction.atomic
def link_end(
    *, actor: User, household: Household, on_date: dt.date | None = None, reason: str = ""
) -> HouseholdLink:
    """End a household's current link (e.g. the family moved away)."""
    _require(actor, LINK_WRITE_ROLES, household.unit)
    day = on_date or today()
    reason = required_text(reason, _("Reason"), 200)
    current = current_links().select_for_update().filter(household=household).first()
    if current is None:
        raise Conflict(_("This household has no current representative."), code="link_missing")
    if day < current.valid_from:
        raise InvalidInput(
            _("The change date is before the current link started."), code="link_dates"
        )
    breaks, _n = _range_breaks(current.representative, -1)
    current.valid_to = day
    current.out_of_range = current.out_of_range or breaks
    current.save(update_fields=["valid_to", "out_of_range"])
    hooks.send("links_changed", representative_ids=[current.representative_id], since=day)
    audit_record(
        actor=actor,
        action=AuditAction.LINK_END,
        target=current,
        detail={
            "household": household.pk,
            "on": str(day),
            "reason": reason,
            "out_of_range": breaks,
        },
    )
    return current


# --- guard teams -------------------------------------------------------------------


@transaction.atomic
def team_create(
    *, actor: User, unit: Unit, name: str, representatives: Iterable[Representative] = ()
) -> GuardTeam:
    _require(actor, ORG_WRITE_ROLES, unit)
    team = GuardTeam.objects.create(unit=unit, name=required_text(name, _("Name"), 100))
    reps = list(representatives)
    for rep in reps:
        if not rep.unit.path.startswith(unit.path):
            raise InvalidInput(
                _("%(name)s serves outside this unit.") % {"name": rep.name}, code="team_rep_unit"
            )
    team.representatives.set(reps)
    audit_record(
        actor=actor,
        action=AuditAction.TEAM_CREATE,
        target=team,
        detail={"unit": unit.pk, "representatives": [r.pk for r in reps]},
    )
    return team


@transaction.atomic
def team_member_add(
    *, actor: User, team: GuardTeam, kind: str, name: str, phone: str = ""
) -> GuardTeamMember:
    _require(actor, ORG_WRITE_ROLES, team.unit)
    if kind not in MemberKind.values:
        raise InvalidInput(_("Unknown guard team member kind."), code="team_member_kind")
    member = GuardTeamMember.objects.create(
        team=team,
        kind=kind,
        name=required_text(name, _("Name"), 50),
        phone=normalize_mobile(phone) if phone and phone.strip() else "",
    )
    audit_record(
        actor=actor, action=AuditAction.TEAM_MEMBER_ADD, target=member, detail={"team": team.pk}
    )
    return member


# --- departments -----------------------------------------------------------------


def _require_department_admin(actor: User) -> None:
    """Departments serve the whole city: a superuser or an administrator manages them."""
    if not scope_for(actor).has_role(Role.ADMIN):
        raise Forbidden(_("Only an administrator may manage departments."), code="department_admin")


@transaction.atomic
def department_create(*, actor: User, name: str) -> Department:
    """Add a functional department (职能部门) that appeals can be referred to."""
    _require_department_admin(actor)
    name = required_text(name, _("Name"), 100)
    if Department.objects.filter(name=name).exists():
        raise Conflict(
            _("A department named %(name)s already exists.") % {"name": name},
            code="department_exists",
        )
    department = Department.objects.create(name=name)
    audit_record(
        actor=actor, action=AuditAction.DEPARTMENT_CREATE, target=department, detail={"name": name}
    )
    return department


@transaction.atomic
def department_update(
    *, actor: User, department: Department, name: str | None = None, active: bool | None = None
) -> Department:
    """Rename a department or take it out of use; its handlers and appeals keep it
    (they point at the row, not the name)."""
    _require_department_admin(actor)
    department = Department.objects.select_for_update().get(pk=department.pk)
    before = {"name": department.name, "active": department.active}
    if name is not None:
        name = required_text(name, _("Name"), 100)
        if Department.objects.filter(name=name).exclude(pk=department.pk).exists():
            raise Conflict(
                _("A department named %(name)s already exists.") % {"name": name},
                code="department_exists",
            )
        department.name = name
    if active is not None:
        department.active = bool(active)
    after = {"name": department.name, "active": department.active}
    if after != before:
        department.save(update_fields=["name", "active"])
        audit_record(
            actor=actor,
            action=AuditAction.DEPARTMENT_UPDATE,
            target=department,
            detail={"before": before, "after": after},
        )
    return department
