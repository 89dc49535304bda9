"""A call's database work alone: the services one call setup runs, called directly.

    python -m bench.services                     # CPU per call, embedded SQLite
    python -m bench.services --calls 300 --profile artifacts/services.pstats

No sockets, no channel layer, no threads: the anonymous login's view, the
WebSocket's ``authenticate``, ``create_call``, ``accept``, ``end`` and the
visitor's ``disconnect``, in one process against a scratch SQLite database, as
the server's database thread runs them in `make bench`'s setup scenario. What
it prints is that thread's share of a call's CPU; ``--profile`` writes a
cProfile of the measured calls (read it with ``python -m pstats``).
docs/performance.md ("Session 9") says what it found.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

from bench.servers import DOMAIN, PASSWORD, PRODUCT_ENV

AGENT = "bench-0"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="measured calls")
    parser.add_argument("--warmup", type=int, default=20, help="calls before measuring")
    parser.add_argument("--profile", help="write a cProfile of the measured calls here")
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="supportcall-services-")
    # The setup scenario's server's settings (unthrottled, no wrap-up), on SQLite.
    os.environ.update(
        PRODUCT_ENV,
        DJANGO_SETTINGS_MODULE="supportcall.settings",
        DATABASE_URL=f"sqlite:///{scratch}/db.sqlite3",
        SECRET_KEY="bench-services-" + uuid.uuid4().hex,
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        call_command("demo_data", password=PASSWORD, stdout=io.StringIO())
        return _measure(args)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(scratch, ignore_errors=True)


def _measure(args: argparse.Namespace) -> int:
    one = _caller()
    for i in range(args.warmup):
        one(f"warmup-{i}")
    started = time.process_time()
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    for i in range(args.calls):
        one(f"call-{i}")
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    per_call = 1000 * (time.process_time() - started) / args.calls
    print(
        f"{per_call:.2f} ms of CPU per call ({args.calls} calls"
        + (", profiled)" if profile else ")")
    )
    return 0


def _caller():
    """One call's services, visitor and agent; the agent connected once for all."""
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    from bench.wire import ANSWER, OFFER
    from supportcall.calls import connections, operations
    from supportcall.directory.models import Agent, Site
    from supportcall.directory.setup import ensure_agent
    from supportcall.tokens import views
    from supportcall.tokens.issuing import issue
    from supportcall.vocabulary import Role

    ensure_agent(AGENT, PASSWORD, ["support"], "Bench 0")
    Agent.objects.exclude(user__username=AGENT).update(presence="away")
    origin = Site.objects.get(key="demo").allowed_origins[0]
    token, _ = issue(Role.AGENT, f"{AGENT}@{DOMAIN}", user=User.objects.get(username=AGENT))
    agent = connections.authenticate(token, "login", "http://testserver", "agent", "testserver")
    requests = RequestFactory()

    def one(channel: str) -> None:
        login = requests.post(
            "/api/v1/anonymous-login",
            data=json.dumps({"site": "demo"}),
            content_type="application/json",
            HTTP_ORIGIN=origin,
        )
        token = json.loads(views.anonymous_login(login).content)["token"]
        visitor = connections.authenticate(token, "login", origin, channel, "testserver").actor
        to = f"{AGENT}@{DOMAIN}"
        created = operations.create_call(visitor, to=to, media="audio", sdp=OFFER)
        call_id = uuid.UUID(created.result["call_id"])
        operations.accept(agent.actor.on(call_id), call_id, sdp=ANSWER)
        operations.end(visitor, call_id)
        connections.disconnect(visitor, leaving=True)

    return one


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
