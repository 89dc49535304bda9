"""What each verdict says to people (the admin's call record; the widget and the
dashboard have the same words in their JS catalogues)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .verdict import Verdict

SAYS = {
    Verdict.GOOD: _("Good to go"),
    Verdict.POOR: _("The connection works, but the sound may be poor"),
    Verdict.RELAY_ONLY: _("Your network only works through our relay"),
    Verdict.BLOCKED: _("We cannot reach you: try another network"),
}
