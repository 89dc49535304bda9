"""Visitors, agents and their calls: the supportcall contract on top of aiortc.

::

    visitor = Visitor(server="http://127.0.0.1:8000", site="demo", display_name="Ada")
    await visitor.connect()
    call = await visitor.call(media="audio")
    await call.wait_for_state("in_call", timeout=10)
    await call.hold()
    ...
    await visitor.close()

Every wait has a timeout and fails with ``TimeoutError``, :class:`CallEnded`
or :class:`SignalingClosed` instead of hanging. Each :class:`Call` owns its
peer connection and closes it when the call ends; :meth:`Client.close`
closes everything that is left.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any, Self, TypeVar

from aiortc import RTCPeerConnection
from aiortc.sdp import candidate_from_sdp

from .errors import CallEnded, CallError, SignalingClosed, SupportCallError
from .peer import MediaPeer, Reoffer, check_media
from .signaling import DEFAULT_TIMEOUT, Signaling

logger = logging.getLogger(__name__)

T = TypeVar("T")
EventCallback = Callable[[dict[str, Any]], None]

DEFAULT_OP_TIMEOUT = 20.0
ACTIVE_STATES = ("in_call", "on_hold", "remotely_held", "on_double_hold")
# Operations after which this party's call is over: their op.result may come
# after call.state "ended", so ending must not fail them.
ENDING_OPS = ("end", "reject", "ignore", "forward")


@dataclasses.dataclass(frozen=True)
class OpResult:
    """How an operation finished (``op.result``)."""

    op: str
    ok: bool
    code: str | None = None
    message: str | None = None

    def raise_for_error(self) -> OpResult:
        if not self.ok:
            raise CallError(self.code or "error", self.message or f"{self.op} failed")
        return self


@dataclasses.dataclass(eq=False)
class _PendingReoffer:
    """A re-offer sent to the server; ``result`` holds an ``op.result`` that
    overtook the answer."""

    reoffer: Reoffer
    result: OpResult | None = None


class _Notifier:
    """Wakes every waiter whenever something changed; waiters re-check."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                pass


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
    growth: list[float] = []
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


