"""Visitors, agents and their calls: the supportcall contract on top of aiortc.

Shaped like the libraries underneath: current state as properties
(``call.state``, ``call.remote_muted``, ``client.connection_state``), changes
as events (``async for event in call``, ``call.on("statechange", ...)``),
failures as exceptions (:class:`OperationFailed`, :class:`CallEnded`,
:class:`SignalingClosed`, ``TimeoutError``). Nothing keeps a history, so a
bot that runs for weeks through thousands of calls stays the same size::

    async with Visitor("http://127.0.0.1:8000", site="demo") as visitor:
        call = await visitor.call(media="audio")
        await call.wait_for_state(State.IN_CALL, timeout=10)
        await call.hold()  # raises OperationFailed(code, message) if refused
        async for event in call:  # the server's events for this call, until it ends
            print(event["type"])

Each :class:`Call` owns its peer connection and closes it when the call
ends; an ended call leaves ``client.calls`` once nothing waits on it any more.
:meth:`Client.close` closes everything that is left.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, Self, TypeVar
from urllib.parse import quote

import requests
from aiortc import MediaStreamTrack, RTCPeerConnection
from aiortc.sdp import candidate_from_sdp

from ..vocabulary import (
    CONNECTED_STATES,
    ENDING_OPS,
    Link,
    Media,
    Op,
    Presence,
    Reason,
    Role,
    ScreenRefusal,
    State,
)
from .chat import Chat, ChatMessage
from .check import run_check
from .errors import (
    CallEnded,
    CallError,
    MediaFailed,
    OperationFailed,
    SignalingClosed,
    SupportCallError,
)
from .events import Emitter, Notifier, Stream, Subscription
from .options import ConnectionState, Options
from .peer import MediaPeer, Reoffer, check_media
from .quality import QualityMeter
from .signaling import Signaling

logger = logging.getLogger(__name__)

T = TypeVar("T")
Event = dict[str, Any]

# Events for a call this client does not know yet (they may overtake the ack
# of call.create) wait here; capped, so a server that sends events for calls
# that never arrive cannot grow it.
MAX_ORPHAN_CALLS = 32
MAX_ORPHAN_EVENTS = 64
# Ids of calls already over: their late events (an op.result after a resume,
# say) are dropped instead of waiting as orphans.
MAX_RETIRED = 64


class _OpResult(NamedTuple):
    op: str
    ok: bool
    code: str | None
    message: str | None

    def raise_for_error(self) -> None:
        if not self.ok:
            code = self.code or "error"
            raise OperationFailed(code, self.message or f"{self.op} failed", self.op)


class _PendingReoffer:
    """A re-offer sent to the server; ``result`` holds an ``op.result`` that
    overtook the answer."""

    def __init__(self, reoffer: Reoffer) -> None:
        self.reoffer = reoffer
        self.result: _OpResult | None = None


async def wait_for_flow(
    read: Callable[[], Mapping[str, int]],
    kind: str,
    *,
    flowing: bool = True,
    timeout: float = 5.0,
    window: float = 0.5,
    interval: float = 0.1,
) -> int:
    """Poll a byte counter until ``kind`` flows or, with ``flowing=False``,
    until it has not grown for ``window`` seconds. Returns the counter's value;
    ``TimeoutError`` if that never happens.

    Flowing means growing in two polls within ``window``: one late packet
    still in flight after a hold must not count as media flowing again.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, last_change = read().get(kind, 0), loop.time()
    growth: deque[float] = deque(maxlen=2)
    while True:
        await asyncio.sleep(interval)
        now, value = loop.time(), read().get(kind, 0)
        if value != last:
            last, last_change = value, now
            growth.append(now)
        if flowing and len([t for t in growth if now - t <= window]) >= 2:
            return value
        if not flowing and now - last_change >= window:
            return value
        if now >= deadline:
            state = "flow" if flowing else "stop"
            raise TimeoutError(f"{kind} bytes did not {state} within {timeout}s (at {value})")


