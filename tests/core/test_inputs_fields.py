"""Form widgets of the input layer (`linli.core.inputs`)."""

from __future__ import annotations


def test_a_day_field_renders_its_date_as_iso_in_chinese_so_the_date_picker_shows_it():
    """`type="date"` shows nothing for the localised "2026/12/15"; the edit pages of
    org, activities, charter and deliberation lost their dates that way."""
    import datetime as dt

    from django import forms
    from django.utils import translation

    from linli.core.inputs import DayField

    class F(forms.Form):
        day = DayField(label="日期")

    with translation.override("zh-hans"):
        html = str(F(initial={"day": dt.date(2026, 12, 15)})["day"])
    assert 'type="date"' in html and 'value="2026-12-15"' in html
