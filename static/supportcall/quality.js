// Call quality in the browser (docs/protocol.md, "Call quality"): while a call is
// answered, its peer connection's statistics are sampled every hello.quality_interval
// seconds and sent as a `call.quality` report; the server's `call.quality` events
// (one per side: `local` is this side's own connection, `remote` the other's) are
// kept on the call and handed to the page as the call's "quality" event.
//
//   call.quality.local / call.quality.remote   the last event of each side, or null
//   call "quality" {side, mos, level, warnings, candidate_type}
//
// A report is what this side measured of the media it receives and of its path;
// anything not measured is left out, and a refused report never touches the call.

/** How often to report when the hello says nothing (an older server), in seconds. */
export const DEFAULT_INTERVAL_S = 5;

/** The levels of a `call.quality` event, best first. */
export const Level = Object.freeze({ GOOD: "good", FAIR: "fair", POOR: "poor" });
const LEVELS = [Level.GOOD, Level.FAIR, Level.POOR];

/** The warnings of a `call.quality` event (the ack's too). */
export const Warning = Object.freeze({
  HIGH_RTT: "high_rtt",
  HIGH_JITTER: "high_jitter",
  PACKET_LOSS: "packet_loss",
  LOW_MOS: "low_mos",
});

/** What a side's warnings mean for people: audio lost, or a slow connection (or nothing). */
export function trouble(event) {
  const warnings = event?.warnings || [];
  if (warnings.includes(Warning.PACKET_LOSS) || warnings.includes(Warning.LOW_MOS)) return "losing";
  if (warnings.includes(Warning.HIGH_RTT) || warnings.includes(Warning.HIGH_JITTER)) return "slow";
  return null;
}

/** The call's quality as one level: the worse of both sides' (null before any event). */
export function callLevel(quality) {
  const levels = [quality?.local?.level, quality?.remote?.level].filter((l) => LEVELS.includes(l));
  if (!levels.length) return null;
  return LEVELS[Math.max(...levels.map((l) => LEVELS.indexOf(l)))];
}

// The contract's ranges (docs/protocol.md): a value outside is refused, so it is clamped.
const MAX = { rtt_ms: 60000, jitter_ms: 60000, loss_pct: 100, bitrate_in_kbps: 100000, bitrate_out_kbps: 100000 };
const CANDIDATE_TYPES = ["host", "srflx", "prflx", "relay"];
const CODEC = /^[A-Za-z0-9/-]{1,32}$/;

function number(value, max) {
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  return Math.round(Math.min(Math.max(value, 0), max) * 100) / 100;
}

/** The audio's counters and the path, out of one getStats() report. */
export function readStats(stats) {
  const found = { inbound: null, outboundBytes: 0, remoteRtt: undefined, pair: null, timestamp: undefined };
  let transport = null;
  stats.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") found.inbound = s;
    else if (s.type === "outbound-rtp" && s.kind === "audio") found.outboundBytes += s.bytesSent || 0;
    else if (s.type === "remote-inbound-rtp" && s.kind === "audio" && s.roundTripTime !== undefined) {
      found.remoteRtt = s.roundTripTime;
    } else if (s.type === "transport" && s.selectedCandidatePairId) transport = s;
    if (found.timestamp === undefined || s.timestamp > found.timestamp) found.timestamp = s.timestamp;
  });
  if (transport) found.pair = stats.get(transport.selectedCandidatePairId) || null;
  if (!found.pair) {
    // Some browsers have no transport stat: the nominated, succeeded pair is the one.
    stats.forEach((s) => {
      if (!found.pair && s.type === "candidate-pair" && s.nominated && s.state === "succeeded") found.pair = s;
    });
  }
  const inbound = found.inbound;
  const codec = inbound?.codecId ? stats.get(inbound.codecId) : null;
  const local = found.pair ? stats.get(found.pair.localCandidateId) : null;
  return {
    at: found.timestamp,
    lost: inbound?.packetsLost,
    received: inbound?.packetsReceived,
    bytesIn: inbound?.bytesReceived,
    bytesOut: found.outboundBytes,
    rttS: found.remoteRtt ?? found.pair?.currentRoundTripTime,
    jitterS: inbound?.jitter,
    codec: codec?.mimeType ? codec.mimeType.split("/").slice(1).join("/").toLowerCase() : undefined,
    candidateType: local?.candidateType,
  };
}

