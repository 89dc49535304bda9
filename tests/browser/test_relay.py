"""The widget and the dashboard through a real coturn on 127.0.0.1, for a site that must
hide addresses (SUPPORTCALL_ICE_TRANSPORT_POLICY=relay): Chromium's own getStats says the
pair is relayed, and an ICE restart after a resume takes the fresh credential along; a
credential coturn refuses tells the visitor its network blocks the call, and the agent
that the network blocks it."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import expect

from supportcall import turn as turn_module
from supportcall.client import Agent, Options, Visitor
from tests.support.browser import (
    CALL,
    WAIT_MS,
    browser_flow,
    expect_state,
    host_page,
    in_progress,
    incoming,
    start_call,
    tid,
    wait_true,
    web_server,
)
from tests.support.netns import CoturnProcess, PrivateAddress, need_namespaces
from tests.support.recorder import record

pytestmark = pytest.mark.browser

SECRET = secrets.token_hex(32)
MEDIA_TIMEOUT = 8
TTL = 3600


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    """coturn on 127.0.0.1, relaying from a private address of this machine (the server
    refuses loopback candidates): the one peer it may reach is its own relay address."""
    need_namespaces()
    address = PrivateAddress()
    try:
        address.make()
        coturn = CoturnProcess(
            tmp_path_factory.mktemp("coturn"), SECRET, "127.0.0.1", [address.address],
            relay_ip=address.address,
        )  # fmt: skip
        try:
            yield coturn.start()
        finally:
            coturn.stop()
    finally:
        address.remove()


@pytest.fixture(scope="module")
def web(tmp_path_factory, relay):
    yield from web_server(
        tmp_path_factory,
        SUPPORTCALL_TURN_SECRET=SECRET,
        SUPPORTCALL_TURN_URLS=",".join(relay.urls),
        SUPPORTCALL_ICE_TRANSPORT_POLICY="relay",
        SUPPORTCALL_MEDIA_TIMEOUT=str(MEDIA_TIMEOUT),
        SUPPORTCALL_TURN_TTL=str(TTL),
    )


# Chromium's RTCPeerConnection, given credentials coturn refuses (as a stale or forged page would).
REFUSED_CREDENTIALS = """(() => {
  const Real = window.RTCPeerConnection;
  window.RTCPeerConnection = function (config) {
    const iceServers = (config.iceServers || []).map((s) =>
      s.credential ? { ...s, credential: "d3JvbmcgcGFzc3dvcmQ=" } : s);
    return new Real({ ...config, iceServers });
  };
})()"""


async def test_the_widget_calls_through_the_relay_and_chromium_selects_a_relayed_pair(
    web, chromium, alice
):
    page = await host_page(web, chromium, "relay.html", queue="support")
    await start_call(page, "audio")
    incoming = await alice.next_incoming(timeout=15)
    await incoming.accept()
    await expect_state(page, "in_call", "In call")

    await browser_flow(page, "audio", timeout=20)
    await incoming.wait_for_media("audio", timeout=20)
    config = await page.evaluate(f"{CALL}.pc.getConfiguration()")
    assert config["iceTransportPolicy"] == "relay"
    [turn] = [s for s in config["iceServers"] if s.get("credential")]
    assert turn["username"].endswith(":" + incoming.caller["address"])
    assert await page.evaluate(f"{CALL}.candidatePair()") == {"local": "relay", "remote": "relay"}
    assert incoming.candidate_pair == ("relay", "relay")

    # The connection drops and resumes a second later or more: its hello brings a fresh
    # credential, which the next ICE restart (a network change) takes along.
    first = turn["username"]
    await wait_true(
        page, "(issued) => Date.now() / 1000 > issued", arg=turn_module.expiry(first) - TTL + 1
    )
    await page.evaluate(f"{CALL}.phone.ws.close(4000)")
    fresh = f"(first) => {CALL}.phone.iceServers.some((s) => s.username && s.username !== first)"
    await wait_true(page, fresh, arg=first)
    assert (await page.evaluate(f"{CALL}.restartMedia()"))["ok"]
    config = await page.evaluate(f"{CALL}.pc.getConfiguration()")
    assert config["iceServers"] == await page.evaluate(f"{CALL}.phone.iceServers")
    assert [s["username"] for s in config["iceServers"] if s.get("username")] != [first]
    await browser_flow(page, "audio", timeout=20)

    await tid(page, "hangup").click()
    await expect_state(page, "ended", "Call ended. You ended the call.")
    await incoming.wait_for_state("ended", timeout=10)


async def test_a_credential_the_relay_refuses_tells_the_visitor_its_network_blocks_the_call(
    web, chromium, relay
):
    # The agent's credential is refused too (it expired in 1970): no media can get through.
    refused = {"urls": relay.urls, "username": "1:alice", "credential": "d3Jvbmc="}
    agent = Agent(Options(web.url, ice_servers=[refused]), "alice", web.password)
    calls = record(agent)
    await agent.connect()
    try:
        await agent.set_presence("available")
        page = await host_page(web, chromium, "refused.html", queue="support")
        await page.evaluate(REFUSED_CREDENTIALS)
        await start_call(page, "audio")
        incoming = await agent.next_incoming(timeout=15)
        await incoming.accept()
        await expect_state(page, "in_call", "In call")

        error = tid(page, "error")
        await expect(error).to_contain_text(
            "Your network blocks the call.", timeout=(MEDIA_TIMEOUT + 15) * 1000
        )
        await expect(error).to_contain_text("Try another network")
        await expect_state(page, "ended")
        await incoming.wait_for_state("ended", timeout=WAIT_MS / 1000)
        assert incoming.end_reason == "media_failed"
        assert calls.states(incoming) == ["ringing", "in_call", "ended"]
        shown = await page.evaluate(f"{CALL}.states")
        assert shown[-2:] == ["in_call", "ended"]
        assert await page.evaluate(f"{CALL}.reason") == "media_failed"
    finally:
        await agent.close()


async def test_the_dashboard_agent_is_told_the_network_blocks_the_call_when_the_relay_refuses(
    web, dashboards, relay
):
    page = await dashboards("alice", init_script=REFUSED_CREDENTIALS)
    refused = {"urls": relay.urls, "username": "1:ada", "credential": "d3Jvbmc="}
    visitor = Visitor(Options(web.url, ice_servers=[refused]), "demo", display_name="Ada")
    calls = record(visitor)
    await visitor.connect()
    try:
        call = await visitor.call(media="audio")
        await expect(incoming(page, call)).to_be_visible(timeout=WAIT_MS)
        await incoming(page, call).get_by_test_id("accept-audio").click()
        await expect(in_progress(page, call, "in_call")).to_be_visible(timeout=WAIT_MS)

        panel = in_progress(page, call)
        await expect(panel).to_contain_text(
            "The network blocks the call", timeout=(MEDIA_TIMEOUT + 15) * 1000
        )
        await call.wait_for_state("ended", timeout=WAIT_MS / 1000)
        assert call.end_reason == "media_failed"
        assert calls.states(call) == ["initiated", "ringing", "in_call", "ended"]
        # The call's record says why, in the agent's recent calls.
        row = page.get_by_test_id("recent-calls").locator(f'[data-call-id="{call.call_id}"]')
        await expect(row).to_contain_text("Network blocked", timeout=WAIT_MS)
    finally:
        await visitor.close()
