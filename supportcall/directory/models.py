"""Who can be called, and from where: sites, queues and agents.

Every callable party has an address ``name@<SUPPORTCALL_DOMAIN>``: an agent is
its Django username, a queue its name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

slug_name = RegexValidator(
    r"^[a-z0-9][a-z0-9_.-]{0,63}$",
    "Use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.",
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
        raise ValidationError(f"{value!r} is not an origin like https://shop.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(f"{value!r} is not an origin: drop the path")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class Queue(models.Model):
    """A line visitors can call; calling it rings its agents."""

    name = models.CharField(max_length=64, unique=True, validators=[slug_name])
    display_name = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return address(self.name)


class Site(models.Model):
    """A website that embeds the widget, and what its visitors may call."""

    key = models.CharField(max_length=64, unique=True, validators=[slug_name])
    name = models.CharField(max_length=200, blank=True)
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        help_text='Origins whose pages may log visitors in, e.g. ["https://shop.example.com"].',
    )
    queues = models.ManyToManyField(
        Queue, blank=True, related_name="sites", help_text="The queues this site's visitors call."
    )
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        if not isinstance(self.allowed_origins, list):
            raise ValidationError({"allowed_origins": "Give a list of origins."})
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


class Agent(models.Model):
    """A registered support agent: a Django user who answers calls."""

    class Presence(models.TextChoices):
        AVAILABLE = "available"
        AWAY = "away"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="agent")
    display_name = models.CharField(max_length=200, blank=True)
    queues = models.ManyToManyField(Queue, blank=True, related_name="agents")
    # What the agent chose; whether it is connected is known from its connections.
    presence = models.CharField(max_length=16, choices=Presence.choices, default=Presence.AVAILABLE)
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
