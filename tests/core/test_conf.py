"""settings.LINLI holds what its type (core.conf.LinliSettings) says it holds."""

from typing import get_type_hints

from django.conf import settings

from linli.core.conf import LinliSettings


def test_linli_settings_match_their_type():
    hints = get_type_hints(LinliSettings)
    assert set(settings.LINLI) == set(hints)
    for key, kind in hints.items():
        assert isinstance(settings.LINLI[key], kind), key
