"""Call records: the database is the authority on every call's state.

A ``Call`` row holds the phase and the facts each party's state is derived
from (who holds, who is muted, who sends video, the operation in progress).
Each transition locks the row, runs the pure state machine and saves the
result, and appends a ``CallEvent``. Deadlines (ringing, waiting for an
answer to a re-offer) are columns a sweeper acts on.
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportcall.vocabulary import Media, Op, Reason

from . import machine
from .machine import LegStatus, Party, Phase, TransferStage


class Disposition(models.Model):
    """An outcome an agent picks for a call during wrap-up: one queue's, or shared by all."""

    queue = models.ForeignKey(
        "directory.Queue",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dispositions",
        help_text=_("Empty: offered for every queue's calls (and direct calls)."),
    )
    label = models.CharField(max_length=100)
    active = models.BooleanField(default=True, help_text=_("Offered to agents."))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.queue.name})" if self.queue else self.label


class Call(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # None for a call between agents (caller_agent), which no site's visitor made.
    site = models.ForeignKey(
        "directory.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    caller_agent = models.ForeignKey(
        "directory.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="placed_calls",
        help_text=_("The agent who called (a call between agents)."),
    )
    consult_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consults",
        help_text=_("The held call this agent consults a colleague about."),
    )

    caller_identity = models.CharField(max_length=254)
    caller_display_name = models.CharField(max_length=100, blank=True)
    caller_context = models.JSONField(default=dict, blank=True)
    # What the site's backend signed about a verified caller (sub, name, email,
    # attributes; tokens.identity), or None: apart from the page's unsigned context.
    caller_verified = models.JSONField(null=True, blank=True, default=None)
    # The caller's check before the call (supportcall/precall/): its facts and the
    # server's verdict of them, or None if it called without one.
    caller_check = models.JSONField(null=True, blank=True, default=None)
    target = models.CharField(max_length=254, help_text=_("The address the caller called."))
    queue = models.ForeignKey(
        "directory.Queue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        help_text=_("The queue the call is routed through now (none for a direct call)."),
    )
    media = models.CharField(max_length=16, choices=[(m.value, m.value) for m in Media])
    agent = models.ForeignKey(
        "directory.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        help_text=_("The agent who answered."),
    )

    phase = models.CharField(
        max_length=16, choices=[(p.value, p.value) for p in Phase], default=Phase.INITIATED
    )
    held_by_caller = models.BooleanField(default=False)
    held_by_agent = models.BooleanField(default=False)
    caller_muted = models.BooleanField(default=False)
    agent_muted = models.BooleanField(default=False)
    caller_video = models.BooleanField(default=False)
    agent_video = models.BooleanField(default=False)
    # The visitor's screen (docs/protocol.md, "The visitor's screen"): whether it is shared;
    # the mid of its m-line once a screen_start added one (it stays for the rest of the
    # call); when the agent last asked to share or to stop, while the visitor has not
    # answered (screen.ask, screen.ask_stop).
    caller_screen = models.BooleanField(default=False)
    screen_mid = models.CharField(max_length=64, blank=True)
    screen_asked = models.DateTimeField(null=True, blank=True)

    # The operation in progress: a re-offer waiting for the other party's answer.
    op = models.CharField(max_length=16, blank=True)
    op_by = models.CharField(max_length=8, blank=True)
    op_sdp = models.TextField(blank=True)
    op_deadline = models.DateTimeField(null=True, blank=True)
    ring_deadline = models.DateTimeField(
        null=True, blank=True, help_text=_("A direct call to an agent ends no_answer then.")
    )
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the call first waited in its queue (FIFO order).")
    )
    wait_deadline = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("The queue's maximum wait: unanswered by then, no_answer."),
    )
    position = models.JSONField(
        default=dict, blank=True, help_text=_("The last queue.position sent to the caller.")
    )

    offer_sdp = models.TextField(help_text=_("The caller's original offer."))
    answer_sdp = models.TextField(blank=True)
    caller_candidates = models.JSONField(
        default=list, blank=True, help_text=_("The caller's ICE candidates before the answer.")
    )
    # Where each party's connection is: events go to these Channels channels.
    caller_channel = models.CharField(max_length=200, blank=True)
    agent_channel = models.CharField(max_length=200, blank=True)
    # Counts the changes of where candidates go (answer, resume, end): connections that
    # relay them without the database keep only the newest (see routes.py).
    route_version = models.PositiveIntegerField(default=0)

    created = models.DateTimeField(auto_now_add=True)
    answered = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True, help_text=_("As the caller saw it."))
    ended_by = models.CharField(max_length=8, blank=True, help_text=_("caller, agent or system"))
    # After-call work: what the agent recorded, and when its wrap-up ended.
    disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    notes = models.TextField(blank=True, help_text=_("SUPPORTCALL_WRAP_UP_NOTES characters."))
    wrap_up_ended = models.DateTimeField(null=True, blank=True)
    # The visitor's rating (call.rate): 1 to 5 stars, an optional comment, when it came.
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("The visitor's stars, 1 to 5."),
    )
    rating_comment = models.TextField(blank=True, help_text=_("The visitor's words, as sent."))
    rated_at = models.DateTimeField(null=True, blank=True)
    # Blind transfer (call.transfer): who handed the call on last (kept for the record),
    # and where a transfer going on stands ("" once none is).
    transferred_by = models.ForeignKey(
        "directory.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transferred_calls",
        help_text=_("The agent who last transferred the call."),
    )
    transfer_to = models.CharField(
        max_length=254, blank=True, help_text=_("The address the call was last transferred to.")
    )
    transfer_stage = models.CharField(
        max_length=8, blank=True, choices=[(t.value, t.value) for t in TransferStage]
    )
    # The transfer going on completes a consult (call.complete): its target agreed.
    transfer_warm = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["phase", "op_deadline"]),
            models.Index(fields=["phase", "ring_deadline"]),
            models.Index(fields=["phase", "wait_deadline"]),
            models.Index(fields=["queue", "phase", "queued_at"]),
            models.Index(fields=["queue", "created"]),  # the team's figures for a day
            models.Index(fields=["caller_channel"]),
            # The open-call limits (operations.create_call) count by these.
            models.Index(fields=["caller_identity", "phase"]),
            models.Index(fields=["site", "phase"]),
            models.Index(fields=["agent_channel"]),
            # The read API's lists (supportcall/api/): a site's, an agent's, an outcome's
            # calls, newest first.
            models.Index(fields=["site", "created"]),
            models.Index(fields=["agent", "created"]),
            models.Index(fields=["end_reason", "created"]),
            # Callers who left a queue and whose agents were not told yet (distribution.
            # positions clears them at once): a small index, whatever the calls of the day.
            models.Index(
                fields=["queue", "queued_at"],
                condition=~models.Q(phase="queued") & ~models.Q(position={}),
                name="calls_call_left_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller_identity} → {self.target} ({self.phase})"

    def state(self, legs: tuple[machine.Leg, ...] | None = None) -> machine.CallState:
        """The pure state machine's view of this row and its legs (read unless given)."""

        def parties(caller: bool, agent: bool) -> frozenset[Party]:
            return frozenset(p for p, on in ((Party.CALLER, caller), (Party.AGENT, agent)) if on)

        if legs is None:
            rows = () if self._state.adding else self.legs.order_by("started", "pk")
            legs = tuple(
                machine.Leg(
                    leg.agent_id, LegStatus(leg.status), Reason(leg.reason) if leg.reason else None
                )
                for leg in rows
            )
        return machine.CallState(
            phase=Phase(self.phase),
            media=Media(self.media),
            held=parties(self.held_by_caller, self.held_by_agent),
            muted=parties(self.caller_muted, self.agent_muted),
            video=parties(self.caller_video, self.agent_video),
            pending=machine.Pending(Op(self.op), Party(self.op_by)) if self.op else None,
            screen=self.caller_screen,
            via_queue=self.queue_id is not None,
            legs=legs,
            transfer=machine.Transfer(
                self.transferred_by_id, TransferStage(self.transfer_stage), self.transfer_warm
            )
            if self.transfer_stage and self.transferred_by_id
            else None,
            from_agent=self.caller_agent_id is not None,
            consult=self.consult_of_id is not None,
        )

    def apply(self, call: machine.CallState) -> None:
        """Copy the state machine's call onto this row (not saved; legs are rows of their own,
        written as the step's effects say)."""
        self.phase = call.phase
        self.held_by_caller, self.held_by_agent = (p in call.held for p in Party)
        self.caller_muted, self.agent_muted = (p in call.muted for p in Party)
        self.caller_video, self.agent_video = (p in call.video for p in Party)
        self.transfer_stage = call.transfer.stage if call.transfer else ""
        self.transfer_warm = call.transfer.warm if call.transfer else False
        if call.transfer is not None:
            self.transferred_by_id = call.transfer.by
        self.caller_screen = call.screen
        if call.pending is None:
            self.op = self.op_by = self.op_sdp = ""
            self.op_deadline = None
        else:
            self.op, self.op_by = call.pending.op, call.pending.by

    def channel_of(self, party: Party) -> str:
        return self.caller_channel if party is Party.CALLER else self.agent_channel

    def end_reason_for(self, party: Party) -> str:
        """How the ended call ended for ``party`` (the row keeps the caller's reason)."""
        if not self.end_reason:
            return ""
        return machine.reason_seen_by(party, Reason(self.end_reason))


class Leg(models.Model):
    """One agent being rung for a call, and how that ended for the agent."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="legs")
    agent = models.ForeignKey("directory.Agent", on_delete=models.CASCADE, related_name="legs")
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in LegStatus], default=LegStatus.RINGING
    )
    reason = models.CharField(max_length=32, blank=True)
    started = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(
        null=True, blank=True, help_text=_("In a queue: the ringing moves on then.")
    )
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started"]
        indexes = [
            models.Index(fields=["agent", "status"]),
            models.Index(fields=["status", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.status} {self.reason}".strip()


class WrapUp(models.Model):
    """An agent in after-call work: not rung until ``until`` (None: until it says it is
    ready), when the sweeper ends it. One row per agent; no row, no wrap-up."""

    agent = models.OneToOneField(
        "directory.Agent", on_delete=models.CASCADE, related_name="wrap_up"
    )
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="wrap_ups")
    started = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)
    extended = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["until"])]

    def __str__(self) -> str:
        return f"{self.agent} after {self.call_id}"


class CallEvent(models.Model):
    """An append-only log line: every transition, operation and routing decision."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=254, help_text=_("An address, or 'system'."))
    name = models.CharField(max_length=32, help_text=_("What happened: create, ring, hold, ..."))
    phase_before = models.CharField(max_length=16, blank=True)
    phase_after = models.CharField(max_length=16, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.actor} {self.name}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("call events are append-only")
        super().save(*args, **kwargs)


class ChatMessage(models.Model):
    """A text message between the parties of an answered call, kept on its record.

    ``seq`` numbers a call's messages from 1 in the order the server took them
    (under the call's row lock), so both parties and the admin read one order.
    The text is stored as sent: HTML in it is text, which every client escapes.
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="chat")
    seq = models.PositiveIntegerField()
    sender = models.CharField(
        max_length=8, choices=[(p.value, p.value) for p in Party], help_text=_("caller or agent")
    )
    display_name = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    client_id = models.CharField(
        max_length=64, blank=True, help_text=_("The sender's own id: a retry is not a new message.")
    )
    sent = models.DateTimeField()
    # A file sent in the chat (its ChatFile, until retention deletes it); ``text`` is its name.
    is_file = models.BooleanField(default=False)

    class Meta:
        ordering = ["call", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["call", "seq"], name="calls_chat_call_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.sender}: {self.text[:40]}"


class ChatFile(models.Model):
    """A file a party sent in the call's chat (chat.upload, then the upload's POST).

    Its bytes are in Django's storage (``storage_name``); its ``message`` puts it in
    the chat's order. Deleting the row deletes the stored bytes (signals.py).
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="files")
    message = models.OneToOneField(
        ChatMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="file"
    )
    sender = models.CharField(
        max_length=8, choices=[(p.value, p.value) for p in Party], help_text=_("caller or agent")
    )
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=300)
    created = models.DateTimeField()

    class Meta:
        ordering = ["call", "created"]
        indexes = [models.Index(fields=["created"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type}, {self.size} bytes)"


class UsedUploadToken(models.Model):
    """An upload token already spent: a token is good for one file (kept until it expires)."""

    nonce = models.CharField(max_length=64, primary_key=True)
    expires = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.nonce


class Connection(models.Model):
    """A WebSocket, live or dropped within its grace period.

    An agent with a row is online (so an agent whose Wi-Fi drops keeps its
    presence while it may come back). ``process`` is the server process
    holding the socket, which vouches for all its connections at once in its
    own ``ServerProcess`` row: a process that stops doing so (it was killed)
    has its connections treated as dropped. A dropped row's ``grace_until``
    is the reconnect deadline the sweeper acts on: past it, the party's calls
    end ``connection_lost`` and the row goes.
    """

    channel_name = models.CharField(max_length=200, primary_key=True)
    role = models.CharField(max_length=16)
    identity = models.CharField(max_length=254)
    agent = models.ForeignKey(
        "directory.Agent",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="connections",
    )
    opened = models.DateTimeField(auto_now_add=True)
    process = models.CharField(
        max_length=64, blank=True, help_text=_("The server process holding it.")
    )
    grace_until = models.DateTimeField(
        null=True, blank=True, help_text=_("Dropped: resumable until then, then its calls end.")
    )
    resync = models.BooleanField(
        default=False,
        help_text=_("Events to it were lost: its process closes it so that its client resumes."),
    )

    class Meta:
        indexes = [
            models.Index(fields=["grace_until"]),
            models.Index(fields=["process", "grace_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.identity} on {self.channel_name}"


class ServerProcess(models.Model):
    """A server process that holds WebSockets, vouching for all of them in one row.

    Its sweeper refreshes ``last_seen`` every sweep, whatever the number of
    its connections. A row older than SUPPORTCALL_PROCESS_TIMEOUT means the
    process died: any sweeper drops its connections and deletes the row.
    """

    id = models.CharField(max_length=64, primary_key=True)
    started = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["last_seen"])]

    def __str__(self) -> str:
        return f"process {self.id} (seen {self.last_seen:%H:%M:%S})"
