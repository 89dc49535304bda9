from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportcall.vocabulary import Role


class IssuedToken(models.Model):
    """Every token handed out, so that its single use can be enforced atomically."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    role = models.CharField(max_length=16, choices=[(r.value, r.name.title()) for r in Role])
    identity = models.CharField(max_length=254, help_text=_("The address the token speaks for."))
    site = models.ForeignKey(
        "directory.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    targets = models.JSONField(default=list, blank=True)
    origin = models.CharField(max_length=200, blank=True)
    # What an anonymous visitor told about itself, shown to the agent it calls.
    display_name = models.CharField(max_length=100, blank=True)
    context = models.JSONField(default=dict, blank=True)
    # What the site's backend signed about the visitor (sub, name, email, attributes),
    # or None: kept apart from the page's unsigned context.
    verified = models.JSONField(null=True, blank=True, default=None)
    issued = models.DateTimeField()
    expires = models.DateTimeField()
    consumed = models.DateTimeField(null=True, blank=True)
    # A resume token stands for a connection that may drop: it takes that connection's place.
    kind = models.CharField(
        max_length=8, default="login", choices=[("login", "login"), ("resume", "resume")]
    )
    replaces = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text=_("The channel a resume token takes over."),
    )
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-issued"]
        indexes = [models.Index(fields=["expires"]), models.Index(fields=["consumed"])]

    def __str__(self) -> str:
        return f"{self.role} token for {self.identity}"


class UsedIdentity(models.Model):
    """The ``jti`` of every identity token a login accepted, until the token expires: a
    second login with it breaks the unique constraint, on any worker, at once."""

    site = models.ForeignKey("directory.Site", on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=200)
    expires = models.DateTimeField()
    used = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "jti"], name="identity_jti_used_once")
        ]
        indexes = [models.Index(fields=["expires"])]
        verbose_name_plural = _("used identities")

    def __str__(self) -> str:
        return f"{self.site_id}:{self.jti}"
