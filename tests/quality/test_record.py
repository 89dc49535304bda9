"""A call's quality on its record: the summary per party and the chart, in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from supportcall.calls.supervision import snapshot
from supportcall.dashboard.history import recent_calls
from supportcall.directory.models import Agent
from supportcall.quality.models import Sample
from supportcall.quality.summary import chart, summarize
from tests.test_admin import an_answered_call

pytestmark = pytest.mark.usefixtures("directory")


def reports(call, party, *rows):
    """``rows``: (seconds into the call, loss %, rtt ms, mos, candidate) each."""
    start = timezone.now()
    for seconds, loss, rtt, mos, candidate in rows:
        Sample.objects.create(
            call=call,
            party=party,
            at=start + timedelta(seconds=seconds),
            loss_pct=loss,
            rtt_ms=rtt,
            mos=mos,
            candidate=candidate,
        )


def test_the_summary_gives_each_partys_average_and_worst_and_its_path():
    call = an_answered_call()
    reports(call, "caller", (0, 0, 40, 4.4, "host"), (5, 10, 60, 3.0, "host"))
    reports(call, "agent", (1, 0, 300, 4.0, "relay"))
    assert summarize(call.pk) == {
        "caller": {
            "reports": 2,
            "mos_avg": 3.7,
            "mos_min": 3.0,
            "loss_avg": 5.0,
            "loss_max": 10.0,
            "rtt_avg": 50.0,
            "rtt_max": 60.0,
            "path": "direct",
        },
        "agent": {
            "reports": 1,
            "mos_avg": 4.0,
            "mos_min": 4.0,
            "loss_avg": 0.0,
            "loss_max": 0.0,
            "rtt_avg": 300.0,
            "rtt_max": 300.0,
            "path": "relay",
        },
    }


def test_the_chart_draws_each_partys_mos_across_the_call():
    call = an_answered_call()
    assert chart(call.pk) is None
    reports(call, "caller", (0, 0, 40, 4.5, "host"), (60, 10, 60, 1.0, "host"))
    reports(call, "agent", (30, 0, 40, 3.5, "host"))
    drawn = chart(call.pk)
    assert drawn["minutes"] == 1.0
    lines = {line["party"]: line["points"] for line in drawn["lines"]}
    # From the left edge at 4.5 (the top) to the right edge at 1 (the baseline).
    assert lines["caller"] == f"28.0,0.0 480.0,{drawn['baseline']}.0"
    assert lines["agent"] == f"254.0,{drawn['threshold_y']}"


def test_the_admins_call_record_shows_the_quality_and_its_chart(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    call = an_answered_call()
    url = reverse("admin:calls_call_change", args=[call.pk])
    assert "No quality reports" in client.get(url).content.decode()
    reports(call, "caller", (0, 0, 40, 4.4, "host"), (5, 2, 60, 4.1, "relay"))
    page = client.get(url).content.decode()
    assert 'data-testid="quality-summary"' in page
    assert "<td>4.25</td><td>4.10</td><td>1%</td><td>2%</td>" in page
    assert "through the relay" in page
    assert 'data-testid="quality-chart"' in page and "<polyline" in page


def test_the_supervisor_sees_each_calls_latest_quality_live():
    call = an_answered_call(hang_up=False)
    alice = next(a for a in snapshot()["agents"] if a["address"].startswith("alice@"))
    assert alice["call"]["quality"] == {}
    reports(call, "caller", (0, 0, 40, 4.4, "host"), (5, 12, 60, 3.1, "host"))
    reports(call, "agent", (1, 0, 40, 4.3, "relay"))
    Sample.objects.filter(call=call, mos=3.1).update(warnings=["low_mos"])
    alice = next(a for a in snapshot()["agents"] if a["address"].startswith("alice@"))
    assert alice["call"]["quality"] == {
        "caller": {"mos": 3.1, "warnings": ["low_mos"], "candidate_type": "host"},
        "agent": {"mos": 4.3, "warnings": [], "candidate_type": "relay"},
    }


def test_the_agents_recent_calls_carry_each_calls_quality():
    call = an_answered_call()
    reports(call, "caller", (0, 0, 40, 4.4, "host"))
    rows = recent_calls(Agent.objects.get(user__username="alice"))
    assert [(r["id"], r["quality"]["caller"]["mos_avg"]) for r in rows] == [(str(call.pk), 4.4)]
    assert set(rows[0]["quality"]) == {"caller"}
