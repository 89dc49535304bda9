"""Who may read: a live API key in ``Authorization: Bearer <key>``, at most
SUPPORTCALL_API_RATE requests a minute per key."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, negotiation, permissions, throttling

from .models import ApiKey


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _sep, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise exceptions.AuthenticationFailed(
                _("Send the key as: Authorization: Bearer <key>.")
            )
        found = ApiKey.find(key.strip())
        if found is None:
            raise exceptions.AuthenticationFailed(_("This API key is unknown or revoked."))
        found.used()
        return (None, found)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="supportcall"'


class HasApiKey(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class PerKeyThrottle(throttling.SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str:
        return f"{settings.SUPPORTCALL_API_RATE}/min"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None  # refused anyway, or the public schema
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI description names the key: HTTP bearer."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key, sc_…"}


class JsonWhateverAccepted(negotiation.BaseContentNegotiation):
    """The API answers JSON, whatever the Accept header: a browser asking for HTML gets
    the JSON too, not a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