class Call(Emitter):
    """One call, seen from this party.

    Its current state is in properties (:attr:`state`, :attr:`end_reason`,
    :attr:`remote_muted`, :attr:`remote_video`, :attr:`remote_connection`,
    :attr:`queue_position`). ``async for event in call`` yields the server's
    events for this call (the contract's objects, as sent) from then until
    the call ends: ``aiter(call)`` right after :meth:`Client.call` returns, before
    anything is awaited, sees every event from ``initiated`` on. Listeners:
    ``"event"`` (each event, once applied), ``"statechange"`` (no arguments,
    after :attr:`state` changed) and ``"chat"`` (each new :class:`ChatMessage`,
    once: not again when a resume replays it). The chat is :attr:`chat`.
    """

    def __init__(
        self,
        client: Client,
        call_id: str,
        *,
        role: Role,
        media: Media,
        to: str | None = None,
        caller: dict[str, Any] | None = None,
        offer_sdp: str | None = None,
        media_peer: MediaPeer | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.call_id = call_id
        self.role = role
        self.media = media
        self.to = to
        self.caller = caller
        self.offer_sdp = offer_sdp
        self._state: State | None = None
        self._previous: State | None = None
        self.end_reason: str | None = None
        self.remote_muted = False
        # None until the server said (call.media): the offer already tells for a new call.
        self.remote_video: bool | None = None
        self.remote_connection = Link.CONNECTED
        self.queue_position: int | None = None
        # The last call.transferring (to, display_name) while a transfer is going on.
        self.transferring: Event | None = None
        # On an incoming transferred call: who handed it on, and the notes so far.
        self.transferred_by: dict[str, Any] | None = None
        self.notes = ""
        # A consult call (placed by :meth:`consult`): the held call it is about. An incoming
        # one's call.incoming says so in ``consult_of`` (the held call's id and caller).
        self.consulting: Call | None = None
        self.consult_of: dict[str, Any] | None = None
        self.estimated_wait_s: float | None = None
        self._chat = Chat()
        self.remote_typing = False  # the other party's last chat.typing
        # The visitor's screen. The agent's view: whether it is shared (call.screen), on
        # which m-line, and the visitor's last screen.declined reason. The visitor's: the
        # agent's ask not answered yet ("share": screen.asked, "stop": screen.stop_request).
        self.remote_screen = False
        self.screen_mid: str | None = None
        self.screen_declined: str | None = None
        self.screen_asked: str | None = None
        # The server's last call.quality of each side: "local" (this party's own
        # reports) and "remote" (the other party's), each with mos, level, warnings.
        self.quality: dict[str, Event] = {}
        self._media = media_peer
        # None asks the task to stop: cancelling it could land inside aiortc.
        self._inbox: asyncio.Queue[Event | None] = asyncio.Queue()
        self._stream: Stream[Event] = Stream()
        self._notifier = Notifier()
        self._ops: dict[str, list[asyncio.Future[_OpResult]]] = {}
        self._reoffers: list[_PendingReoffer] = []
        self._candidates: list[dict[str, Any] | None] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._watching_media = False
        self._reporter: asyncio.Task[None] | None = None  # the quality reports (_report_quality)
        self._ending = False  # an ended call.state was routed to it
        self._task = asyncio.create_task(self._run(), name=f"supportcall-call-{call_id}")

    def __repr__(self) -> str:
        return f"<Call {self.call_id} {self.role} {self.media} {self.state}>"

    def __aiter__(self) -> Subscription[Event]:
        return self._stream.subscribe()

    # -- what the call looks like --------------------------------------------

    @property
    def state(self) -> State | None:
        """This party's state as the server last reported it (``None`` before the first)."""
        return self._state

    @property
    def previous_state(self) -> State | None:
        return self._previous

    @property
    def ended(self) -> bool:
        return self._state == State.ENDED

    @property
    def pc(self) -> RTCPeerConnection | None:
        return self._media.pc if self._media else None

    @property
    def media_peer(self) -> MediaPeer | None:
        return self._media

    @property
    def muted(self) -> bool:
        """Whether this party's own audio is muted."""
        return bool(self._media and self._media.muted)

    @property
    def frames_received(self) -> dict[str, int]:
        if self._media is None:
            return {"audio": 0, "video": 0}
        return self._media.frames_received

    async def inbound_bytes(self) -> dict[str, int]:
        """RTP payload bytes received so far, per kind (see ``RtpByteCounter``)."""
        if self._media is None:
            return {"audio": 0, "video": 0}
        return self._media.inbound_bytes()

    async def inbound_packets(self) -> dict[str, int]:
        """``packetsReceived`` per kind from ``getStats()`` ``inbound-rtp``."""
        if self._media is None:
            return {"audio": 0, "video": 0}
        return await self._media.inbound_packets()

    def negotiated_directions(self) -> dict[str, str | None]:
        return self._media.negotiated_directions() if self._media else {}

    @property
    def candidate_pair(self) -> tuple[str, str] | None:
        """``(local, remote)`` types of the ICE candidate pair the media flows over
        (``("relay", "relay")`` through TURN), ``None`` until it connected."""
        return self._media.candidate_pair if self._media else None

    # -- waiting -------------------------------------------------------------

    def _ended_error(self) -> CallEnded:
        if self.end_reason == Reason.MEDIA_FAILED:
            return MediaFailed()
        return CallEnded(self.end_reason)

    def _check_alive(self) -> None:
        if self.ended:
            raise self._ended_error()
        closed = self.client.signaling.closed
        if closed is not None:
            raise closed

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float | None = None, what: str = ""
    ) -> T:
        """Wait until ``predicate()`` is true, re-checking after each event of
        this call; return its value. ``TimeoutError`` if it never is,
        :class:`CallEnded` or :class:`SignalingClosed` if the call ended or the
        connection closed for good first."""

        def check() -> T | None:
            result = predicate()
            if not result:
                # Nothing changes on a call that is over or cut off for good.
                self._check_alive()
            return result

        return await self._notifier.wait_for(
            check,
            self.client.options.timeout if timeout is None else timeout,
            what or f"a condition on call {self.call_id} (state {self.state})",
        )

    async def wait_for_state(self, state: State | str, timeout: float | None = None) -> None:
        """Wait until the call's *current* state is ``state``; :class:`CallEnded`
        if it ends first (unless ``state`` is ``ended``)."""
        state = State(state)
        await self.wait_for(
            lambda: self._state == state,
            timeout,
            f"call {self.call_id} to be {state} (is {self.state})",
        )

    async def wait_for_media(
        self,
        kind: str = "audio",
        *,
        flowing: bool = True,
        timeout: float = 5.0,
        window: float = 0.5,
    ) -> int:
        """Wait until inbound ``kind`` RTP flows (or, ``flowing=False``, stopped)."""
        if self._media is None:
            raise SupportCallError(f"call {self.call_id} has no media yet")
        return await wait_for_flow(
            self._media.inbound_bytes, kind, flowing=flowing, timeout=timeout, window=window
        )

    # -- chat ----------------------------------------------------------------------

    @property
    def chat(self) -> tuple[ChatMessage, ...]:
        """The chat so far, both parties' messages in the server's order, each once."""
        return self._chat.messages

    async def send_chat(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        """Send a chat message; return the server's ack (``seq``, ``sent``).

        The message comes back as a ``chat.message`` event (it is in :attr:`chat`
        then). If the connection drops before the ack, it is sent again once
        resumed, with the same ``client_id``: the server does not take it twice.
        Raises :class:`CallError` with the server's code (``invalid_state``,
        ``too_large``, ``rate_limited``, ...).
        """
        request = {
            "type": "chat.send",
            "call_id": self.call_id,
            "text": text,
            "client_id": client_id or uuid.uuid4().hex,
        }
        while True:
            try:
                return await self.client.signaling.request(request)
            except SignalingClosed:
                # Dropped with the request in flight: once resumed, the same client_id
                # again (the server acks the message it took, if it took it). The reader
                # may not have noticed the drop yet: let it run first.
                await asyncio.sleep(0.1)
                await self.client.wait_for(
                    lambda: self.client.connection_state is ConnectionState.CONNECTED,
                    what="the connection to come back",
                )

    async def set_typing(self, typing: bool) -> None:
        """Tell the other party this one is typing (or stopped); nothing is kept."""
        await self.client.signaling.request(
            {"type": "chat.typing", "call_id": self.call_id, "typing": bool(typing)}
        )

    async def send_file(
        self, source: str | os.PathLike[str] | bytes, name: str | None = None
    ) -> dict[str, Any]:
        """Send a file in the chat (a path, or bytes with a ``name``): a ``chat.upload``
        token, then the upload's POST. Return the server's answer (``seq``, ``file``);
        the file comes back as a ``chat.message`` with its ``file`` (in :attr:`chat`).
        Raises :class:`CallError`: ``too_large``, ``not_supported`` (a type the chat does
        not take, or one the name disguises), ``invalid_state``, ``unauthorized`` ..."""
        if isinstance(source, bytes):
            if not name:
                raise ValueError("bytes need a name")
            data = source
        else:
            data = await asyncio.to_thread(Path(source).read_bytes)
            name = name or Path(source).name
        signaling = self.client.signaling
        ack = await signaling.request(
            {"type": "chat.upload", "call_id": self.call_id, "name": name, "size": len(data)}
        )
        url = signaling.server_now.rstrip("/") + ack["url"]
        headers = {
            "Supportcall-Upload-Token": ack["token"],
            "Supportcall-File-Name": quote(name, safe=""),
            "Content-Type": "application/octet-stream",
        }
        response = await asyncio.to_thread(
            requests.post, url, data=data, headers=headers, timeout=signaling.timeout
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 201:
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict):
                raise CallError(str(error.get("code", "error")), str(error.get("message", "")))
            raise CallError("http_error", f"HTTP {response.status_code}")
        return body

    # -- rating --------------------------------------------------------------------

    async def rate(self, stars: int, comment: str | None = None) -> dict[str, Any]:
        """The caller rates its answered call once it ended: 1 to 5 ``stars`` and an
        optional ``comment`` (``call.rate``); return the server's ack (``stars``, ``rated``).
        Raises :class:`CallError`: ``forbidden`` (an agent), ``invalid_state`` (not ended,
        never answered, rated already, too late), ``bad_request``, ``too_large``."""
        request: dict[str, Any] = {"type": "call.rate", "call_id": self.call_id, "stars": stars}
        if comment is not None:
            request["comment"] = comment
        return await self.client.signaling.request(request)

    # -- operations ------------------------------------------------------------
    # Each returns once the server's op.result says it succeeded; otherwise it
    # raises OperationFailed (the server's code), CallEnded or TimeoutError.

    async def accept(self, video: bool = False) -> None:
        """Answer the caller's offer with a real peer connection (agent)."""
        if self.offer_sdp is None:
            raise SupportCallError("only an incoming call can be accepted")
        if self._media is None:
            self._media = self.client._new_media_peer(self.media)
        media = self._media
        try:
            answer = await media.accept_offer(self.offer_sdp, video=video)
            await self._flush_candidates()
            await self._operation(Op.ACCEPT, {"video": video, "sdp": answer})
        except BaseException:
            await self._drop_media(media)
            raise

    async def reject(self) -> None:
        await self._operation(Op.REJECT)

    async def ignore(self) -> None:
        await self._operation(Op.IGNORE)

    async def forward(self, to: str) -> None:
        await self._operation(Op.FORWARD, {"to": to})

    async def end(self) -> None:
        await self._operation(Op.END)

    async def transfer(self, to: str, notes: str | None = None) -> None:
        """Blind transfer of this answered call to an agent or a queue (agent): this
        party's part ends ``transferred``; ``notes`` go to the new agent."""
        await self._operation(Op.TRANSFER, {"to": to, **({"notes": notes} if notes else {})})

    async def consult(self, to: str, media: Media | str = Media.AUDIO) -> Call:
        """Consult a colleague about this answered call (agent): the call is put on hold
        first if it is not yet, then a consult call to ``to`` is placed (``call.create``
        with ``consult_of``) and returned once the server took it; it rings ``to``. Then
        :meth:`complete` or :meth:`cancel` it."""
        if not isinstance(self.client, Agent):
            raise OperationFailed("forbidden", "only an agent consults", Op.CONSULT)
        if self.state in (State.IN_CALL, State.REMOTELY_HELD):
            await self.hold()
        try:
            consult = await self.client.call(to, media, consult_of=self)
        except OperationFailed:
            raise
        except CallError as exc:  # refused: the consult is this call's operation
            raise OperationFailed(exc.code, exc.message, Op.CONSULT) from None
        consult.consulting = self
        return consult

    async def complete(self) -> None:
        """Complete this consult call (the agent who placed it): the held caller is moved to
        the colleague, who takes it at once; both this call and this party's part of the
        held call end ``transferred``."""
        await self._operation(Op.COMPLETE)

    async def cancel(self) -> None:
        """Cancel this consult call: hang it up, and take the held caller back off hold."""
        if self.consulting is None:
            raise SupportCallError(f"call {self.call_id} is not a consult this party placed")
        if not self.ended:
            await self.end()
        if self.consulting.state in (State.ON_HOLD, State.ON_DOUBLE_HOLD):
            await self.consulting.unhold()

    async def hold(self) -> None:
        await self._reoffer_operation(Op.HOLD)

    async def unhold(self) -> None:
        await self._reoffer_operation(Op.UNHOLD)

    async def video_start(self) -> None:
        await self._reoffer_operation(Op.VIDEO_START)

    async def video_stop(self) -> None:
        await self._reoffer_operation(Op.VIDEO_STOP)

    async def screen_start(self, track: MediaStreamTrack) -> None:
        """The visitor shares ``track`` (any aiortc video track) as its screen."""
        await self._reoffer_operation(Op.SCREEN_START, screen=track)
        self.screen_asked = None

    async def screen_stop(self) -> None:
        """The visitor stops sharing its screen (its m-line stays, sending nothing)."""
        await self._reoffer_operation(Op.SCREEN_STOP)
        self.screen_asked = None

    async def ask_screen(self) -> None:
        """The agent asks the visitor to share its screen (``screen.ask``)."""
        await self._screen_request("screen.ask")

    async def ask_screen_stop(self) -> None:
        """The agent asks the visitor's side to stop sharing (``screen.ask_stop``)."""
        await self._screen_request("screen.ask_stop")

    async def decline_screen(self, reason: ScreenRefusal | str = ScreenRefusal.DECLINED) -> None:
        """The visitor turns the agent's ask down (``screen.decline``)."""
        await self._screen_request("screen.decline", reason=str(reason))
        self.screen_asked = None

    async def _screen_request(self, kind: str, **fields: Any) -> None:
        await self.client.signaling.request({"type": kind, "call_id": self.call_id, **fields})

    async def restart_media(self) -> None:
        """``call.restart_media``: re-negotiate after a network change."""
        await self._reoffer_operation(Op.RESTART_MEDIA)

    async def mute(self) -> None:
        await self._operation(Op.MUTE)

    async def unmute(self) -> None:
        await self._operation(Op.UNMUTE)

    async def _reoffer_operation(self, op: Op, screen: MediaStreamTrack | None = None) -> None:
        media = self._media
        if media is None:
            raise SupportCallError(f"call {self.call_id} has no media to {op}")
        pending = _PendingReoffer(await media.create_reoffer(op, screen=screen))
        self._reoffers.append(pending)
        try:
            await self._operation(op, {"sdp": pending.reoffer.offer.sdp})
        finally:
            if pending in self._reoffers:
                # Refused, failed or abandoned: it was never applied, so the
                # peer connection has nothing to roll back.
                self._reoffers.remove(pending)
            media.drop_reoffer(pending.reoffer)  # nothing once applied
            self._check_finished()

    async def _operation(self, op: Op, fields: Mapping[str, Any] | None = None) -> None:
        # The future exists before the request is sent: op.result may be
        # processed before the ack reaches this coroutine.
        future: asyncio.Future[_OpResult] = asyncio.get_running_loop().create_future()
        self._ops.setdefault(op, []).append(future)
        try:
            try:
                await self.client.signaling.request(
                    {"type": f"call.{op}", "call_id": self.call_id, **(fields or {})}
                )
            except OperationFailed:
                raise
            except CallError as exc:
                raise OperationFailed(exc.code, exc.message, op) from None
            timeout = self.client.options.op_timeout
            try:
                result = await asyncio.wait_for(asyncio.shield(future), timeout)
            except TimeoutError as exc:
                raise TimeoutError(
                    f"no op.result for {op} on call {self.call_id} within {timeout}s"
                ) from exc
            result.raise_for_error()
        finally:
            futures = self._ops.get(op, [])
            if future in futures:
                futures.remove(future)
            if not futures:
                self._ops.pop(op, None)
            self._check_finished()

    def _finish_op(self, result: _OpResult) -> None:
        for future in self._ops.get(result.op) or []:
            if not future.done():
                future.set_result(result)
                return

    # -- events ------------------------------------------------------------------

    def _deliver(self, event: Event) -> None:
        self._inbox.put_nowait(event)

    def _finished(self) -> bool:
        """Ended, and nothing waits on the server any more: the call can go."""
        return self.ended and not self._ops and not self._reoffers

    def _check_finished(self) -> None:
        if self._finished():
            self._inbox.put_nowait(None)

    async def _run(self) -> None:
        try:
            while True:
                event = await self._inbox.get()
                if event is None:
                    return
                before = self._state
                try:
                    await self._apply(event)
                except Exception:
                    logger.exception("call %s: handling %s failed", self.call_id, event.get("type"))
                self._emit("event", event)
                self._stream.put(event)
                if self._state != before:
                    self._emit("statechange")
                self._check_media()
                self._notifier.notify()
                if self.ended:
                    self._stream.close()
                if self._finished():
                    return
        finally:
            self._stream.close()
            self._notifier.notify()
            if self._reporter is not None:  # gone now, not at the end of its next sleep
                self._reporter.cancel()
            self.client._retire(self)

    async def _apply(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "call.state":
            resumed = bool(event.get("resumed"))
            state = State(str(event.get("state")))
            if self.ended and state != State.ENDED:
                # Ended is final. Events of two operations racing (a transfer and the
                # caller's hang-up) can come in either order: the later one is stale.
                logger.info("call %s: ignoring %s after its end", self.call_id, state)
                return
            if resumed and event.get("answer_sdp"):
                await self._on_missed_answer(str(event["answer_sdp"]))
            if state == State.ENDED and not self.ended:
                await self._on_ended(event.get("reason"))
            # Last, with no await after it: whoever sees the new state also
            # finds its effects done (media closed) and the listeners told.
            if not (resumed and state == self._state):
                self._previous, self._state = self._state, state
        elif kind == "op.result":
            await self._on_op_result(event)
        elif kind == "call.answer":
            await self._on_answer(str(event.get("sdp", "")))
        elif kind == "call.offer":
            await self._on_offer(event.get("op"), str(event.get("sdp", "")))
        elif kind == "call.reoffer":
            await self._on_reoffer(str(event.get("kind", "")))
        elif kind == "call.transferring":
            self.transferring = event
        elif kind == "ice.candidate":
            self._candidates.append(event.get("candidate"))
            await self._flush_candidates()
        elif kind == "call.media":
            self.remote_muted = bool(event.get("muted"))
            self.remote_video = bool(event.get("video"))
            if "connection" in event:
                # The other party's signaling: "reconnecting", then "connected" again.
                self.remote_connection = Link(str(event["connection"]))
        elif kind == "queue.position":
            self.queue_position = event.get("position")
            self.estimated_wait_s = event.get("estimated_wait_s")
        elif kind == "chat.message":
            message = self._chat.take(event)
            if message is not None:
                self._emit("chat", message)
        elif kind == "call.screen":
            self.remote_screen = bool(event.get("sharing"))
            self.screen_mid = event.get("mid")
            self._emit("screen", self.remote_screen)
        elif kind in ("screen.asked", "screen.stop_request"):
            self.screen_asked = "share" if kind == "screen.asked" else "stop"
        elif kind == "screen.declined":
            self.screen_declined = str(event.get("reason"))
        elif kind == "chat.typing":
            self.remote_typing = bool(event.get("typing"))
        elif kind == "call.quality":
            self.quality[str(event.get("side"))] = event

    async def _on_op_result(self, event: Event) -> None:
        result = _OpResult(
            op=str(event.get("op")),
            ok=bool(event.get("ok")),
            code=event.get("code"),
            message=event.get("message"),
        )
        pending = next((p for p in self._reoffers if p.reoffer.op == result.op), None)
        if pending is not None:
            if result.ok:
                # Finish when the answer is applied, so that the caller of
                # hold() finds its peer connection already updated.
                pending.result = result
                return
            self._reoffers.remove(pending)
        if result.ok and self._media is not None:
            if result.op == Op.MUTE:
                self._media.mute()
            elif result.op == Op.UNMUTE:
                self._media.unmute()
        self._finish_op(result)

    async def _on_answer(self, sdp: str) -> None:
        if self._media is None or self.ended:
            return
        if self._reoffers:
            # The oldest re-offer still pending is the one the server took:
            # refused ones are removed when their error arrives.
            pending = self._reoffers.pop(0)
            await self._media.apply_reoffer_answer(pending.reoffer, sdp)
            if pending.result is not None:
                self._finish_op(pending.result)
        elif self._media.pc.signalingState == "have-local-offer":
            await self._media.apply_answer(sdp)
        else:
            logger.warning("call %s: ignoring an answer nobody waits for", self.call_id)
            return
        await self._flush_candidates()

    async def _on_missed_answer(self, sdp: str) -> None:
        """A resumed caller whose connection dropped before the answer reached it."""
        if self._media is not None and self._media.pc.signalingState == "have-local-offer":
            await self._media.apply_answer(sdp)
            await self._flush_candidates()

    async def _on_offer(self, op: str | None, sdp: str) -> None:
        if self._media is None or self.ended:
            logger.warning("call %s: ignoring a re-offer without media", self.call_id)
            return
        answer = await self._media.answer_reoffer(op, sdp)
        await self._flush_candidates()
        self._spawn(self._send_answer(answer))

    async def _on_reoffer(self, kind: str) -> None:
        """The server asks for a fresh offer (a transfer: the first one is stale): from a
        fresh peer connection, since aiortc cannot restart ICE; the old one is closed."""
        if self.ended or self.role is not Role.VISITOR:
            logger.warning("call %s: ignoring a %s re-offer request", self.call_id, kind)
            return
        old, self._media = self._media, self.client._new_media_peer(self.media)
        self._watching_media = False  # the new media is watched once connected
        self._candidates.clear()
        if old is not None:
            await old.close()
        offer = await self._media.create_offer()
        self._spawn(self._send_fresh_offer(offer))

    async def _send_fresh_offer(self, sdp: str) -> None:
        try:
            await self.client.signaling.request(
                {"type": "call.fresh_offer", "call_id": self.call_id, "sdp": sdp}
            )
        except (SupportCallError, TimeoutError) as exc:
            logger.warning("call %s: call.fresh_offer failed: %s", self.call_id, exc)

    async def _send_answer(self, sdp: str) -> None:
        try:
            await self.client.signaling.request(
                {"type": "call.answer", "call_id": self.call_id, "sdp": sdp}
            )
        except (SupportCallError, TimeoutError) as exc:
            logger.warning("call %s: call.answer failed: %s", self.call_id, exc)

    async def _flush_candidates(self) -> None:
        # aiortc needs the remote description to know the candidate's m-line.
        pc = self.pc
        if pc is None or pc.remoteDescription is None:
            return
        candidates, self._candidates = self._candidates, []
        for candidate in candidates:
            try:
                await pc.addIceCandidate(parse_candidate(candidate))
            except Exception as exc:
                logger.warning("call %s: bad ICE candidate %r: %s", self.call_id, candidate, exc)

    async def _on_ended(self, reason: str | None) -> None:
        self.end_reason = reason
        for op, futures in self._ops.items():
            if op in ENDING_OPS:
                continue  # their op.result may come after the ended state
            for future in futures:
                if not future.done():
                    future.set_exception(self._ended_error())
        self._reoffers.clear()
        self._candidates.clear()
        if self._media is not None:
            await self._media.close()

    def _check_media(self) -> None:
        """Once answered, watch that the media connects: if it cannot, end the call
        ``media_failed`` so that both parties are told, instead of a silent call."""
        if self._watching_media or self._media is None or self._state not in CONNECTED_STATES:
            return
        self._watching_media = True
        self._spawn(self._watch_media(self._media))

    async def _watch_media(self, media: MediaPeer) -> None:
        try:
            await media.wait_connected(self.client.media_timeout)
            self._notifier.notify()  # candidate_pair is known now
            # call.quality every quality_interval while answered (holding the call weakly).
            self._reporter = self._spawn(
                _report_quality(weakref.ref(self), weakref.ref(media), QualityMeter())
            )
        except MediaFailed as exc:
            if self.ended or self._media is not media:
                return
            logger.warning("call %s: %s", self.call_id, exc)
            try:
                await self._operation(Op.END, {"reason": Reason.MEDIA_FAILED})
            except (SupportCallError, TimeoutError) as failed:
                # The other party's report may have ended the call first.
                logger.info("call %s: media_failed not reported: %s", self.call_id, failed)

    async def _drop_media(self, media: MediaPeer) -> None:
        await media.close()
        if self._media is media and not self.ended:
            self._media = None

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _shutdown(self) -> None:
        self._inbox.put_nowait(None)
        done, _ = await asyncio.wait([self._task], timeout=self.client.options.timeout)
        tasks = [*self._background] + ([] if done else [self._task])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._stop_listener_tasks()
        for futures in self._ops.values():
            for future in futures:
                if not future.done():
                    future.set_exception(CallEnded(self.end_reason or "closed"))
        if self._media is not None:
            await self._media.close()


async def _report_quality(
    call_ref: weakref.ref[Call], media_ref: weakref.ref[MediaPeer], meter: QualityMeter
) -> None:
    """The reporter of one call's media. Between two reports it holds the call and the media
    only weakly: a sleeping reporter must not keep an ended call, and its media, alive."""

    def reporting() -> tuple[Call, MediaPeer] | None:
        """The call and its media, while the call goes on with this media."""
        call, media = call_ref(), media_ref()
        if call is None or media is None or call.ended or call._media is not media:
            return None
        return call, media

    while (found := reporting()) is not None:
        interval = found[0].client.quality_interval
        del found
        await asyncio.sleep(interval)
        if (found := reporting()) is None:
            return
        if found[0].state in CONNECTED_STATES:
            await _report_once(*found, meter)
        del found  # nothing strong held across the next sleep


async def _report_once(call: Call, media: MediaPeer, meter: QualityMeter) -> None:
    pair = media.candidate_pair
    fields = await meter.report(
        media.pc, media.inbound_bytes().get("audio", 0), pair[0] if pair else None
    )
    try:
        await call.client.signaling.request(
            {"type": "call.quality", "call_id": call.call_id, **fields}
        )
    except (SupportCallError, SignalingClosed, TimeoutError) as exc:
        logger.info("call %s: quality report not taken: %s", call.call_id, exc)


def parse_candidate(candidate: Mapping[str, Any] | None) -> Any:
    """A browser-style candidate object (or ``None``) as an aiortc candidate."""
    if not candidate or not candidate.get("candidate"):
        return None  # end-of-candidates
    text = str(candidate["candidate"])
    result = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:") else text)
    result.sdpMid = candidate.get("sdpMid")
    result.sdpMLineIndex = candidate.get("sdpMLineIndex")
    return result


class Client(Emitter):
    """What visitors and agents share: one signaling connection and its calls.

    :attr:`connection_state` is this client's own WebSocket (``connected``,
    ``reconnecting`` while it resumes after a drop, ``closed``), told by the
    ``"connectionstatechange"`` listeners; it is never mixed into the
    server's events. ``async for event in client`` yields every server event
    (any call, or none) from then on. Listeners: ``"event"`` (each server
    event as it arrives), ``"call"`` (a new :class:`Call`, before any of its
    events), ``"connectionstatechange"``.
    """

    role: Role
    default_tone_hz = 440.0

    def __init__(self, options: Options | str) -> None:
        super().__init__()
        self.options = Options.of(options)
        self.signaling = Signaling(self.options, on_state=self._on_connection_state)
        self.login: dict[str, Any] = {}
        self._calls: dict[str, Call] = {}
        self._orphans: OrderedDict[str, list[Event]] = OrderedDict()
        self._retired: OrderedDict[str, None] = OrderedDict()
        self._stream: Stream[Event] = Stream()
        self._notifier = Notifier()
        self._dispatcher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    def __aiter__(self) -> Subscription[Event]:
        return self._stream.subscribe()

    @property
    def hello(self) -> dict[str, Any]:
        """The server's latest ``hello`` (a resume brings a new one)."""
        return self.signaling.hello or {}

    @property
    def identity(self) -> str | None:
        return self.hello.get("identity") or self.login.get("identity")

    @property
    def connection_state(self) -> ConnectionState:
        return self.signaling.state

    @property
    def last_close(self) -> SignalingClosed | None:
        """Why the last WebSocket closed (its code and reason), resumed or not."""
        return self.signaling.last_close

    @property
    def calls(self) -> Mapping[str, Call]:
        """The calls still going (or still waiting on the server), by id."""
        return MappingProxyType(self._calls)

    @property
    def ice_servers(self) -> list[dict[str, Any]]:
        if self.options.ice_servers is not None:
            return [dict(server) for server in self.options.ice_servers]
        # hello is newer than the login response; both are the server's word.
        servers = self.hello.get("ice_servers", self.login.get("ice_servers"))
        return list(servers or [])

    @property
    def ice_transport_policy(self) -> str:
        """``"relay"`` or ``"all"``: the options', else the server's word."""
        if self.options.ice_transport_policy is not None:
            return self.options.ice_transport_policy
        return str(
            self.hello.get("ice_transport_policy", self.login.get("ice_transport_policy", "all"))
        )

    @property
    def quality_interval(self) -> float:
        """Seconds between two ``call.quality`` reports (the server's ``hello``)."""
        if self.options.quality_interval is not None:
            return self.options.quality_interval
        return float(self.hello.get("quality_interval", 5.0))

    @property
    def media_timeout(self) -> float:
        """Seconds an answered call's media may take to connect (the server's ``hello``)."""
        return float(self.hello.get("media_timeout", self.login.get("media_timeout", 20.0)))

    async def _login(self) -> dict[str, Any]:
        raise NotImplementedError

    async def connect(self) -> dict[str, Any]:
        """Log in, open and authenticate the WebSocket; return ``hello``."""
        self.login = await self._login()
        hello = await self.signaling.connect(self.login)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="supportcall-dispatch")
        return hello

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def check(self) -> dict[str, Any]:
        """The check before the call (``check.start``): a real WebRTC session with the
        server's echo peer. Returns ``{"verdict": "good" | "poor" | "relay_only" |
        "blocked", "connected", "candidate_type", "rtt_ms", "loss_pct"}`` within the
        check's time; ``CallError`` if the server refuses it (``rate_limited``...)."""
        return await run_check(self)

    def _new_media_peer(self, media: str) -> MediaPeer:
        tone = self.options.tone_hz or self.default_tone_hz
        return MediaPeer(
            media,
            ice_servers=self.ice_servers,
            ice_transport_policy=self.ice_transport_policy,
            tone_hz=tone,
        )

    def _on_connection_state(self, state: ConnectionState) -> None:
        self._notifier.notify()
        self._emit("connectionstatechange")

    # -- events --------------------------------------------------------------

    async def _dispatch(self) -> None:
        while True:
            try:
                event = await self.signaling.receive()
            except SignalingClosed:
                break
            self._emit("event", event)
            self._stream.put(event)
            try:
                self._route(event)
            except Exception:
                logger.exception("routing %s failed", event.get("type"))
            self._notifier.notify()
        self._stream.close()
        self._notifier.notify()
        for call in self._calls.values():
            call._notifier.notify()

    def _route(self, event: Event) -> None:
        call_id = event.get("call_id")
        if event.get("type") == "call.incoming":
            self._on_incoming(event)
        elif call_id is None:
            return
        elif str(call_id) in self._calls:
            call = self._calls[str(call_id)]
            if event.get("type") == "call.state" and event.get("state") == State.ENDED:
                call._ending = True  # known now: its _run may get to it later
            call._deliver(event)
        elif str(call_id) in self._retired:
            logger.debug("dropping %s for call %s, which is over", event.get("type"), call_id)
        else:
            # Events may overtake the ack that tells us the call_id.
            self._orphans.setdefault(str(call_id), []).append(event)
            self._orphans.move_to_end(str(call_id))
            del self._orphans[str(call_id)][:-MAX_ORPHAN_EVENTS]
            while len(self._orphans) > MAX_ORPHAN_CALLS:
                self._orphans.popitem(last=False)

    def _on_incoming(self, event: Event) -> None:
        logger.warning("%s ignores call.incoming %s", self.role, event.get("call_id"))

    async def _place(self, to: str, kind: Media, fields: Mapping[str, Any]) -> Call:
        """``call.create`` with a real offer; the call once the server acknowledged it."""
        peer = self._new_media_peer(kind)
        try:
            offer = await peer.create_offer()
            request = {"type": "call.create", "to": to, "media": kind, "sdp": offer, **fields}
            ack = await self.signaling.request(request)
        except BaseException:
            await peer.close()
            raise
        call = Call(self, str(ack["call_id"]), role=self.role, media=kind, to=to, media_peer=peer)
        self._register(call)
        return call

    def _register(self, call: Call) -> None:
        old = self._calls.get(call.call_id)
        if old is not None:
            self._spawn(old._shutdown())
        self._calls[call.call_id] = call
        self._retired.pop(call.call_id, None)
        self._emit("call", call)
        for event in self._orphans.pop(call.call_id, []):
            call._deliver(event)

    def _retire(self, call: Call) -> None:
        """A call is over: forget it, and drop what still comes for it."""
        if self._calls.get(call.call_id) is call:
            del self._calls[call.call_id]
            self._retired[call.call_id] = None
            while len(self._retired) > MAX_RETIRED:
                self._retired.popitem(last=False)
        self._notifier.notify()

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float | None = None, what: str = ""
    ) -> T:
        """Wait until ``predicate()`` is true, re-checking after each event and
        each connection change; :class:`SignalingClosed` if it closed first."""

        def check() -> T | None:
            result = predicate()
            if not result and self.signaling.closed is not None:
                raise self.signaling.closed
            return result

        return await self._notifier.wait_for(
            check, self.options.timeout if timeout is None else timeout, what or "a condition"
        )

    async def wait_closed(self, timeout: float | None = None) -> SignalingClosed:
        """Wait until the server closes the connection for good; return why."""
        return await self._notifier.wait_for(
            lambda: self.signaling.closed,
            self.options.timeout if timeout is None else timeout,
            "the connection to close",
        )

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def close(self, hangup: bool = True) -> None:
        """Close every call and the connection. With ``hangup`` active calls
        are ended first (``call.end``); without, the server sees the
        connection drop: its calls end ``connection_lost`` once the server's
        resume grace period has passed (this client does not resume after
        its own close)."""
        if hangup and self.signaling.closed is None and self._dispatcher is not None:
            await asyncio.gather(
                *(self._hangup(call) for call in list(self._calls.values())),
                return_exceptions=True,
            )
        await self.signaling.close()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
        self._stream.close()
        calls = list(self._calls.values())
        await asyncio.gather(*(call._shutdown() for call in calls), return_exceptions=True)
        self._calls.clear()
        self._orphans.clear()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self._stop_listener_tasks()

    async def _hangup(self, call: Call) -> None:
        if call.state in CONNECTED_STATES or (self.role == Role.VISITOR and not call.ended):
            try:
                await asyncio.wait_for(call.end(), self.options.timeout)
            except (SupportCallError, TimeoutError) as exc:
                logger.info("hanging up %s on close: %s", call.call_id, exc)


