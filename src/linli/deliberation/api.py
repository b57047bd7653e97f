"""The deliberation API under /api/v1/deliberation/ (catalogue, voting rules, items and
their steps, appeal groups, undeliberated decisions, comments) and the public notice
board under /api/v1/public/deliberation/ (no account).

Thin: every id is fetched through a scoped selector (404 for "not yours"), every write
goes through a service (403 not allowed, 409 `wrong_stage`/`stale`, 400 `vote_total`...).
"""

from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from linli.activities.models import Activity
from linli.core import ratelimit
from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.apiparams import JsonOrMultipart
from linli.core.errors import InvalidInput, NotFound
from linli.core.idempotency import idempotent
from linli.core.inputs import Id

from . import selectors, services
from .models import Matter
from .schemas import (
    AppealGroupOut,
    AppealGroupQuery,
    CommentIn,
    CommentOut,
    DecideIn,
    DeliberationItemDetailOut,
    DeliberationItemFilters,
    DeliberationItemIn,
    DeliberationItemOut,
    DiscussIn,
    HideIn,
    ItemNoteIn,
    MatterIn,
    MatterOut,
    MatterQuery,
    ProgressIn,
    PublicItemDetailOut,
    PublicItemOut,
    PublishIn,
    ScheduleIn,
    SkippedIn,
    SkippedOut,
    VoteIn,
    VotingRuleIn,
    VotingRuleOut,
    WithdrawItemIn,
)

router = Router(tags=["deliberation"])
public = Router(tags=["public"], auth=None)


def _rule_out(village) -> dict:
    rule = selectors.voting_rule_for(village)
    return {
        "unit_id": village.pk,
        "quorum_num": rule.quorum_num,
        "quorum_den": rule.quorum_den,
        "majority_num": rule.majority_num,
        "majority_den": rule.majority_den,
        "serving": selectors.serving_count(village),
        "default": rule.pk is None,
    }


def _json_too(schema: type) -> dict:
    ref = {"$ref": f"#/components/schemas/{schema.__name__}"}
    return {"requestBody": {"content": {"application/json": {"schema": ref}}}}


# --- the catalogue -----------------------------------------------------------------------------


@router.get(
    "/deliberation/matters",
    response={200: list[MatterOut], **errors(400, 401, 404)},
    summary="The catalogue of matters that must pass deliberation",
    description="The entries that apply at `unit` (its own and those of the units above "
    "it); without `unit`, at the top unit of your scope.",
)
def matter_list(request, query: Query[MatterQuery]):
    unit = (
        selectors.unit_get(request.user, query.unit)
        if query.unit is not None
        else selectors.default_unit(request.user)
    )
    if unit is None:
        return []
    return list(selectors.matters_for(unit, active_only=not query.all))


@router.post(
    "/deliberation/matters",
    response={201: MatterOut, **WRITE_ERRORS},
    summary="Add a catalogue entry",
    description="A town's entries apply to every village below it. 409 `matter_code_taken`.",
)
def matter_create(request, payload: MatterIn):
    unit = selectors.unit_get(request.user, payload.unit_id)
    matter = services.matter_create(
        actor=request.user,
        unit=unit,
        code=payload.code,
        title=payload.title,
        description=payload.description,
    )
    return Status(201, matter)


@router.post(
    "/deliberation/matters/{matter_id}/retire",
    response={200: MatterOut, **WRITE_ERRORS},
    summary="Retire a catalogue entry",
    description="Only by the unit that defined it: a village cannot remove what it inherits.",
)
def matter_retire(request, matter_id: Id):
    matter: Matter = selectors.matter_get(request.user, matter_id)
    return services.matter_retire(actor=request.user, matter=matter)


# --- voting rules ------------------------------------------------------------------------------


@router.get(
    "/deliberation/rules/{unit_id}",
    response={200: VotingRuleOut, **errors(400, 401, 404)},
    summary="A village's voting rule",
)
def rule_get(request, unit_id: Id):
    return _rule_out(selectors.village_get(request.user, unit_id))


@router.put(
    "/deliberation/rules/{unit_id}",
    response={200: VotingRuleOut, **WRITE_ERRORS},
    summary="Set a village's voting rule",
    description="Quorum: `quorum_num/quorum_den` of the serving representatives present; "
    "adopted: more than `majority_num/majority_den` of those present for. Audited.",
)
def rule_put(request, unit_id: Id, payload: VotingRuleIn):
    village = selectors.village_get(request.user, unit_id)
    services.rule_set(
        actor=request.user,
        unit=village,
        quorum_num=payload.quorum_num,
        quorum_den=payload.quorum_den,
        majority_num=payload.majority_num,
        majority_den=payload.majority_den,
    )
    return _rule_out(village)


