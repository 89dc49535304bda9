"""The product's settings with a signing key of the test run's own.

supportcall.settings refuses to start without a key that is not published.
The key goes into the environment, so the servers the tests start (tests/e2e)
share it with the test process, as every process of a deployment does.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", "test-" + secrets.token_urlsafe(40))
# The queues the tests make have no after-call work unless a test gives them some
# (tests/calls/test_wrapup.py): most tests call an agent again as soon as a call ends.
os.environ.setdefault("SUPPORTCALL_WRAP_UP_DEFAULT", "off")

from supportcall.settings import *  # noqa: F403