class Visitor(Client):
    """An anonymous website visitor: logs in with a site key and calls agents."""

    role = Role.VISITOR

    def __init__(
        self,
        options: Options | str,
        site: str,
        display_name: str | None = None,
        context: Mapping[str, str] | None = None,
        identity_token: Callable[[], str] | None = None,
    ) -> None:
        """``identity_token``: makes a fresh identity token the site's backend signed, for a
        verified visitor; called before each login, since a token logs in once."""
        super().__init__(options)
        self.site = site
        self.display_name = display_name
        self.context = dict(context) if context is not None else None
        self.identity_token = identity_token

    @property
    def targets(self) -> list[str]:
        return list(self.login.get("targets") or [])

    async def _login(self) -> dict[str, Any]:
        token = self.identity_token() if self.identity_token is not None else None
        return await self.signaling.login_anonymous(
            self.site, self.display_name, self.context, token
        )

    async def call(
        self,
        to: str | None = None,
        media: Media | str = Media.AUDIO,
        check: Mapping[str, Any] | None = None,
    ) -> Call:
        """Place a call (``call.create``) with a real offer; returns once the
        server acknowledged it. ``to`` defaults to the login's first target;
        ``check`` (what :meth:`check` returned) is handed to the agent."""
        kind = check_media(media)
        if to is None:
            if not self.targets:
                raise SupportCallError("no target to call: the login returned none")
            to = self.targets[0]
        return await self._place(to, kind, {} if check is None else {"check": dict(check)})


