"""`{{ fen|yuan }}`: integer fen shown as yuan with two decimals."""

from django import template

from linli.funds.models import yuan as _yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return _yuan(fen)
