"""Coming back: a dropped connection resumes its calls with its resume token, within the grace."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from supportcall.calls import connections, liveness, sweeper
from supportcall.calls.change import Delivery
from supportcall.calls.delivery import deliver
from supportcall.calls.models import Call, CallEvent, Connection, ServerProcess
from tests.support.calls import in_call, reoffer, ring, sweep
from tests.support.sdps import ANSWER, hold
from tests.support.ws import SHOP, open_ws, resume, sync


def media(call_id, connection, muted=False, video=False):
    return {
        "type": "call.media",
        "call_id": call_id,
        "muted": muted,
        "video": video,
        "connection": connection,
    }


async def log(call_id) -> list[str]:
    return await sync(lambda: [e.name for e in CallEvent.objects.filter(call_id=call_id)])()


async def refused(token: str, origin: str | None = SHOP) -> int:
    ws = await open_ws(origin)
    await ws.send_to(text_data=json.dumps({"type": "auth", "resume_token": token}))
    output = await ws.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def test_a_visitor_who_comes_back_within_the_grace_keeps_its_call(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.close()
    assert await alice.events(1) == [media(call_id, "reconnecting")]

    back = await resume(visitor)
    assert back.identity == visitor.identity
    assert back.hello["resume_token"] not in (None, visitor.hello["resume_token"])
    assert await back.events(2) == [
        {
            "type": "call.state",
            "call_id": call_id,
            "state": "in_call",
            "previous": None,
            "resumed": True,
            "answer_sdp": ANSWER["audio"],
        },
        media(call_id, "connected"),
    ]
    assert await alice.events(1) == [media(call_id, "connected")]

    # The call goes on through the new connection, and the grace no longer applies.
    await reoffer(back, alice, call_id, "hold", hold("audio"), hold("audio"))
    assert (await alice.until("call.state", call_id=call_id))["state"] == "remotely_held"
    await sweep(in_seconds=60)
    await alice.silent()
    row = await sync(Call.objects.get)(id=call_id)
    assert (row.phase, row.held_by_caller) == ("answered", True)
    assert await log(call_id) == [
        "create",
        "ring",
        "accept",
        "connection_dropped",
        "resumed",
        "hold",
        "answer",
    ]
    await back.close()


async def test_a_visitor_who_does_not_come_back_in_time_ends_the_call_for_both(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.close()
    assert await alice.events(1) == [media(call_id, "reconnecting")]
    await sweep(in_seconds=21)
    assert await alice.events(1) == [
        {
            "type": "call.state",
            "call_id": call_id,
            "state": "ended",
            "previous": "in_call",
            "reason": "connection_lost",
        }
    ]
    # Its resume token died with the grace period.
    assert await refused(visitor.hello["resume_token"]) == 4401
    row = await sync(Call.objects.get)(id=call_id)
    assert (row.phase, row.end_reason) == ("ended", "connection_lost")
    assert row.ended is not None


async def test_a_replayed_resume_token_closes_4401(parties):
    visitor, _alice, _call_id = await in_call(parties)
    await visitor.close()
    back = await resume(visitor)
    assert await refused(visitor.hello["resume_token"]) == 4401
    # The rotated token still works.
    await back.close()
    again = await resume(back)
    assert (await again.receive())["state"] == "in_call"
    await again.close()


async def test_a_resume_refused_for_a_wrong_origin_keeps_the_resume_token(parties):
    visitor, alice, call_id = await in_call(parties)
    await visitor.close()
    assert await alice.events(1) == [media(call_id, "reconnecting")]
    assert await refused(visitor.hello["resume_token"], origin="http://evil.test") == 4403
    back = await resume(visitor)
    assert (await back.receive())["state"] == "in_call"
    await back.close()


async def test_a_login_token_is_not_a_resume_token_and_back(parties):
    visitor, _alice, _call_id = await in_call(parties)
    await visitor.close()
    ws = await open_ws()
    await ws.send_to(text_data=json.dumps({"type": "auth", "token": visitor.hello["resume_token"]}))
    output = await ws.receive_output(timeout=3)
    assert (output["type"], output["code"]) == ("websocket.close", 4401)


async def test_a_re_offer_waiting_for_the_resumed_party_is_replayed_to_it(parties):
    visitor, alice, call_id = await in_call(parties)
    await alice.ok("call.hold", call_id=call_id, sdp=hold("audio"))
    await visitor.event("call.offer", call_id=call_id, op="hold")
    await visitor.close()
    assert await alice.events(1) == [media(call_id, "reconnecting")]

    back = await resume(visitor)
    frames = await back.events(3)
    assert frames[0]["operation"] == {"op": "hold", "by": "remote"}
    assert frames[1] == media(call_id, "connected")
    assert frames[2] == {
        "type": "call.offer",
        "call_id": call_id,
        "op": "hold",
        "sdp": hold("audio"),
    }
    await back.ok("call.answer", call_id=call_id, sdp=hold("audio"))
    assert (await alice.until("op.result", call_id=call_id))["ok"] is True
    await back.close()


async def test_an_agent_who_resumes_gets_the_operation_it_started(parties):
    visitor, alice, call_id = await in_call(parties)
    await alice.ok("call.hold", call_id=call_id, sdp=hold("audio"))
    await visitor.event("call.offer", call_id=call_id, op="hold")
    await alice.close()
    assert await visitor.events(1) == [media(call_id, "reconnecting")]

    back = await resume(alice, origin=None)
    assert await back.events(2) == [
        {
            "type": "call.state",
            "call_id": call_id,
            "state": "in_call",
            "previous": None,
            "resumed": True,
            "operation": {"op": "hold", "by": "local"},
        },
        media(call_id, "connected"),
    ]
    assert await visitor.events(1) == [media(call_id, "connected")]
    # The answer to its own re-offer reaches the new connection.
    await visitor.ok("call.answer", call_id=call_id, sdp=hold("audio"))
    assert (await back.until("op.result", call_id=call_id))["ok"] is True
    await back.close()


async def test_an_agent_who_drops_while_rung_keeps_ringing_and_is_alerted_again_on_resume(
    parties,
):
    alice = await parties("alice")
    visitor = await parties("visitor")
    call_id = await ring(visitor, alice)
    await alice.close()
    await visitor.silent()

    back = await resume(alice, origin=None)
    incoming = await back.event("call.incoming", call_id=call_id)
    assert incoming["from"]["address"] == visitor.identity
    assert await back.events(1) == [
        {
            "type": "call.state",
            "call_id": call_id,
            "state": "ringing",
            "previous": None,
            "resumed": True,
        }
    ]
    await back.ok("call.accept", call_id=call_id, sdp=ANSWER["audio"])
    assert (await visitor.until("call.state", call_id=call_id))["state"] == "in_call"
    await back.close()


async def test_resuming_while_the_old_connection_still_looks_open_takes_its_place(parties):
    visitor, alice, call_id = await in_call(parties)
    back = await resume(visitor)  # the old socket is half-dead: the server has not noticed
    output = await visitor.ws.receive_output(timeout=3)
    assert (output["type"], output["code"]) == ("websocket.close", 4409)
    assert (await back.receive())["resumed"] is True
    # It never looked gone to the server: alice hears of the drop and the return together.
    assert await alice.events(2) == [media(call_id, "reconnecting"), media(call_id, "connected")]
    await back.close()


async def test_a_process_that_stops_vouching_has_its_connections_dropped_from_its_one_stale_row(
    parties,
):
    visitor, alice, call_id = await in_call(parties)
    now = timezone.now()
    await sync(liveness.register)(connections.PROCESS, now)
    later = now + timedelta(seconds=11)
    # Another process vouches on time; this test's process, holding both rows, did not.
    await sync(liveness.keep_alive)("another-process", later)
    outcome = await sync(liveness.drop_stale)(later)
    await deliver(outcome.outbox)
    assert await alice.events(1) == [media(call_id, "reconnecting")]
    assert await visitor.events(1) == [media(call_id, "reconnecting")]
    assert await sync(Connection.objects.filter(grace_until__isnull=False).count)() == 2
    assert await sync(lambda: set(ServerProcess.objects.values_list("id", flat=True)))() == {
        "another-process"
    }
    # The process was only slow: vouching again, it finds its row gone and takes them back.
    outcome = await sync(liveness.keep_alive)(connections.PROCESS)
    assert outcome.result == {"revived": True}
    await deliver(outcome.outbox)
    assert await alice.events(1) == [media(call_id, "connected")]
    assert await visitor.events(1) == [media(call_id, "connected")]
    await sweep(in_seconds=30)
    assert (await sync(Call.objects.get)(id=call_id)).phase == "answered"
    assert (await log(call_id))[-4:] == [
        "connection_dropped",
        "connection_dropped",
        "connection_back",
        "connection_back",
    ]


def test_vouching_for_a_process_is_one_write_however_many_it_holds(directory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    liveness.register("p1")
    for n in range(50):
        Connection.objects.create(
            channel_name=f"c{n}", role="visitor", identity=f"v{n}", process="p1"
        )
    with CaptureQueriesContext(connection) as queries:
        assert liveness.keep_alive("p1").outbox == []
    assert [q["sql"].split()[0] for q in queries] == ["UPDATE"]


async def test_a_process_taken_for_dead_closes_the_connections_whose_rows_did_not_survive(parties):
    visitor, alice, call_id = await in_call(parties)
    now = timezone.now()
    await sync(liveness.register)(connections.PROCESS, now)
    await deliver((await sync(liveness.drop_stale)(now + timedelta(seconds=11))).outbox)
    await sweep(in_seconds=45)  # their grace ran out: the call ended, the rows went
    assert (await alice.until("call.state", call_id=call_id))["reason"] == "connection_lost"
    await sweeper.watch_connections()
    for party in (visitor, alice):
        output = await party.ws.receive_output(timeout=3)
        while output["type"] == "websocket.send":  # the call's end, told before
            output = await party.ws.receive_output(timeout=3)
        assert (output["type"], output["code"]) == ("websocket.close", 4011)


async def test_a_ping_is_acknowledged(parties):
    visitor = await parties("visitor")
    await visitor.send({"type": "ping", "id": "p1"})
    assert await visitor.event("ack") == {"type": "ack", "id": "p1"}


async def test_a_connection_silent_past_the_idle_timeout_is_closed_4408(parties, settings):
    settings.SUPPORTCALL_IDLE_TIMEOUT = 1.0
    visitor = await parties("visitor")
    output = await visitor.ws.receive_output(timeout=5)
    assert (output["type"], output["code"]) == ("websocket.close", 4408)


@pytest.fixture(autouse=True)
def _long_idle(settings):
    settings.SUPPORTCALL_IDLE_TIMEOUT = 60


async def test_a_stalled_connection_that_lost_events_is_made_to_resume_and_catches_up(
    parties, settings
):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 3}}
    }
    visitor, alice, call_id = await in_call(parties)
    row = await sync(Call.objects.get)(id=call_id)
    # The visitor's consumer does not read while five events arrive: two are lost. (A
    # group send between them keeps delivery from batching them into one message.)
    candidate = Delivery(row.caller_channel, {"type": "ice.candidate", "call_id": call_id})
    barrier = Delivery("nobody", {"type": "presence"}, group=True)
    await deliver([candidate, barrier] * 4 + [candidate])
    assert await alice.events(1) == [media(call_id, "reconnecting")]
    assert [(await visitor.receive())["type"] for _ in range(3)] == ["ice.candidate"] * 3
    # Its process's next sweep closes it: it resumes and gets the call replayed.
    await sweeper.watch_connections()
    output = await visitor.ws.receive_output(timeout=3)
    assert (output["type"], output["code"]) == ("websocket.close", 4011)
    back = await resume(visitor)
    assert (await back.receive())["resumed"] is True
    assert await alice.events(1) == [media(call_id, "connected")]
    assert (await log(call_id))[-2:] == ["connection_dropped", "resumed"]
    await back.close()


async def test_a_drop_the_database_refused_to_record_is_recorded_once_it_answers(
    parties, monkeypatch
):
    visitor, alice, call_id = await in_call(parties)
    record_drop, tries = connections.disconnect, []

    def refused_once(actor, now=None, leaving=False):
        tries.append(actor.identity)
        if len(tries) == 1:
            raise OperationalError("the database is not accepting connections")
        return record_drop(actor, now, leaving)

    monkeypatch.setattr(connections, "disconnect", refused_once)
    await visitor.close()
    assert await alice.events(1) == [media(call_id, "reconnecting")]
    assert tries == [visitor.identity, visitor.identity]
    await sweep(in_seconds=21)
    assert (await alice.until("call.state", call_id=call_id))["reason"] == "connection_lost"
