"""Who can be called, and from where: sites, queues and agents.

Every callable party has an address ``name@<SUPPORTCALL_DOMAIN>``: an agent is
its Django username, a queue its name.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from supportcall import vocabulary

from .hours import Schedule, Span

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

slug_name = RegexValidator(
    r"^[a-z0-9][a-z0-9_.-]{0,63}$",
    _("Use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."),
)


def address(name: str) -> str:
    return f"{name}@{settings.SUPPORTCALL_DOMAIN}"


def split_address(value: str) -> str | None:
    """The name part of an address in our domain, or None for anything else."""
    name, at, domain = value.partition("@")
    if not at or not name or domain.lower() != settings.SUPPORTCALL_DOMAIN.lower():
        return None
    return name


def normalize_origin(value: str) -> str:
    """``scheme://host[:port]`` as browsers send it in the Origin header."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            gettext("%(value)r is not an origin like https://shop.example.com") % {"value": value}
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(
            gettext("%(value)r is not an origin: drop the path") % {"value": value}
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def valid_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            gettext("%(value)r is not a time zone like Europe/Paris") % {"value": value}
        )


def default_wrap_up() -> int | None:
    """A new queue's wrap-up time: SUPPORTCALL_WRAP_UP_DEFAULT (None: no wrap-up)."""
    return settings.SUPPORTCALL_WRAP_UP_DEFAULT


def valid_wrap_up(value: int | None) -> None:
    if value is not None and value > settings.SUPPORTCALL_WRAP_UP_MAX:
        raise ValidationError(
            gettext("At most %(max)d seconds (SUPPORTCALL_WRAP_UP_MAX).")
            % {"max": settings.SUPPORTCALL_WRAP_UP_MAX}
        )


class Queue(models.Model):
    """A line visitors can call: how it rings its agents, how long callers wait, when it is open."""

    class Strategy(models.TextChoices):
        RING_ALL = "ring_all", _("Ring all available agents at once")
        LONGEST_IDLE = "longest_idle", _("Ring the agent idle longest, then the next")

    name = models.CharField(max_length=64, unique=True, validators=[slug_name])
    display_name = models.CharField(max_length=200, blank=True)
    strategy = models.CharField(max_length=16, choices=Strategy.choices, default=Strategy.RING_ALL)
    ring_timeout = models.PositiveIntegerField(
        default=20, help_text=_("Seconds an agent is rung before the call moves on.")
    )
    max_wait = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=300,
        help_text=_(
            "Seconds a caller may wait unanswered before the call ends (no_answer). "
            "Empty: no limit."
        ),
    )
    wait_when_empty = models.BooleanField(
        default=False,
        help_text=_("Keep callers waiting even when no agent is online (otherwise: no_agents)."),
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[valid_timezone])
    service_level_seconds = models.PositiveIntegerField(
        default=20,
        help_text=_("The service level counts calls answered within this many seconds."),
    )
    short_abandon_seconds = models.PositiveIntegerField(
        default=5,
        help_text=_(
            "Callers who hang up sooner are short abandons, left out of the service level."
        ),
    )
    wrap_up_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=default_wrap_up,
        validators=[valid_wrap_up],
        help_text=_(
            "After-call work: seconds an agent is not rung after a call of this queue ends "
            "(0: until the agent is ready; empty: no wrap-up)."
        ),
    )

    class TransferFallback(models.TextChoices):
        RETURN = "return", _("Ring the agent who transferred it again")
        CALLBACK = "callback", _("Leave a callback request")

    transfer_fallback = models.CharField(
        max_length=8,
        choices=TransferFallback.choices,
        default=TransferFallback.RETURN,
        help_text=_("A call transferred to this queue that nobody takes: what happens then."),
    )
    created = models.DateTimeField(auto_now_add=True)

    waiting_told = models.PositiveIntegerField(
        default=0, editable=False, help_text=_("How many callers its agents were last told wait.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return address(self.name)

    def schedule(self) -> Schedule:
        """The opening hours; no weekly hours means always open (closed days aside)."""
        return Schedule(
            timezone=self.timezone,
            spans=tuple(Span(h.weekday, h.opens, h.closes) for h in self.hours.all()),
            closed=frozenset(d.date for d in self.closed_days.all()),
        )


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="hours")
    weekday = models.IntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text=_("00:00 means until midnight."))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.closes != time(0) and self.closes <= self.opens:
            raise ValidationError(_("A span must close after it opens (00:00 for midnight)."))


class ClosedDay(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        unique_together = [("queue", "date")]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}".strip()


def retention_days(name: StrOrPromise, help_text: StrOrPromise) -> models.PositiveIntegerField:
    """A retention period of a site: days after a call's end; empty keeps it for good."""
    return models.PositiveIntegerField(name, null=True, blank=True, help_text=help_text)


# The languages the widget speaks: one catalogue each in static/supportcall/widget/lang/
# (tests/test_catalogues.py checks this list and those files agree).
WIDGET_LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
]


