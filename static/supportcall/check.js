// The check before the call in the browser (docs/protocol.md, "A check before the
// call"): a real WebRTC session with the server's echo peer, measured the way a call's
// quality is (quality.js), and judged like supportcall/precall/verdict.py.
//
//   const result = await runCheck(phone, stream, media);   // {verdict, connected, ...}
//   phone.call({ media, stream, check: result });           // handed to the agent

import { readStats, report } from "./quality.js";

export const Verdict = Object.freeze({
  GOOD: "good", POOR: "poor", RELAY_ONLY: "relay_only", BLOCKED: "blocked",
});

/** verdict.py's rules: no media is blocked, a bad line poor, only the relay relay_only. */
export function verdict({ connected, candidate_type, rtt_ms, loss_pct }, limits) {
  if (!connected) return Verdict.BLOCKED;
  if ((rtt_ms ?? 0) > limits.rtt_ms || (loss_pct ?? 0) > limits.loss_pct) return Verdict.POOR;
  if (candidate_type === "relay") return Verdict.RELAY_ONLY;
  return Verdict.GOOD;
}

const MEASURE_MS = 3000; // once connected: RTCP's first round trips and some loss figures
const POLL_MS = 250;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run one check with `stream`'s tracks (media "audio_single" or "video"); resolves
 * within the check's time with call.create's `check`. Rejects with the server's
 * PhoneError when it refuses the check (rate_limited: busy, or too many).
 */
export async function runCheck(phone, stream, media) {
  const pc = new RTCPeerConnection({
    iceServers: phone.iceServers,
    iceTransportPolicy: phone.hello?.ice_transport_policy || phone.login?.ice_transport_policy || "all",
  });
  const early = [];
  let started = false;
  pc.onicecandidate = (event) => {
    const candidate = event.candidate ? event.candidate.toJSON() : null;
    if (started) phone.request("check.candidate", { candidate }).catch(() => {});
    else early.push(candidate);
  };
  try {
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    await pc.setLocalDescription(await pc.createOffer());
    const ack = await phone.request("check.start", { media, sdp: pc.localDescription.sdp });
    const deadline = Date.now() + Math.max(ack.seconds * 1000 - 1000, 1000);
    await pc.setRemoteDescription({ type: "answer", sdp: ack.sdp });
    started = true;
    for (const candidate of early) phone.request("check.candidate", { candidate }).catch(() => {});
    const facts = await measure(pc, deadline);
    phone.request("check.end").catch(() => {}); // over already if its time ran out
    return { verdict: verdict(facts, ack.limits), ...facts };
  } finally {
    pc.close();
  }
}

async function measure(pc, deadline) {
  while (pc.connectionState !== "connected") {
    if (Date.now() >= deadline || pc.connectionState === "failed" || pc.connectionState === "closed") {
      return { connected: false, candidate_type: null, rtt_ms: null, loss_pct: null };
    }
    await sleep(POLL_MS);
  }
  const first = readStats(await pc.getStats());
  const enough = Math.min(Date.now() + MEASURE_MS, deadline);
  let fields = report(first, null);
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    fields = report(readStats(await pc.getStats()), first);
    if (Date.now() >= enough && fields.rtt_ms !== undefined) break;
  }
  return {
    connected: true,
    candidate_type: fields.candidate_type ?? null,
    rtt_ms: fields.rtt_ms ?? null,
    loss_pct: fields.loss_pct ?? null,
  };
}
