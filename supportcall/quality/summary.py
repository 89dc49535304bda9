"""A call's quality on its record: each party's summary, and the series as a chart.

``summarize`` is what the admin's call record and the agent's recent calls
show; ``chart`` is the geometry of templates/quality/chart.svg (pure numbers,
so the template only draws them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, JSONField, Max, Min, OuterRef, Q, Subquery

from supportcall.calls.models import Call

from .models import Sample

PARTIES = ("caller", "agent")
WIDTH, HEIGHT = 480, 140  # the drawing area, in SVG units
LEFT, BOTTOM = 28, 18  # room for the MOS scale and the minutes
MOS_LOW, MOS_HIGH = 1.0, 4.5


def summarize(call_id: Any) -> dict[str, dict[str, Any]]:
    """Per party that reported: how many reports, the average and worst MOS, the average
    and worst loss and round trip, and whether the media went through the relay."""
    return summaries([call_id]).get(str(call_id), {})


def summaries(call_ids: list[Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """``summarize`` of each of ``call_ids`` (by its id as text), in one query."""
    rows = (
        Sample.objects.filter(call_id__in=call_ids)
        .values("call_id", "party")
        .annotate(
            reports=Count("pk"),
            mos_avg=Avg("mos"),
            mos_min=Min("mos"),
            loss_avg=Avg("loss_pct"),
            loss_max=Max("loss_pct"),
            rtt_avg=Avg("rtt_ms"),
            rtt_max=Max("rtt_ms"),
            relayed=Count("pk", filter=Q(candidate="relay")),
        )
    )
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        figures = {k: v for k, v in row.items() if k not in ("call_id", "party", "relayed")}
        found.setdefault(str(row["call_id"]), {})[row["party"]] = {
            **{k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()},
            "path": "relay" if row["relayed"] else "direct",
        }
    return found


def latest(call_ids: list[Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each call's latest report per party (``mos``, ``warnings``, ``candidate_type``): what
    the supervisor's live view shows. One query, each party's newest through its index."""
    columns: dict[str, Subquery] = {}
    for party in PARTIES:
        newest = Sample.objects.filter(call=OuterRef("pk"), party=party).order_by("-at")
        columns[f"{party}_mos"] = Subquery(newest.values("mos")[:1])
        columns[f"{party}_warnings"] = Subquery(
            newest.values("warnings")[:1], output_field=JSONField()
        )
        columns[f"{party}_candidate"] = Subquery(newest.values("candidate")[:1])
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for row in Call.objects.filter(pk__in=call_ids).annotate(**columns).values("pk", *columns):
        found[str(row["pk"])] = {
            party: {
                "mos": row[f"{party}_mos"],
                "warnings": row[f"{party}_warnings"] or [],
                "candidate_type": row[f"{party}_candidate"] or None,
            }
            for party in PARTIES
            if row[f"{party}_mos"] is not None
        }
    return found


def chart(call_id: Any) -> dict[str, Any] | None:
    """Each party's MOS over the call as a polyline, or None without reports."""
    samples = list(
        Sample.objects.filter(call_id=call_id).order_by("at").values_list("party", "at", "mos")
    )
    if not samples:
        return None
    start, end = samples[0][1], samples[-1][1]
    span = max((end - start).total_seconds(), 1.0)
    area = HEIGHT - BOTTOM

    def y(mos: float) -> float:
        return round(area - area * (mos - MOS_LOW) / (MOS_HIGH - MOS_LOW), 1)

    lines = []
    for party in PARTIES:
        points = [
            (round(LEFT + (WIDTH - LEFT) * (at - start).total_seconds() / span, 1), y(mos))
            for who, at, mos in samples
            if who == party
        ]
        if points:
            lines.append({"party": party, "points": " ".join(f"{x},{y_}" for x, y_ in points)})
    return {
        "lines": lines,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "baseline": area,
        "threshold_y": y(3.5),
        "top_label_y": y(MOS_HIGH) + 8,
        "minutes": round(span / 60, 1),
        "label_y": HEIGHT - 4,
    }