class Call:
    """One call, seen from this party.

    ``states`` is the whole history of this party's states as the server
    reported them; ``events`` every server event for this call, in order.
    """

    def __init__(
        self,
        client: Client,
        call_id: str,
        *,
        role: str,
        media: str,
        to: str | None = None,
        caller: dict[str, Any] | None = None,
        offer_sdp: str | None = None,
        media_peer: MediaPeer | None = None,
    ) -> None:
        self.client = client
        self.call_id = call_id
        self.role = role
        self.media = media
        self.to = to
        self.caller = caller
        self.offer_sdp = offer_sdp
        self.states: list[str] = []
        self.ended_seen = False
        # The other party's signaling connection, as the server reported it.
        self.remote_connection: list[str] = []
        self.end_reason: str | None = None
        self.remote_media: dict[str, bool] | None = None
        self.queue_position: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []
        self.errors: list[Exception] = []
        self.on_event: EventCallback | None = None
        self._media = media_peer
        # None asks the task to stop: cancelling it could land inside aiortc.
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._notifier = _Notifier()
        self._ops: dict[str, list[asyncio.Future[OpResult]]] = {}
        self._reoffers: list[_PendingReoffer] = []
        self._candidates: list[dict[str, Any] | None] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._task = asyncio.create_task(self._run(), name=f"supportcall-call-{call_id}")

    def __repr__(self) -> str:
        return f"<Call {self.call_id} {self.role} {self.media} {self.state}>"

    # -- what the call looks like --------------------------------------------

    @property
    def state(self) -> str | None:
        return self.states[-1] if self.states else None

    @property
    def ended(self) -> bool:
        return self.state == "ended"

    @property
    def pc(self) -> RTCPeerConnection | None:
        return self._media.pc if self._media else None

    @property
    def media_peer(self) -> MediaPeer | None:
        return self._media

    @property
    def muted(self) -> bool:
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

    # -- waiting -------------------------------------------------------------

    def _check_alive(self, allow_ended: bool = False) -> None:
        if self.ended and not allow_ended:
            raise CallEnded(self.end_reason)
        closed = self.client.signaling.closed
        if closed is not None:
            raise closed

    async def wait_for_state(self, state: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait until the call's *current* state is ``state``; return its
        ``call.state`` event. :class:`CallEnded` if it ends first."""

        def reached() -> dict[str, Any] | None:
            if self.state == state:
                return next(
                    e
                    for e in reversed(self.events)
                    if e.get("type") == "call.state" and e.get("state") == state
                )
            self._check_alive()
            return None

        return await self._notifier.wait_for(
            reached,
            self.client.timeout if timeout is None else timeout,
            f"call {self.call_id} to be {state} (states so far {self.states})",
        )

    async def wait_for_event(
        self, type: str, timeout: float | None = None, *, after: int = 0, **fields: Any
    ) -> dict[str, Any]:
        """The first event of ``type`` (with these ``fields``) at index
        ``after`` or later in :attr:`events`, waiting for it if needed."""

        def found() -> dict[str, Any] | None:
            for event in self.events[after:]:
                if event.get("type") == type and all(event.get(k) == v for k, v in fields.items()):
                    return event
            self._check_alive(allow_ended=True)
            return None

        return await self._notifier.wait_for(
            found,
            self.client.timeout if timeout is None else timeout,
            f"{type} {fields or ''} on call {self.call_id}",
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

    # -- operations ------------------------------------------------------------

    async def accept(self, video: bool = False) -> OpResult:
        """Answer the caller's offer with a real peer connection (agent)."""
        if self.offer_sdp is None:
            raise SupportCallError("only an incoming call can be accepted")
        if self._media is None:
            self._media = self.client._new_media_peer(self.media)
        media = self._media
        try:
            answer = await media.accept_offer(self.offer_sdp, video=video)
            await self._flush_candidates()
            result = await self._operation("accept", {"video": video, "sdp": answer})
        except BaseException:
            await self._drop_media(media)
            raise
        if not result.ok:
            await self._drop_media(media)
        return result

    async def reject(self) -> OpResult:
        return await self._operation("reject")

    async def ignore(self) -> OpResult:
        return await self._operation("ignore")

    async def forward(self, to: str) -> OpResult:
        return await self._operation("forward", {"to": to})

    async def end(self) -> OpResult:
        return await self._operation("end")

    async def hold(self) -> OpResult:
        return await self._reoffer_operation("hold")

    async def unhold(self) -> OpResult:
        return await self._reoffer_operation("unhold")

    async def video_start(self) -> OpResult:
        return await self._reoffer_operation("video_start")

    async def video_stop(self) -> OpResult:
        return await self._reoffer_operation("video_stop")

    async def restart_media(self) -> OpResult:
        """``call.restart_media``: re-negotiate after a network change (see peer.REOFFER_OPS)."""
        return await self._reoffer_operation("restart_media")

    async def mute(self) -> OpResult:
        return await self._operation("mute")

    async def unmute(self) -> OpResult:
        return await self._operation("unmute")

    async def _reoffer_operation(self, op: str) -> OpResult:
        if self._media is None:
            raise SupportCallError(f"call {self.call_id} has no media to {op}")
        pending = _PendingReoffer(await self._media.create_reoffer(op))
        self._reoffers.append(pending)
        try:
            return await self._operation(op, {"sdp": pending.reoffer.offer.sdp})
        finally:
            if pending in self._reoffers:
                # Refused, failed or abandoned: it was never applied, so the
                # peer connection has nothing to roll back.
                self._reoffers.remove(pending)

    async def _operation(self, op: str, fields: Mapping[str, Any] | None = None) -> OpResult:
        # The future exists before the request is sent: op.result may be
        # processed before the ack reaches this coroutine.
        future: asyncio.Future[OpResult] = asyncio.get_running_loop().create_future()
        self._ops.setdefault(op, []).append(future)
        try:
            await self.client.signaling.request(
                {"type": f"call.{op}", "call_id": self.call_id, **(fields or {})}
            )
            timeout = self.client.op_timeout
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout)
            except TimeoutError as exc:
                raise TimeoutError(
                    f"no op.result for {op} on call {self.call_id} within {timeout}s"
                ) from exc
        finally:
            if future in self._ops.get(op, []):
                self._ops[op].remove(future)

    def _finish_op(self, result: OpResult) -> None:
        futures = self._ops.get(result.op) or []
        while futures:
            future = futures.pop(0)
            if not future.done():
                future.set_result(result)
                return

    # -- events ------------------------------------------------------------------

    def _deliver(self, event: dict[str, Any]) -> None:
        self._inbox.put_nowait(event)

    async def _run(self) -> None:
        while True:
            event = await self._inbox.get()
            if event is None:
                return
            self.events.append(event)
            try:
                await self._apply(event)
            except Exception as exc:
                logger.exception("call %s: handling %s failed", self.call_id, event.get("type"))
                self.errors.append(exc)
            self._notifier.notify()
            for callback in (self.on_event, self.client.on_event):
                if callback is not None:
                    try:
                        callback(event)
                    except Exception:
                        logger.exception("on_event callback failed")

    async def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "call.state":
            resumed = bool(event.get("resumed"))
            if not (resumed and self.states and self.states[-1] == event.get("state")):
                self.states.append(str(event.get("state")))
            if resumed and event.get("answer_sdp"):
                await self._on_missed_answer(str(event["answer_sdp"]))
            if event.get("state") == "ended" and not self.ended_seen:
                self.ended_seen = True
                self.end_reason = event.get("reason")
                await self._on_ended()
        elif kind == "op.result":
            await self._on_op_result(event)
        elif kind == "call.answer":
            await self._on_answer(str(event.get("sdp", "")))
        elif kind == "call.offer":
            await self._on_offer(event.get("op"), str(event.get("sdp", "")))
        elif kind == "ice.candidate":
            self._candidates.append(event.get("candidate"))
            await self._flush_candidates()
        elif kind == "call.media":
            self.remote_media = {
                "muted": bool(event.get("muted")),
                "video": bool(event.get("video")),
            }
            if "connection" in event:
                # The other party's signaling: "reconnecting", then "connected" again.
                self.remote_connection.append(str(event["connection"]))
        elif kind == "queue.position":
            self.queue_position = event

    async def _on_op_result(self, event: dict[str, Any]) -> None:
        result = OpResult(
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
            if result.op == "mute":
                self._media.mute()
            elif result.op == "unmute":
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

    async def _send_answer(self, sdp: str) -> None:
        try:
            await self.client.signaling.request(
                {"type": "call.answer", "call_id": self.call_id, "sdp": sdp}
            )
        except (SupportCallError, TimeoutError) as exc:
            logger.warning("call %s: call.answer failed: %s", self.call_id, exc)
            self.errors.append(exc)
            self._notifier.notify()

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

    async def _on_ended(self) -> None:
        for op, futures in self._ops.items():
            if op in ENDING_OPS:
                continue
            for future in futures:
                if not future.done():
                    future.set_exception(CallEnded(self.end_reason))
        self._reoffers.clear()
        if self._media is not None:
            await self._media.close()

    async def _drop_media(self, media: MediaPeer) -> None:
        await media.close()
        if self._media is media and not self.ended:
            self._media = None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _shutdown(self) -> None:
        self._inbox.put_nowait(None)
        done, _ = await asyncio.wait([self._task], timeout=self.client.timeout)
        tasks = [*self._background] + ([] if done else [self._task])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for futures in self._ops.values():
            for future in futures:
                if not future.done():
                    future.set_exception(CallEnded(self.end_reason or "closed"))
        if self._media is not None:
            await self._media.close()


def parse_candidate(candidate: Mapping[str, Any] | None) -> Any:
    """A browser-style candidate object (or ``None``) as an aiortc candidate."""
    if not candidate or not candidate.get("candidate"):
        return None  # end-of-candidates
    text = str(candidate["candidate"])
    result = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:") else text)
    result.sdpMid = candidate.get("sdpMid")
    result.sdpMLineIndex = candidate.get("sdpMLineIndex")
    return result


class Client:
    """What visitors and agents share: one signaling connection, its calls,
    and the events that arrive on it."""

    role = "client"

    def __init__(
        self,
        server: str,
        *,
        tone_hz: float = 440.0,
        timeout: float = DEFAULT_TIMEOUT,
        op_timeout: float = DEFAULT_OP_TIMEOUT,
        fallbacks: list[str] | None = None,
        resume: bool = True,
    ) -> None:
        self.server = server
        self.tone_hz = tone_hz
        self.timeout = timeout
        self.op_timeout = op_timeout
        self.signaling = Signaling(server, timeout=timeout, resume=resume, fallbacks=fallbacks)
        # "reconnecting" / "reconnected", as this client's signaling dropped and came back.
        self.connection_history: list[str] = []
        self.login: dict[str, Any] = {}
        self.hello: dict[str, Any] = {}
        self.calls: dict[str, Call] = {}
        self.events: list[dict[str, Any]] = []
        self.on_event: EventCallback | None = None
        self._orphans: dict[str, list[dict[str, Any]]] = {}
        self._notifier = _Notifier()
        self._dispatcher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    @property
    def identity(self) -> str | None:
        return self.hello.get("identity") or self.login.get("identity")

    @property
    def ice_servers(self) -> list[dict[str, Any]]:
        # hello is newer than the login response; both are the server's word.
        servers = self.hello.get("ice_servers", self.login.get("ice_servers"))
        return list(servers or [])

    async def _login(self) -> dict[str, Any]:
        raise NotImplementedError

    async def connect(self) -> dict[str, Any]:
        """Log in, open and authenticate the WebSocket; return ``hello``."""
        self.login = await self._login()
        self.hello = await self.signaling.connect(self.login)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="supportcall-dispatch")
        return self.hello

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _new_media_peer(self, media: str) -> MediaPeer:
        return MediaPeer(media, ice_servers=self.ice_servers, tone_hz=self.tone_hz)

    # -- events --------------------------------------------------------------

    async def _dispatch(self) -> None:
        while True:
            try:
                event = await self.signaling.receive()
            except SignalingClosed:
                break
            self.events.append(event)
            try:
                self._route(event)
            except Exception:
                logger.exception("routing %s failed", event.get("type"))
            self._notifier.notify()
        self._notifier.notify()
        for call in self.calls.values():
            call._notifier.notify()

    def _route(self, event: dict[str, Any]) -> None:
        call_id = event.get("call_id")
        if event.get("type") in ("signaling.reconnecting", "signaling.reconnected"):
            self.connection_history.append(str(event["type"]).partition(".")[2])
            if event.get("hello"):
                self.hello = event["hello"]
        if event.get("type") == "call.incoming":
            self._on_incoming(event)
        elif call_id is None:
            if self.on_event is not None:
                self.on_event(event)
        elif str(call_id) in self.calls:
            self.calls[str(call_id)]._deliver(event)
        else:
            # Events may overtake the ack that tells us the call_id.
            self._orphans.setdefault(str(call_id), []).append(event)

    def _on_incoming(self, event: dict[str, Any]) -> None:
        logger.warning("%s ignores call.incoming %s", self.role, event.get("call_id"))

    def _register(self, call: Call) -> None:
        old = self.calls.get(call.call_id)
        if old is not None:
            self._spawn(old._shutdown())
        self.calls[call.call_id] = call
        for event in self._orphans.pop(call.call_id, []):
            call._deliver(event)

    async def wait_for_event(
        self, type: str, timeout: float | None = None, *, after: int = 0, **fields: Any
    ) -> dict[str, Any]:
        """The first event of ``type`` (with these ``fields``) at index
        ``after`` or later in :attr:`events` (every event, any call)."""

        def found() -> dict[str, Any] | None:
            for event in self.events[after:]:
                if event.get("type") == type and all(event.get(k) == v for k, v in fields.items()):
                    return event
            if self.signaling.closed is not None:
                raise self.signaling.closed
            return None

        return await self._notifier.wait_for(
            found, self.timeout if timeout is None else timeout, f"{type} {fields or ''}"
        )

    async def wait_closed(self, timeout: float | None = None) -> SignalingClosed:
        """Wait until the server closes the connection; return why."""
        return await self._notifier.wait_for(
            lambda: self.signaling.closed,
            self.timeout if timeout is None else timeout,
            "the connection to close",
        )

    def forget(self, call: Call) -> None:
        """Drop an ended call (long-running bots), closing what it still holds."""
        if self.calls.get(call.call_id) is call:
            del self.calls[call.call_id]
        self._spawn(call._shutdown())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self, hangup: bool = True) -> None:
        """Close every call and the connection. With ``hangup`` active calls
        are ended first (``call.end``); without, the server sees the
        connection drop: its calls end ``connection_lost`` once the server's
        resume grace period has passed (this client does not resume after
        its own close)."""
        if hangup and self.signaling.closed is None and self._dispatcher is not None:
            await asyncio.gather(
                *(self._hangup(call) for call in list(self.calls.values())),
                return_exceptions=True,
            )
        await self.signaling.close()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
        calls, self.calls = list(self.calls.values()), {}
        await asyncio.gather(*(call._shutdown() for call in calls), return_exceptions=True)
        await asyncio.gather(*self._background, return_exceptions=True)

    async def _hangup(self, call: Call) -> None:
        if call.state in ACTIVE_STATES or (self.role == "visitor" and not call.ended):
            try:
                await asyncio.wait_for(call.end(), self.timeout)
            except (SupportCallError, TimeoutError) as exc:
                logger.info("hanging up %s on close: %s", call.call_id, exc)


