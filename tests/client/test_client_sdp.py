"""The shape of the offers and answers the client builds: what the server
checks (m-line count, kinds, order, directions) and nothing more."""

from __future__ import annotations

import pytest

from supportcall.client.peer import MediaPeer, MediaPlan, m_lines

KINDS = {"audio": ["audio", "video"], "video": ["audio", "video"], "audio_single": ["audio"]}


@pytest.fixture
async def peers():
    created: list[MediaPeer] = []

    def make(media: str) -> MediaPeer:
        peer = MediaPeer(media)
        created.append(peer)
        return peer

    yield make
    for peer in created:
        await peer.close()


async def test_audio_offer_has_sendrecv_audio_and_inactive_video(peers):
    offer = await peers("audio").create_offer()

    assert m_lines(offer) == [("audio", "sendrecv"), ("video", "inactive")]


async def test_video_offer_sends_audio_and_video(peers):
    offer = await peers("video").create_offer()

    assert m_lines(offer) == [("audio", "sendrecv"), ("video", "sendrecv")]


async def test_audio_single_offer_has_exactly_one_audio_m_line(peers):
    offer = await peers("audio_single").create_offer()

    assert m_lines(offer) == [("audio", "sendrecv")]
    assert offer.count("\nm=") == 1


@pytest.mark.parametrize("media", ["audio", "video", "audio_single"])
async def test_offers_have_no_data_channel(peers, media):
    offer = await peers(media).create_offer()

    assert "m=application" not in offer
    assert [kind for kind, _ in m_lines(offer)] == KINDS[media]


@pytest.mark.parametrize("media", ["audio", "video", "audio_single"])
async def test_offers_carry_ice_and_dtls_so_nothing_needs_trickling(peers, media):
    offer = await peers(media).create_offer()

    assert "a=candidate:" in offer
    assert "a=end-of-candidates" in offer
    assert "a=fingerprint:sha-256" in offer


@pytest.mark.parametrize("media", ["audio", "video", "audio_single"])
async def test_hold_reoffer_sets_every_m_line_inactive(peers, media):
    visitor, agent = peers(media), peers(media)
    await visitor.apply_answer(await agent.accept_offer(await visitor.create_offer()))

    hold = await visitor.create_reoffer("hold")

    assert m_lines(hold.offer.sdp) == [(kind, "inactive") for kind in KINDS[media]]


@pytest.mark.parametrize("media", ["audio", "video", "audio_single"])
async def test_agents_hold_reoffer_sets_every_m_line_inactive(peers, media):
    visitor, agent = peers(media), peers(media)
    await visitor.apply_answer(await agent.accept_offer(await visitor.create_offer()))

    hold = await agent.create_reoffer("hold")

    assert m_lines(hold.offer.sdp) == [(kind, "inactive") for kind in KINDS[media]]


@pytest.mark.parametrize(
    ("media", "video", "before"),
    [
        ("audio", False, [("audio", "sendrecv"), ("video", "inactive")]),
        ("video", True, [("audio", "sendrecv"), ("video", "sendrecv")]),
        ("video", False, [("audio", "sendrecv"), ("video", "sendonly")]),
        ("audio_single", False, [("audio", "sendrecv")]),
    ],
)
async def test_unhold_reoffer_restores_the_directions_before_hold(peers, media, video, before):
    visitor, agent = peers(media), peers(media)
    await visitor.apply_answer(await agent.accept_offer(await visitor.create_offer(), video=video))
    assert [(k, d) for k, d in visitor.negotiated_directions().items()] == before
    hold = await visitor.create_reoffer("hold")
    await visitor.apply_reoffer_answer(hold, await agent.answer_reoffer("hold", hold.offer.sdp))

    unhold = await visitor.create_reoffer("unhold")

    assert m_lines(unhold.offer.sdp) == before