# --- items -------------------------------------------------------------------------------------


@router.get(
    "/deliberation/items",
    response={200: list[DeliberationItemOut], **errors(400, 401, 404)},
    summary="The deliberation list",
)
@paginate(Paged)
def item_list(request, filters: Query[DeliberationItemFilters]):
    unit = selectors.unit_get(request.user, filters.unit) if filters.unit is not None else None
    return selectors.items_filtered(request.user, stage=filters.stage or "", unit=unit, q=filters.q)


@router.post(
    "/deliberation/items",
    response={201: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Propose an item",
    description="By a representative serving in the village or a cadre over it; from a "
    "group of the village's appeals (`appeal_ids`: each appeal's timeline shows the item, "
    "its reporter is sent the decision) or from an activity (`activity_id`).",
)
@idempotent("deliberation.item")
def item_create(request, payload: DeliberationItemIn):
    village = selectors.village_get(request.user, payload.unit_id)
    matter = (
        selectors.matter_get(request.user, payload.matter_id, village)
        if payload.matter_id is not None
        else None
    )
    appeals = (
        selectors.appeals_for_group(request.user, village, list(payload.appeal_ids))
        if payload.appeal_ids
        else []
    )
    activity = None
    if payload.activity_id is not None:
        activity = (
            Activity.objects.filter(pk=payload.activity_id, unit__path__startswith=village.path)
            .select_related("unit")
            .first()
        )
        if activity is None:
            raise NotFound(_("Activity not found."))
    item = services.item_propose(
        actor=request.user,
        unit=village,
        title=payload.title,
        description=payload.description,
        matter=matter,
        appeals=appeals,
        activity=activity,
    )
    return Status(201, item)


@router.get(
    "/deliberation/items/{item_id}",
    response={200: DeliberationItemDetailOut, **errors(400, 401, 404)},
    summary="One item, with its history, votes and appeals",
)
def item_detail(request, item_id: Id):
    return selectors.item_get(request.user, item_id)


def _item(request, item_id: int):
    return selectors.item_get(request.user, item_id)


@router.post(
    "/deliberation/items/{item_id}/schedule",
    response={200: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Put an item on a meeting's agenda",
    description="A deliberation meeting of the village; after a failed quorum, a later one "
    "(400 `needs_later_meeting`).",
)
def item_schedule(request, item_id: Id, payload: ScheduleIn):
    item = _item(request, item_id)
    meeting = selectors.meeting_get(item.unit, payload.meeting_id)
    return services.item_schedule(
        actor=request.user, item=item, meeting=meeting, note=payload.note, version=payload.version
    )


@router.post(
    "/deliberation/items/{item_id}/discuss",
    response={200: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Record the discussion",
)
def item_discuss(request, item_id: Id, payload: DiscussIn):
    return services.item_discuss(
        actor=request.user, item=_item(request, item_id), note=payload.note, version=payload.version
    )


@router.post(
    "/deliberation/items/{item_id}/vote",
    response={200: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Record the vote",
    description="for + against + abstain ≤ present ≤ serving representatives (400 "
    "`vote_total`, `vote_present`). Without a quorum the vote is kept and the item stays "
    "on the agenda, for a later meeting.",
)
def item_vote(request, item_id: Id, payload: VoteIn):
    return services.item_vote(
        actor=request.user,
        item=_item(request, item_id),
        present=payload.present,
        votes_for=payload.votes_for,
        votes_against=payload.votes_against,
        votes_abstain=payload.votes_abstain,
        note=payload.note,
        version=payload.version,
    )


@router.post(
    "/deliberation/items/{item_id}/decide",
    response={200: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Record the decision",
    description="Decided or rejected as the vote went; the residents of its appeals are told.",
)
def item_decide(request, item_id: Id, payload: DecideIn):
    return services.item_decide(
        actor=request.user,
        item=_item(request, item_id),
        decision=payload.decision,
        version=payload.version,
    )


@router.post(
    "/deliberation/items/{item_id}/progress",
    response={200: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Add a progress update",
    description="With photos (`photos`, checked by content). Send JSON, or multipart/form-data "
    "with the same JSON in the `payload` field and the files beside it.",
    openapi_extra=_json_too(ProgressIn),
)
def item_progress(
    request,
    item_id: Id,
    payload: JsonOrMultipart[ProgressIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # ninja's idiom
):
    return services.item_progress(
        actor=request.user,
        item=_item(request, item_id),
        note=payload.note,
        photos=photos or (),
        version=payload.version,
    )


@router.post(
    "/deliberation/items/{item_id}/complete",
    response={200: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Mark an item as carried out",
)
def item_complete(request, item_id: Id, payload: ItemNoteIn):
    return services.item_complete(
        actor=request.user, item=_item(request, item_id), note=payload.note, version=payload.version
    )


@router.post(
    "/deliberation/items/{item_id}/publish",
    response={200: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Put an item on the public notice board (公示)",
)
def item_publish(request, item_id: Id, payload: PublishIn):
    return services.item_publish(
        actor=request.user,
        item=_item(request, item_id),
        notice_days=payload.notice_days,
        version=payload.version,
    )


@router.post(
    "/deliberation/items/{item_id}/withdraw",
    response={200: DeliberationItemDetailOut, **WRITE_ERRORS},
    summary="Withdraw an item before its vote",
)
def item_withdraw(request, item_id: Id, payload: WithdrawItemIn):
    return services.item_withdraw(
        actor=request.user, item=_item(request, item_id), note=payload.note, version=payload.version
    )


# --- appeal groups, undeliberated decisions, comments ----------------------------------------------


@router.get(
    "/deliberation/appeal-groups",
    response={200: list[AppealGroupOut], **errors(400, 401, 404)},
    summary="A village's appeals grouped by category and place",
    description="Open appeals and those filed in the last `days` days; groups of 2+ first.",
)
def appeal_groups(request, query: Query[AppealGroupQuery]):
    village = selectors.village_get(request.user, query.unit)
    return selectors.appeal_groups(request.user, village, days=query.days)


@router.get(
    "/deliberation/skipped",
    response={200: list[SkippedOut], **errors(400, 401)},
    summary="Undeliberated decisions",
)
@paginate(Paged)
def skipped_list(request):
    return selectors.skipped_visible_to(request.user)


@router.post(
    "/deliberation/skipped",
    response={201: SkippedOut, **WRITE_ERRORS},
    summary="Record an undeliberated decision",
    description="A town cadre or above records that a village decided a catalogue matter "
    "without passing deliberation.",
)
def skipped_create(request, payload: SkippedIn):
    village = selectors.village_get(request.user, payload.unit_id)
    matter = selectors.matter_get(request.user, payload.matter_id, village)
    row = services.skipped_record(
        actor=request.user,
        unit=village,
        matter=matter,
        decided=payload.decided,
        decided_on=payload.decided_on,
        evidence=payload.evidence,
    )
    return Status(201, row)


@router.post(
    "/deliberation/comments/{comment_id}/hide",
    response={200: CommentOut, **WRITE_ERRORS},
    summary="Hide a resident's comment",
    description="By a cadre over the item's village, with a reason; audited.",
)
def comment_hide(request, comment_id: Id, payload: HideIn):
    comment = selectors.comment_get(request.user, comment_id)
    return services.comment_hide(actor=request.user, comment=comment, reason=payload.reason)


# --- the public notice board (no account) -----------------------------------------------------------


@public.get(
    "/deliberation/boards/{unit_id}",
    response={200: list[PublicItemOut], **errors(400, 404)},
    summary="The public notice board of a town or village",
    description="Items of the unit and below on public notice now or in the last 30 days.",
)
@paginate(Paged)
def public_board(request, unit_id: Id):
    return selectors.public_board(selectors.public_unit_get(unit_id))


@public.get(
    "/deliberation/items/{item_id}",
    response={200: PublicItemDetailOut, **errors(400, 404)},
    summary="One item on public notice, with its progress and comments",
)
def public_item(request, item_id: Id):
    return selectors.public_item_get(item_id)


@public.post(
    "/deliberation/items/{item_id}/comments",
    response={201: CommentOut, **errors(400, 404, 429)},
    summary="Comment on an item on public notice",
    description="A name and a text; limited per client address (429 with `Retry-After`).",
)
def public_comment(request, item_id: Id, payload: CommentIn):
    item = selectors.public_item_get(item_id)
    if not payload.name.strip() or not payload.text.strip():
        raise InvalidInput(_("Give your name and your comment."), code="required")
    comment = services.comment_add(
        item=item, name=payload.name, text=payload.text, client=ratelimit.client_key(request)
    )
    return Status(201, comment)


__all__ = ["router", "public"]
