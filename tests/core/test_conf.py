"""settings.LINLI holds what its type (core.conf.LinliSettings) says it holds."""

from typing import get_origin, get_type_hints

from django.conf import settings

from linli.core.conf import LinliSettings


def test_linli_settings_match_their_type():
    hints = get_type_hints(LinliSettings)
    assert set(settings.LINLI) == set(hints)
    for key, kind in hints.items():
        assert isinstance(settings.LINLI[key], get_origin(kind) or kind), key


def test_every_throttle_is_attempts_and_seconds():
    for scope, rule in settings.LINLI["THROTTLES"].items():
        limit, window = rule
        assert isinstance(limit, int) and isinstance(window, int) and window > 0, scope