/**
 * The `call.quality` report's fields from this sample and the one before it (null
 * for the first report: its loss is then counted from the call's start, and it has
 * no bitrates). Only what was measured is there, in the contract's ranges; never NaN.
 */
export function report(now, before) {
  const fields = {
    rtt_ms: number(now.rttS * 1000, MAX.rtt_ms),
    jitter_ms: number(now.jitterS * 1000, MAX.jitter_ms),
  };
  const lost = now.lost - (before?.lost ?? 0);
  const received = now.received - (before?.received ?? 0);
  if (Number.isFinite(lost) && Number.isFinite(received) && received >= 0 && received + Math.max(lost, 0) > 0) {
    fields.loss_pct = number((100 * Math.max(lost, 0)) / (received + Math.max(lost, 0)), MAX.loss_pct);
  }
  const seconds = before ? (now.at - before.at) / 1000 : NaN;
  if (seconds > 0) {
    const kbps = (bytes) => (bytes * 8) / seconds / 1000;
    fields.bitrate_in_kbps = number(kbps(now.bytesIn - before.bytesIn), MAX.bitrate_in_kbps);
    fields.bitrate_out_kbps = number(kbps(now.bytesOut - before.bytesOut), MAX.bitrate_out_kbps);
  }
  if (CODEC.test(now.codec || "")) fields.codec = now.codec;
  if (CANDIDATE_TYPES.includes(now.candidateType)) fields.candidate_type = now.candidateType;
  for (const [key, value] of Object.entries(fields)) if (value === undefined) delete fields[key];
  return fields;
}

/** One call's reports: started when it is answered, stopped when it ends. */
export class QualitySampler {
  constructor(call) {
    this.call = call;
    this.timer = null;
    this.before = null;
    this.running = false;
  }

  get intervalMs() {
    const seconds = Number(this.call.phone.hello?.quality_interval);
    return (seconds > 0 ? seconds : DEFAULT_INTERVAL_S) * 1000;
  }

  /** Report every interval from now on (again after a hold: it never stopped). */
  start() {
    if (this.running || !this.call.pc) return;
    this.running = true;
    this.schedule();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = null;
  }

  schedule() {
    clearTimeout(this.timer);
    // The next one is timed from the end of this one: reports never come closer
    // together than the interval (the server refuses those rate_limited).
    this.timer = setTimeout(() => this.tick().finally(() => this.running && this.schedule()), this.intervalMs);
  }

  async tick() {
    if (!this.running || this.call.ended || !this.call.pc) return;
    let fields;
    try {
      fields = await this.measure();
    } catch (error) {
      console.debug("supportcall: no statistics for the quality report", error);
      return;
    }
    if (!this.running || !fields || !Object.keys(fields).length) return;
    try {
      await this.call.phone.request("call.quality", { call_id: this.call.id, ...fields });
    } catch (error) {
      // Refused (rate_limited, invalid_state at the end) or lost: the call goes on.
      console.debug("supportcall: quality report not taken:", error.code, error.message);
    }
  }

  /** This interval's report from the peer connection's statistics. */
  async measure() {
    const now = readStats(await this.call.pc.getStats());
    const fields = report(now, this.before);
    this.before = now;
    return fields;
  }

  /** A `call.quality` event: kept on the call by side, then the call's "quality" event. */
  received(frame) {
    if (frame.side !== "local" && frame.side !== "remote") return;
    const event = {
      side: frame.side,
      mos: frame.mos,
      level: frame.level,
      warnings: frame.warnings || [],
      candidate_type: frame.candidate_type ?? null,
    };
    this.call.quality = { ...this.call.quality, [frame.side]: event };
    this.call.dispatchEvent(new CustomEvent("quality", { detail: event }));
  }
}