class Agent(Client):
    """A registered support agent: logs in with a password and answers calls.

    Each incoming call is told to the ``"incoming"`` listeners (with its
    :class:`Call`) and waits for :meth:`next_incoming` while it is going.
    """

    role = Role.AGENT
    default_tone_hz = 660.0

    def __init__(self, options: Options | str, username: str, password: str) -> None:
        super().__init__(options)
        self.username = username
        self.password = password
        self._incoming: deque[Call] = deque()

    async def _login(self) -> dict[str, Any]:
        return await self.signaling.login_agent(self.username, self.password)

    async def call(
        self, to: str, media: Media | str = Media.AUDIO, consult_of: Call | None = None
    ) -> Call:
        """Call a colleague at ``to`` (``call.create``): this agent is the call's caller.
        ``consult_of``: the answered call, on hold, this is a consult about (see
        :meth:`Call.consult`)."""
        fields = {} if consult_of is None else {"consult_of": consult_of.call_id}
        return await self._place(to, check_media(media), fields)

    async def set_presence(self, status: Presence | str) -> dict[str, Any]:
        """``presence.set``: ``available`` or ``away``; returns the ack."""
        status = Presence(status)
        return await self.signaling.request({"type": "presence.set", "status": status})

    def _on_incoming(self, event: Event) -> None:
        known = self._calls.get(str(event["call_id"]))
        if known is not None and not known._ending:  # replayed on resume: the same call
            known._deliver(event)
            return
        # Else a new alert for a call whose part here ended (a transfer that came back).
        call = Call(
            self,
            str(event["call_id"]),
            role=self.role,
            media=check_media(str(event.get("media", Media.AUDIO))),
            to=event.get("to"),
            caller=event.get("from"),
            offer_sdp=event.get("sdp"),
        )
        self._register(call)
        call.transferred_by = event.get("transferred_by")
        call.notes = str(event.get("notes") or "")
        call.consult_of = event.get("consult_of")
        call._deliver(event)  # so that the call's events start with call.incoming
        if event.get("consulted"):
            # A consult this agent took, completed: it agreed already, so it answers at once.
            self._spawn(self._take_consulted(call))
        else:
            self._incoming.append(call)
        self._emit("incoming", call)

    async def _take_consulted(self, call: Call) -> None:
        try:
            await call.accept()
        except (SupportCallError, TimeoutError) as exc:
            # It rings on, and comes back to the agent who consulted if nobody takes it.
            logger.warning("could not take the consulted call %s: %s", call.call_id, exc)

    def _retire(self, call: Call) -> None:
        super()._retire(call)
        if call in self._incoming:
            self._incoming.remove(call)

    async def next_incoming(self, timeout: float | None = None) -> Call:
        """The oldest incoming call not taken yet, once the server reported its
        first state (``ringing``). A call that ended before it was taken is
        not returned."""
        timeout = self.options.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.wait_for(lambda: bool(self._incoming), timeout, "an incoming call")
        call = self._incoming.popleft()
        await call._notifier.wait_for(
            lambda: call.state is not None,
            max(0.0, deadline - loop.time()),
            f"the first state of incoming call {call.call_id}",
        )
        return call


__all__ = [
    "Agent",
    "Call",
    "Client",
    "Visitor",
    "parse_candidate",
    "wait_for_flow",
]