class Visitor(Client):
    """An anonymous website visitor: logs in with a site key and calls agents."""

    role = "visitor"

    def __init__(
        self,
        server: str,
        site: str,
        display_name: str | None = None,
        context: Mapping[str, str] | None = None,
        *,
        tone_hz: float = 440.0,
        timeout: float = DEFAULT_TIMEOUT,
        op_timeout: float = DEFAULT_OP_TIMEOUT,
        fallbacks: list[str] | None = None,
        resume: bool = True,
    ) -> None:
        super().__init__(
            server,
            tone_hz=tone_hz,
            timeout=timeout,
            op_timeout=op_timeout,
            fallbacks=fallbacks,
            resume=resume,
        )
        self.site = site
        self.display_name = display_name
        self.context = dict(context) if context is not None else None

    @property
    def targets(self) -> list[str]:
        return list(self.login.get("targets") or [])

    async def _login(self) -> dict[str, Any]:
        return await self.signaling.login_anonymous(self.site, self.display_name, self.context)

    async def call(self, to: str | None = None, media: str = "audio") -> Call:
        """Place a call (``call.create``) with a real offer; returns once the
        server acknowledged it. ``to`` defaults to the login's first target."""
        check_media(media)
        if to is None:
            if not self.targets:
                raise SupportCallError("no target to call: the login returned none")
            to = self.targets[0]
        peer = self._new_media_peer(media)
        try:
            offer = await peer.create_offer()
            ack = await self.signaling.request(
                {"type": "call.create", "to": to, "media": media, "sdp": offer}
            )
        except BaseException:
            await peer.close()
            raise
        call = Call(self, str(ack["call_id"]), role="visitor", media=media, to=to, media_peer=peer)
        self._register(call)
        return call


