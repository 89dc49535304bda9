"""The geometry of the team's bar chart (templates/agent/figures_chart.svg): pure numbers,
so the template only draws what is computed here."""

from __future__ import annotations

from typing import Any

WIDTH, HEIGHT = 480, 160  # the chart's drawing area, in SVG units
LEFT, BOTTOM = 28, 20  # room for the scale on the left and the hours below
SLOT = (WIDTH - LEFT) / 24  # one hour of the day


def bars(by_hour: list[dict[str, Any]]) -> dict[str, Any]:
    """Per hour: a bar for the calls offered and, inside it, one for those answered."""
    top = max((hour["offered"] for hour in by_hour), default=0)
    scale = max(top, 1)
    area = HEIGHT - BOTTOM
    drawn = []
    for hour in by_hour:
        offered = area * hour["offered"] / scale
        answered = area * hour["answered"] / scale
        x = LEFT + hour["hour"] * SLOT
        drawn.append(
            {
                "hour": hour["hour"],
                "x": round(x + 2, 1),
                "width": round(SLOT - 4, 1),
                "offered": hour["offered"],
                "answered": hour["answered"],
                "offered_y": round(area - offered, 1),
                "offered_h": round(offered, 1),
                "answered_y": round(area - answered, 1),
                "answered_h": round(answered, 1),
                "label": hour["hour"] % 3 == 0,
                "label_x": round(x + SLOT / 2, 1),
            }
        )
    return {
        "bars": drawn,
        "top": top,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "baseline": area,
        "label_y": HEIGHT - 6,
    }
