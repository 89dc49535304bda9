"""Admins run everything from the Django admin: every page of ours renders."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from supportcall.calls import chat, operations
from supportcall.calls.change import Actor
from supportcall.calls.models import Call, Connection
from supportcall.directory.models import Agent, Site
from supportcall.vocabulary import Role
from tests.support.sdps import ANSWER, OFFER

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "", "pw"))
    return client


def a_call() -> Call:
    actor = Actor(
        role=Role.VISITOR,
        identity="anonymous-1@support.example.com",
        channel="c1",
        site_id=Site.objects.get(key="shop").pk,
        targets=("support@support.example.com",),
    )
    outcome = operations.create_call(actor, media="audio", sdp=OFFER["audio"])
    return Call.objects.get(id=outcome.result["call_id"])


@pytest.mark.parametrize(
    "model",
    [
        "directory/site",
        "directory/queue",
        "directory/agent",
        "calls/call",
        "calls/connection",
        "calls/disposition",
        "directory/awayreason",
        "tokens/issuedtoken",
        "callbacks/callbackrequest",
    ],
)
def test_every_changelist_renders(admin_client, model):
    a_call()
    response = admin_client.get(f"/admin/{model}/")
    assert response.status_code == 200


def test_a_call_record_shows_its_timeline(admin_client):
    call = a_call()
    response = admin_client.get(reverse("admin:calls_call_change", args=[call.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "the caller</strong> called support@support.example.com (audio)" in page
    assert "the call ended: No agent could take it" in page
    assert "No agent could take it" in page[page.index("How it ended") :]


def an_answered_call(said: tuple[tuple[str, str], ...] = (), hang_up: bool = True) -> Call:
    """Alice (online) is rung, answers with audio, they chat (``said``: (who, text) each),
    and the caller hangs up (unless not ``hang_up``)."""
    alice = Agent.objects.get(user__username="alice")
    Connection.objects.create(
        channel_name="a1", role=Role.AGENT, identity=alice.address, agent=alice
    )
    call = a_call()
    agent = Actor(role=Role.AGENT, identity=alice.address, channel="a1", agent_id=alice.pk)
    operations.accept(agent, call.pk, sdp=ANSWER["audio"])
    caller = Actor(
        role=Role.VISITOR,
        identity=call.caller_identity,
        channel="c1",
        site_id=call.site_id,
        targets=("support@support.example.com",),
    )
    for who, text in said:
        chat.send(caller if who == "caller" else agent, call.pk, text=text)
    if hang_up:
        operations.end(caller, call.pk)
    call.refresh_from_db()
    return call


def test_a_call_record_starts_with_its_timeline_in_words_and_folds_the_sdp_away(admin_client):
    call = an_answered_call()
    # How long it rang, as recorded: here as long as this machine took, so set
    # (past the record's append-only save).
    answer = call.events.filter(name="accept")
    answer.update(detail={**answer.get().detail, "waited_s": 2.5})
    page = admin_client.get(reverse("admin:calls_call_change", args=[call.pk])).content.decode()
    timeline = page[page.index('data-testid="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    said = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)).strip() for li in timeline.split("<li")[1:]
    ]
    # Each line: when (and how long after the call began), who, what.
    said = [re.sub(r"^\S+ \d\d:\d\d:\d\d \(\+\d+\.\d s\) ", "", line) for line in said]
    assert said == [
        "the caller called support@support.example.com (audio)",
        "the server rang alice@support.example.com Not rung: bob: offline initiated → ringing",
        "alice@support.example.com answered with audio after 2.5 s ringing → answered",
        "the caller hung up answered → ended",
    ]
    # The timeline comes first; the SDP after it, in a folded (closed) section.
    assert page.index('data-testid="timeline"') < page.index("Media (SDP and ICE)")
    media = page[page.index("Media (SDP and ICE)") - 300 : page.index("Media (SDP and ICE)")]
    assert "<details" in media and "open" not in media
    assert page.index("Media (SDP and ICE)") < page.index("v=0")
    # In words: how it ended, not its code.
    assert "The caller hung up" in page
    assert "ended_by_local" not in page.replace('value="ended_by_local"', "")


def test_a_call_records_history_is_read_only(admin_client):
    call = an_answered_call()
    page = admin_client.get(reverse("admin:calls_call_change", args=[call.pk])).content.decode()
    # No field of the call, its legs or its events is an input (the deadline was one).
    fields = re.findall(r'<(?:input|textarea|select)[^>]*name="([^"]+)"', page)
    assert [
        f
        for f in fields
        if f not in ("csrfmiddlewaretoken",)
        and "-TOTAL_FORMS" not in f
        and "-INITIAL_FORMS" not in f
        and "-MIN_NUM_FORMS" not in f
        and "-MAX_NUM_FORMS" not in f
        and not f.endswith("-id")
        and not f.endswith("-call")
        and not f.startswith("_")
    ] == []
    leg = page[page.index("Agents rung") :]
    # The answered leg ends when the call does, and says how.
    assert "Answered; The caller hung up" in leg
    ended = timezone.localtime(call.ended)
    assert f"{ended:%H:%M}" in leg[leg.index("Answered; The caller hung up") :]


def test_allowed_origins_are_typed_one_per_line_and_stored_as_a_list(admin_client):
    site = Site.objects.get(key="shop")
    url = reverse("admin:directory_site_change", args=[site.pk])
    page = admin_client.get(url).content.decode()
    assert re.search(
        r'<textarea[^>]*name="allowed_origins"[^>]*>\s*http://shop.test</textarea>', page
    )
    form = {
        "key": "shop",
        "name": "Shop",
        "allowed_origins": "https://shop.example.com\n\n  HTTPS://Www.Shop.Example.com  \nhttp://shop.test",
        "queues": [q.pk for q in site.queues.all()],
        "default_language": "en",
        "enabled": "on",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    site.refresh_from_db()
    assert site.allowed_origins == [
        "http://shop.test",
        "https://shop.example.com",
        "https://www.shop.example.com",
    ]
    response = admin_client.post(url, {**form, "allowed_origins": "https://shop.example.com/cart"})
    assert response.status_code == 200
    assert "is not an origin: drop the path" in response.content.decode()


def test_call_events_are_append_only():
    call = a_call()
    event = call.events.first()
    event.name = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_the_index_page_renders_with_its_stylesheet(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"supportcall/site.css" in response.content


def test_a_queue_is_set_up_with_strategy_hours_and_closed_days(admin_client):
    from supportcall.directory.models import Queue

    queue = Queue.objects.get(name="support")
    response = admin_client.get(reverse("admin:directory_queue_change", args=[queue.pk]))
    assert response.status_code == 200
    for text in (
        b"strategy",
        b"ring_timeout",
        b"max_wait",
        b"wait_when_empty",
        b"wrap_up_seconds",
        b"timezone",
        b"hours-TOTAL_FORMS",
        b"closed_days-TOTAL_FORMS",
    ):
        assert text in response.content


def test_a_call_records_chat_is_shown_in_order_as_text_and_read_only(admin_client):
    call = an_answered_call(said=(("caller", "<b>Order</b> 1042?"), ("agent", "Found it")))
    page = admin_client.get(reverse("admin:calls_call_change", args=[call.pk])).content.decode()
    chat_part = page[page.index('id="chat-group"') :]
    assert "&lt;b&gt;Order&lt;/b&gt; 1042?" in chat_part
    assert "<b>Order</b>" not in page
    assert chat_part.index("&lt;b&gt;Order") < chat_part.index("Found it")
    assert not re.findall(r'<(?:input|textarea)[^>]*name="chat-0-text"', page)


def test_a_queues_wrap_up_time_is_bounded_by_the_settings_maximum(settings):
    from django.core.exceptions import ValidationError

    from supportcall.directory.models import Queue

    settings.SUPPORTCALL_WRAP_UP_MAX = 600
    queue = Queue.objects.get(name="support")
    for fine in (None, 0, 600):
        queue.wrap_up_seconds = fine
        queue.full_clean()
    queue.wrap_up_seconds = 601
    with pytest.raises(ValidationError, match="At most 600 seconds"):
        queue.full_clean()


def test_a_new_queue_gets_the_settings_default_wrap_up(settings):
    from supportcall.directory.models import Queue

    settings.SUPPORTCALL_WRAP_UP_DEFAULT = 10
    assert Queue.objects.create(name="new").wrap_up_seconds == 10
    settings.SUPPORTCALL_WRAP_UP_DEFAULT = None  # "off"
    assert Queue.objects.create(name="newer").wrap_up_seconds is None


def test_dispositions_and_away_reasons_are_managed_in_the_admin(admin_client):
    from supportcall.calls.models import Disposition
    from supportcall.directory.models import AwayReason, Queue

    queue = Queue.objects.get(name="support")
    response = admin_client.post(
        reverse("admin:calls_disposition_add"),
        {"label": "Refund", "queue": queue.pk, "active": "on", "order": 2},
    )
    assert response.status_code == 302
    assert Disposition.objects.get(label="Refund").queue == queue
    response = admin_client.post(
        reverse("admin:directory_awayreason_add"), {"label": "Errand", "order": 9}
    )
    assert response.status_code == 302
    assert not AwayReason.objects.get(label="Errand").active  # unticked: not offered


def test_a_calls_rating_and_files_are_on_its_record_and_the_list_filters_by_rating(admin_client):
    from django.utils import timezone

    from supportcall.calls.models import ChatFile

    rated = an_answered_call()
    Call.objects.filter(pk=rated.pk).update(
        rating=2, rating_comment="<i>echo</i> on the line", rated_at=timezone.now()
    )
    ChatFile.objects.create(
        call=rated,
        sender="caller",
        name="<b>part</b>.png",
        size=70,
        content_type="image/png",
        storage_name="chat/x/y",
        created=timezone.now(),
    )
    changelist = reverse("admin:calls_call_changelist")
    assert str(rated.pk) in admin_client.get(changelist, {"rating": "2"}).content.decode()
    assert str(rated.pk) not in admin_client.get(changelist, {"rating": "3"}).content.decode()
    page = admin_client.get(reverse("admin:calls_call_change", args=[rated.pk])).content.decode()
    assert "&lt;i&gt;echo&lt;/i&gt; on the line" in page and "<i>echo</i>" not in page
    files = page[page.index('id="files-group"') :]
    assert "&lt;b&gt;part&lt;/b&gt;.png" in files and "/api/v1/files/" in files