class Agent(Client):
    """A registered support agent: logs in with a password and answers calls."""

    role = "agent"

    def __init__(
        self,
        server: str,
        username: str,
        password: str,
        *,
        tone_hz: float = 660.0,
        timeout: float = DEFAULT_TIMEOUT,
        op_timeout: float = DEFAULT_OP_TIMEOUT,
        fallbacks: list[str] | None = None,
        resume: bool = True,
    ) -> None:
        super().__init__(
            server,
            tone_hz=tone_hz,
            timeout=timeout,
            op_timeout=op_timeout,
            fallbacks=fallbacks,
            resume=resume,
        )
        self.username = username
        self.password = password
        self.incoming: list[Call] = []

    async def _login(self) -> dict[str, Any]:
        return await self.signaling.login_agent(self.username, self.password)

    async def set_presence(self, status: str) -> dict[str, Any]:
        """``presence.set``: ``"available"`` or ``"away"``; returns the ack."""
        return await self.signaling.request({"type": "presence.set", "status": status})

    def _on_incoming(self, event: dict[str, Any]) -> None:
        if str(event["call_id"]) in self.calls:  # replayed on resume: still the same call
            self.calls[str(event["call_id"])]._deliver(event)
            return
        call = Call(
            self,
            str(event["call_id"]),
            role="agent",
            media=str(event.get("media", "audio")),
            to=event.get("to"),
            caller=event.get("from"),
            offer_sdp=event.get("sdp"),
        )
        self._register(call)
        call._deliver(event)  # so that call.events starts with call.incoming
        self.incoming.append(call)

    async def next_incoming(self, timeout: float | None = None) -> Call:
        """The next incoming call, once the server reported its first state
        (``ringing``)."""
        timeout = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def arrived() -> bool:
            if not self.incoming and self.signaling.closed is not None:
                raise self.signaling.closed
            return bool(self.incoming)

        await self._notifier.wait_for(arrived, timeout, "an incoming call")
        call = self.incoming.pop(0)
        await call._notifier.wait_for(
            lambda: bool(call.states),
            max(0.0, deadline - loop.time()),
            f"the first state of incoming call {call.call_id}",
        )
        return call


__all__ = [
    "Agent",
    "Call",
    "Client",
    "OpResult",
    "Visitor",
    "parse_candidate",
    "wait_for_flow",
]
