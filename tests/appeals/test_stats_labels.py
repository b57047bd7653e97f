"""The numbers page in Chinese: every figure sits under the label of what it counts.

The count of filed appeals was labelled 受理时间 (the msgid "Filed" is the filing
*date* column elsewhere). The appeals here are set up so that every figure has
a value of its own, so a label moved to another figure shows as a mismatch.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.appeals.models import Appeal, AppealEvent, Level, Status

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)

# (status, claimed in time, resolved after hours, level, on time, rating)
SETUP = [
    (Status.CLOSED, True, 5, Level.GROUP, True, 5),
    (Status.CLOSED, True, 6, Level.GROUP, True, 1),
    (Status.CLOSED, False, 7, Level.VILLAGE, True, 2),
    (Status.RESOLVED, False, 9, Level.GROUP, True, None),
    (Status.RESOLVED, False, 10.5, Level.TOWN, False, None),
    (Status.IN_PROGRESS, False, None, None, None, None),  # overdue
    (Status.PENDING, False, None, None, None, None),
    (Status.PENDING, False, None, None, None, None),
    # Not counted as filed; claimed (late) before it was withdrawn, so it counts
    # against the response rate.
    (Status.WITHDRAWN, False, None, None, None, None),
]


def _stat_blocks(html: str) -> dict[str, str]:
    return {
        label.strip(): re.sub(r"<[^>]+>", "", value).strip()
        for value, label in re.findall(
            r'<div class="stat[^"]*"><b>(.*?)</b><span>(.*?)</span></div>', html, re.S
        )
    }


def test_stats_page_labels_each_figure_with_what_it_counts(client, actors, file_appeal):
    now = timezone.now()
    for status, claimed_in_time, hours, level, on_time, rating in SETUP:
        a = file_appeal()
        created = now - 12 * H
        fields = {
            "status": status,
            "created_at": created,
            "first_claim_due_at": created + 2 * H,
            "first_claimed_at": created + (H if claimed_in_time else 3 * H),
            "due_at": now - H if status == Status.IN_PROGRESS else now + 48 * H,
        }
        if hours is not None:
            fields.update(
                resolved_at=created + hours * H,
                resolved_level=level,
                reached_level=level,
                resolved_on_time=on_time,
                rating=rating,
            )
        Appeal.objects.filter(pk=a.pk).update(**fields)
        if rating is not None:
            # The rates count rating events, as the rate action records them.
            AppealEvent.objects.create(
                appeal=a,
                action="rate",
                level=level,
                unit=a.unit,
                to_status=status,
                at=created + (hours + 1) * H,
                data={"rating": rating},
            )

    client.force_login(actors.city)
    # The period named: the page's default (this month, local time) would leave out
    # appeals filed 12 hours ago in the first hours of a month.
    r = client.get(
        reverse("appeals:stats"),
        {
            "unit": actors.county.city.pk,
            "start": timezone.localdate(now - 24 * H).isoformat(),
            "end": timezone.localdate(now).isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "受理时间" not in html

    figures = _stat_blocks(html)
    # 8 filed (the withdrawn one is not); the response rate also counts the withdrawn
    # one, claimed (late) before it was withdrawn: 2 of 9 claimed in time; 5 resolved, 4 of them
    # in time; 3 rated (one rating event each), 1 satisfied; (5 + 6 + 7 + 9 + 10.5) / 5 hours; 1 overdue.
    assert figures["受理诉求数"] == "8"
    assert figures["响应率"] == "22.2%"
    assert figures["办结率"] == "62.5%"
    assert figures["按时办结率"] == "80.0%"
    assert figures["首次满意率"] == "33.3%"
    assert figures["最终满意率"] == "33.3%"
    assert figures["平均办结时长（小时）"] == "7.5"
    assert figures["当前超期数"] == "1"
    # Where the 5 resolved ones were resolved.
    assert "已办结诉求按到达的最高层级占比" in html
    assert figures["邻里（代表/组）"] == "60.0%"
    assert figures["村"] == "20.0%"
    assert figures["乡镇"] == "20.0%"
    assert figures["市"] == "0.0%"

    # The per-town table: the town A row under the right headers.
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", html, re.S).group(1)
    headers = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", head)]
    assert headers == [
        "单位",
        "受理诉求数",
        "未办结数",
        "当前超期数",
        "响应率",
        "按时办结率",
        "办结率",
        "首次满意率",
        "最终满意率",
    ]
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    row = re.search(r"<tr>(.*?)</tr>", body, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert dict(zip(headers, cells, strict=True)) == {
        "单位": actors.county.town_a.name,
        "受理诉求数": "8",
        "未办结数": "3",
        "当前超期数": "1",
        "响应率": "22.2%",
        "按时办结率": "80.0%",
        "办结率": "62.5%",
        "首次满意率": "33.3%",
        "最终满意率": "33.3%",
    }
