"""A call's record as the API gives it, for a call made through the real WebSocket: its
parties, times, outcome, notes, legs, whole timeline, chat and quality."""

from __future__ import annotations

import pytest

from supportcall.calls.models import Call, CallEvent, Disposition
from supportcall.directory.models import Agent, Queue
from supportcall.vocabulary import ErrorCode
from tests.calls.test_chat_files import PNG, send
from tests.support.calls import answer, ring
from tests.support.ws import sync

CLEAN = {"rtt_ms": 20, "jitter_ms": 2, "loss_pct": 0, "codec": "opus", "candidate_type": "host"}


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def wrap_up(directory):
    Queue.objects.filter(name="support").update(wrap_up_seconds=10)
    support = Queue.objects.get(name="support")
    return Disposition.objects.create(label="Refund", queue=support).pk


async def test_the_detail_holds_the_whole_call_as_it_happened(
    parties, api, wrap_up, settings, tmp_path
):
    settings.SUPPORTCALL_QUALITY_MIN_INTERVAL = 0.001
    settings.MEDIA_ROOT = str(tmp_path / "media")
    visitor = await parties("visitor", display_name="Ada", context={"page": "/cart"})
    alice = await parties("alice")
    call_id = await ring(visitor, alice)
    await answer(visitor, alice, call_id)
    await visitor.ok("chat.send", call_id=call_id, text="<b>My order</b> is 1042")
    await alice.ok("chat.send", call_id=call_id, text="Looking at it")
    sent = await send(visitor, call_id, "broken.png", PNG)
    assert sent.status_code == 201, sent.content
    await visitor.ok("call.quality", call_id=call_id, **CLEAN)
    await alice.ok("call.quality", call_id=call_id, **{**CLEAN, "candidate_type": "relay"})
    await visitor.ok("call.end", call_id=call_id)
    await alice.until("agent.wrap_up", call_id=call_id)
    await alice.ok("wrapup.save", call_id=call_id, disposition=wrap_up, notes="Refund sent")
    await visitor.ok("call.rate", call_id=call_id, stars=4, comment="Quick, thanks")

    record = await sync(api.get)(f"calls/{call_id}")
    row = await sync(lambda: Call.objects.select_related("agent__user").get(pk=call_id))()
    events = await sync(lambda: list(CallEvent.objects.filter(call_id=call_id)))()
    alice_row = await sync(
        lambda: Agent.objects.select_related("user").get(user__username="alice")
    )()

    assert record["caller"] == {
        "identity": row.caller_identity,
        "display_name": "Ada",
        "context": {"page": "/cart"},
        "verified": None,
    }
    assert record["agent"] == {"address": alice_row.address, "name": alice_row.name}
    assert (record["status"], record["outcome"], record["ended_by"]) == (
        "ended",
        "ended_by_local",
        "caller",
    )
    assert (record["created"], record["answered"], record["ended"]) == (
        iso(row.created),
        iso(row.answered),
        iso(row.ended),
    )
    assert (record["disposition"], record["notes"]) == ("Refund", "Refund sent")
    assert record["talk_seconds"] == round((row.ended - row.answered).total_seconds(), 3)
    assert [(leg["agent"], leg["status"]) for leg in record["legs"]] == [
        (alice_row.address, "answered")
    ]
    assert [e["name"] for e in record["timeline"]] == [e.name for e in events]
    assert [e["name"] for e in record["timeline"]][:3] == ["create", "ring", "accept"]
    assert "wrap_up" in [e["name"] for e in record["timeline"]]
    assert [(e["actor"], e["phase_before"], e["phase_after"]) for e in record["timeline"]] == [
        (e.actor, e.phase_before, e.phase_after) for e in events
    ]
    assert [(m["seq"], m["sender"], m["display_name"], m["text"]) for m in record["chat"]][:2] == [
        (1, "caller", "Ada", "<b>My order</b> is 1042"),
        (2, "agent", alice_row.name, "Looking at it"),
    ]
    files = [
        (f["seq"], f["sender"], f["name"], f["size"], f["content_type"]) for f in record["files"]
    ]
    assert files == [(3, "caller", "broken.png", len(PNG), "image/png")]
    assert record["rating"] == {
        "stars": 4,
        "comment": "Quick, thanks",
        "rated": iso(await sync(lambda: Call.objects.get(pk=call_id).rated_at)()),
    }
    quality = record["quality"]
    assert set(quality["summary"]) == {"caller", "agent"}
    assert quality["summary"]["caller"]["reports"] == 1
    assert quality["summary"]["caller"]["path"] == "direct"
    assert quality["summary"]["agent"]["path"] == "relay"
    assert [(s["party"], s["codec"], s["candidate"]) for s in quality["samples"]] == [
        ("caller", "opus", "host"),
        ("agent", "opus", "relay"),
    ]


async def test_a_call_without_answer_has_no_agent_times_or_quality(parties, api):
    visitor = await parties("visitor")
    alice = await parties("alice")
    call_id = await ring(visitor, alice)
    await visitor.ok("call.end", call_id=call_id)
    await alice.event("call.state", call_id=call_id, state="ended")
    record = await sync(api.get)(f"calls/{call_id}")
    assert (record["agent"], record["answered"], record["talk_seconds"]) == (None, None, None)
    assert record["outcome"] == "ended_by_local"
    assert record["chat"] == [] and record["quality"] == {"summary": {}, "samples": []}
    assert (record["files"], record["rating"]) == ([], None)
    assert [(leg["status"], leg["reason"]) for leg in record["legs"]] == [("ended", "cancelled")]


def test_a_call_id_that_is_not_a_uuid_is_a_json_404(api):
    assert api.get("calls/not-a-uuid", 404) == {
        "error": ErrorCode.NOT_FOUND,
        "message": "No such record.",
    }
