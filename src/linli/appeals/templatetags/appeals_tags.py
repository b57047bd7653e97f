from django import template
from django.utils.translation import gettext as _

from linli.appeals.workflow import ACTION_LABELS

register = template.Library()

_BY_KEYWORD = {"resident": "Resident", "system": "System"}


@register.filter
def event_label(event) -> str:
    label = next((v for k, v in ACTION_LABELS.items() if str(k) == event.action), None)
    return str(label) if label else event.action


@register.filter
def event_by(event) -> str:
    if event.actor_label:
        return event.actor_label
    by = (event.data or {}).get("by", "system")
    return _("Resident") if by == "resident" else _("System")
