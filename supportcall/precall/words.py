"""What a caller's verdict says to staff (the admin's call record), in the words the
dashboard uses for the agent (dashboard/words.js; the widget tells the visitor in its
own catalogues)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .verdict import Verdict

SAYS = {
    Verdict.GOOD: _("Good to go"),
    Verdict.POOR: _("The connection works, but the sound may be poor"),
    Verdict.RELAY_ONLY: _("Their network only works through our relay"),
    Verdict.BLOCKED: _("We could not reach them: their network blocks calls"),
}