class Site(models.Model):
    """A website that embeds the widget, and what its visitors may call."""

    key = models.CharField(max_length=64, unique=True, validators=[slug_name])
    name = models.CharField(max_length=200, blank=True)
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        help_text=_('Origins whose pages may log visitors in, e.g. ["https://shop.example.com"].'),
    )
    queues = models.ManyToManyField(
        Queue,
        blank=True,
        related_name="sites",
        help_text=_("The queues this site's visitors call."),
    )
    default_language = models.CharField(
        max_length=8,
        choices=WIDGET_LANGUAGES,
        default="en",
        help_text=_(
            "The widget's language when neither the page nor the visitor's browser asks "
            "for one it speaks."
        ),
    )
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    # Verified visitors (docs/security.md): the host site's backend signs an HS256 JWT with
    # this secret. HS256 verifies with the secret itself, so it is stored as it is; the
    # admin shows it once, when it is made, and never again.
    identity_secret = models.CharField(max_length=128, blank=True, editable=False)
    identity_secret_made = models.DateTimeField(null=True, blank=True, editable=False)
    # The secret before the last rotation, still accepted until identity_previous_until.
    identity_previous_secret = models.CharField(max_length=128, blank=True, editable=False)
    identity_previous_until = models.DateTimeField(null=True, blank=True, editable=False)
    require_verified_identity = models.BooleanField(
        default=False,
        help_text=_(
            "Only visitors whose page hands the widget an identity token signed with this "
            "site's identity secret may call."
        ),
    )

    # Retention (docs/privacy.md): days an ended call's data is kept, per kind; empty keeps
    # it for good. The sweeper (supportcall/privacy/retention.py) removes what is older.
    keep_calls_days = retention_days(
        _("keep call records (days)"), _("The whole row: its days leave the figures.")
    )
    keep_sdp_days = retention_days(
        _("keep SDP (days)"), _("The calls' SDP and ICE candidates: they hold IP addresses.")
    )
    keep_context_days = retention_days(
        _("keep visitor context (days)"),
        _("What the page told, what the site signed, the name the visitor gave."),
    )
    keep_chat_days = retention_days(_("keep chat (days)"), _("Chat messages."))
    keep_files_days = retention_days(_("keep files (days)"), _("Files sent in chat."))
    keep_quality_days = retention_days(_("keep quality series (days)"), _("Call quality samples."))

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def rotate_identity_secret(self, now: datetime | None = None) -> str:
        """Make a new identity secret and save it; the old one stays valid for
        SUPPORTCALL_IDENTITY_ROTATION_OVERLAP seconds. Returns the new secret: the only
        time anyone sees it."""
        now = now or timezone.now()
        if self.identity_secret:
            overlap = timedelta(seconds=settings.SUPPORTCALL_IDENTITY_ROTATION_OVERLAP)
            self.identity_previous_secret = self.identity_secret
            self.identity_previous_until = now + overlap
        self.identity_secret = secrets.token_urlsafe(32)
        self.identity_secret_made = now
        self.save(
            update_fields=[
                "identity_secret",
                "identity_secret_made",
                "identity_previous_secret",
                "identity_previous_until",
            ]
        )
        return self.identity_secret

    def identity_secrets(self, now: datetime | None = None) -> list[str]:
        """The secrets an identity token may be signed with now: the current one, and the
        previous one during its overlap."""
        now = now or timezone.now()
        keys = [self.identity_secret] if self.identity_secret else []
        until = self.identity_previous_until
        if self.identity_previous_secret and until is not None and now < until:
            keys.append(self.identity_previous_secret)
        return keys

    def clean(self) -> None:
        if self.require_verified_identity and not self.identity_secret:
            raise ValidationError(
                {
                    "require_verified_identity": _(
                        "Make the site's identity secret first (the action 'Make a new "
                        "identity secret' in the list of sites), then require verification."
                    )
                }
            )
        if not isinstance(self.allowed_origins, list):
            raise ValidationError({"allowed_origins": _("Give a list of origins.")})
        try:
            self.allowed_origins = sorted({normalize_origin(str(o)) for o in self.allowed_origins})
        except ValidationError as e:
            raise ValidationError({"allowed_origins": e.messages}) from e

    def allows_origin(self, origin: str | None) -> bool:
        """A request without an Origin (not a browser) passes; a browser's must be listed."""
        if origin is None:
            return True
        try:
            return normalize_origin(origin) in self.allowed_origins
        except ValidationError:
            return False


# The away reasons a new installation starts with (a data migration adds them; the
# dashboard shows their translation).
AWAY_REASONS = [
    gettext_noop("Break"),
    gettext_noop("Lunch"),
    gettext_noop("Training"),
    gettext_noop("Meeting"),
]


class AwayReason(models.Model):
    """Why an agent is away (Break, Lunch...), chosen with the presence and shown to
    supervisors."""

    label = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(default=True, help_text=_("Offered to agents."))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class Agent(models.Model):
    """A registered support agent: a Django user who answers calls."""

    class Presence(models.TextChoices):
        """What an agent may choose: the vocabulary's CHOSEN_PRESENCES, as model choices."""

        AVAILABLE = vocabulary.Presence.AVAILABLE, _("Available")
        AWAY = vocabulary.Presence.AWAY, _("Away")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="agent")
    display_name = models.CharField(max_length=200, blank=True)
    queues = models.ManyToManyField(Queue, blank=True, related_name="agents")
    # What the agent chose; offline and busy are computed (see calls.availability.presence).
    presence = models.CharField(max_length=16, choices=Presence.choices, default=Presence.AVAILABLE)
    max_calls = models.PositiveSmallIntegerField(
        default=1, help_text=_("How many calls at once before the agent counts as busy.")
    )
    idle_since = models.DateTimeField(
        default=timezone.now, help_text=_("Since when the agent has been free (longest_idle).")
    )
    missed_in_row = models.PositiveSmallIntegerField(
        default=0, help_text=_("Calls let ring out in a row; too many set the agent away.")
    )
    away_reason = models.ForeignKey(
        AwayReason, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents"
    )
    away_since = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return address(self.user.username)

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_full_name() or self.user.username
