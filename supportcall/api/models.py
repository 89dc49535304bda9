"""API keys: staff make them in the admin, each scoped to some sites, shown once.

A key reads ``sc_<prefix>_<token>``: the 8 hex characters of ``prefix`` find its row,
and only the SHA-256 of the whole key is stored, so the database cannot give it back.
A revoked key (``revoked_at``) is refused from then on; ``last_used_at`` is written at
most every SUPPORTCALL_API_KEY_USE_INTERVAL seconds, not on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_FORMAT = re.compile(r"sc_(?P<prefix>[0-9a-f]{8})_(?P<token>[A-Za-z0-9_-]{43})")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(models.Model):
    name = models.CharField(_("name"), max_length=100, help_text=_("Who or what uses it."))
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    sites = models.ManyToManyField(
        "directory.Site",
        related_name="api_keys",
        verbose_name=_("sites"),
        help_text=_("The key reads the call records and callback requests of these sites only."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} (sc_{self.prefix}_…)"

    def make_secret(self) -> str:
        """Give the key a new secret (not saved) and return the whole key: the only time
        anyone sees it."""
        while True:
            prefix = secrets.token_hex(4)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        key = f"sc_{prefix}_{secrets.token_urlsafe(32)}"
        self.prefix, self.hash = prefix, digest(key)
        return key

    @classmethod
    def find(cls, key: str) -> ApiKey | None:
        """The live key ``key`` is, or None (malformed, unknown, wrong secret, revoked)."""
        found = KEY_FORMAT.fullmatch(key)
        if found is None:
            return None
        row = cls.objects.filter(prefix=found["prefix"], revoked_at__isnull=True).first()
        if row is None or not hmac.compare_digest(row.hash, digest(key)):
            return None
        return row

    def used(self, now: datetime | None = None) -> None:
        """Note the use, at most once per SUPPORTCALL_API_KEY_USE_INTERVAL."""
        now = now or timezone.now()
        interval = timedelta(seconds=settings.SUPPORTCALL_API_KEY_USE_INTERVAL)
        if self.last_used_at is None or now - self.last_used_at >= interval:
            # One write per interval, whichever process sees the key first.
            stale = models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=now - interval)
            ApiKey.objects.filter(stale, pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