async def test_reoffers_keep_the_m_lines_and_mids_of_the_first_offer(peers):
    visitor, agent = peers("audio"), peers("audio")
    offer = await visitor.create_offer()
    await visitor.apply_answer(await agent.accept_offer(offer))

    for initiator, other, op in [
        (visitor, agent, "video_start"),
        (agent, visitor, "hold"),
        (agent, visitor, "unhold"),
        (visitor, agent, "video_stop"),
    ]:
        reoffer = await initiator.create_reoffer(op)
        assert [k for k, _ in m_lines(reoffer.offer.sdp)] == ["audio", "video"]
        assert mids(reoffer.offer.sdp) == mids(offer)
        answer = await other.answer_reoffer(op, reoffer.offer.sdp)
        assert mids(answer) == mids(offer)
        await initiator.apply_reoffer_answer(reoffer, answer)


def mids(sdp: str) -> list[str]:
    return [line.split(":", 1)[1] for line in sdp.splitlines() if line.startswith("a=mid:")]


async def test_video_start_reoffer_on_audio_call_sends_video(peers):
    visitor, agent = peers("audio"), peers("audio")
    await visitor.apply_answer(await agent.accept_offer(await visitor.create_offer()))

    start = await visitor.create_reoffer("video_start")
    answer = await agent.answer_reoffer("video_start", start.offer.sdp)

    assert m_lines(start.offer.sdp) == [("audio", "sendrecv"), ("video", "sendonly")]
    assert m_lines(answer) == [("audio", "sendrecv"), ("video", "recvonly")]


async def test_answering_a_video_call_without_video_only_receives_video(peers):
    visitor, agent = peers("video"), peers("video")

    answer = await agent.accept_offer(await visitor.create_offer(), video=False)

    assert m_lines(answer) == [("audio", "sendrecv"), ("video", "recvonly")]


async def test_a_reoffer_is_not_applied_until_answered(peers):
    visitor, agent = peers("audio"), peers("audio")
    await visitor.apply_answer(await agent.accept_offer(await visitor.create_offer()))
    before = visitor.pc.localDescription.sdp

    await visitor.create_reoffer("hold")

    assert visitor.pc.signalingState == "stable"
    assert visitor.pc.localDescription.sdp == before
    assert visitor.plan.local_hold is False


async def test_answering_a_hold_while_holding_stays_inactive(peers):
    visitor, agent = peers("audio"), peers("audio")
    await visitor.apply_answer(await agent.accept_offer(await visitor.create_offer()))
    hold = await agent.create_reoffer("hold")
    await agent.apply_reoffer_answer(hold, await visitor.answer_reoffer("hold", hold.offer.sdp))

    unhold = await visitor.create_reoffer("unhold")  # the visitor never held
    answer = await agent.answer_reoffer("unhold", unhold.offer.sdp)

    assert m_lines(answer) == [("audio", "inactive"), ("video", "inactive")]


def test_media_plan_hold_forgets_nothing():
    plan = MediaPlan("audio", video_send=True, video_recv=False, screen_send=True)

    held = plan.after("hold")

    idle = {"audio": "inactive", "video": "inactive", "screen": "inactive"}
    assert held.offer_directions() == held.answer_preferences() == idle
    assert held.after("unhold") == plan
    assert plan.offer_directions() == {
        "audio": "sendrecv",
        "video": "sendonly",
        "screen": "sendonly",
    }


def test_media_plan_answers_accept_whatever_video_the_remote_sends():
    assert MediaPlan("audio").answer_preferences() == {
        "audio": "sendrecv",
        "video": "recvonly",
        "screen": "recvonly",
    }
    assert MediaPlan("video", video_send=True).answer_preferences()["video"] == "sendrecv"
    assert MediaPlan("audio_single").answer_preferences() == {
        "audio": "sendrecv",
        "screen": "recvonly",
    }


def test_media_plan_the_visitors_screen_is_sent_only_while_shared():
    sharing = MediaPlan("audio").after("screen_start")
    assert (sharing.offer_directions()["screen"], sharing.answer_preferences()["screen"]) == (
        "sendonly",
        "sendrecv",
    )
    stopped = sharing.after("screen_stop")
    assert stopped == MediaPlan("audio")
    assert stopped.offer_directions()["screen"] == "recvonly"  # sends nothing


def test_unknown_media_is_refused():
    with pytest.raises(ValueError, match="media must be one of"):
        MediaPeer("screen")
