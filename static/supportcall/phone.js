// supportcall's browser client: the wire contract (docs/protocol.md) over the
// browser's own WebSocket and RTCPeerConnection. Shared by the widget and the
// agent dashboard; no build step, no dependencies.
//
//   import { Phone } from "/static/supportcall/phone.js";
//   const phone = await Phone.visitor("https://support.example.com", { site: "demo" });
//   const call = await phone.call({ media: "audio" });
//   call.addEventListener("state", (e) => console.log(e.detail.state));
//
// Reconnecting. When the WebSocket drops (anything but a refusal: 4401, 4403,
// 4409, or this page's own close), the Phone reconnects with backoff and
// resumes with the last hello's resume_token, within the server's grace period
// (hello.resume_grace). Calls and their peer connections are kept: media keeps
// flowing meanwhile. Events for the page to show it:
//
//   phone "reconnecting"  {code, attempt}  the connection dropped; show "reconnecting…"
//   phone "reconnected"   {hello}          resumed: the calls go on; hide it
//   phone "closed"        PhoneError       gave up (refused, or the grace ran out):
//                                          every call has ended connection_lost
//   call  "connection"    {connection}     the OTHER party's signaling: "reconnecting"
//                                          then "connected" (call.remoteConnection)
//
// After a resume the server replays each call's state (call.state with
// resumed: true: "state" is dispatched only if it changed), a re-offer still
// waiting for this side's answer, and ringing calls (an existing call is not
// announced twice). The Phone pings every hello.ping_interval seconds. A call
// whose ICE state goes "failed", or stays "disconnected" for 5 s, restarts
// its media (call.restart_media, an ICE restart).
//
// Media that never connects. Peer connections use the hello's ice_servers (a
// fresh TURN credential in each hello) and ice_transport_policy ("relay" hides
// both parties' addresses). An answered call whose ICE fails before it ever
// connected, or that has not connected hello.media_timeout seconds after the
// answer, is ended with call.end reason "media_failed": a network between the
// parties (or the TURN relay) blocks it, and both parties are told so.

import { QualitySampler } from "./quality.js";

// --- the words of the contract (docs/protocol.md) ------------------------------
// Defined once for the browser: the widget and the dashboard import these, and
// supportcall/vocabulary.py is the Python copy, value for value (a browser test
// compares the two).

export const Role = Object.freeze({ VISITOR: "visitor", AGENT: "agent" });

export const Media = Object.freeze({
  VIDEO: "video", // audio and video
  AUDIO: "audio", // audio plus an inactive video m-line: video can start later
  AUDIO_SINGLE: "audio_single", // one audio m-line: video can never start
});

/** What one party sees of a call. */
export const State = Object.freeze({
  INITIATED: "initiated",
  QUEUED: "queued",
  RINGING: "ringing",
  IN_CALL: "in_call",
  ON_HOLD: "on_hold",
  REMOTELY_HELD: "remotely_held",
  ON_DOUBLE_HOLD: "on_double_hold",
  ENDED: "ended",
});

// The states of an answered call: media flows (or is held) between the parties.
export const CONNECTED_STATES = Object.freeze([
  State.IN_CALL, State.ON_HOLD, State.REMOTELY_HELD, State.ON_DOUBLE_HOLD,
]);
// The states before an answer: the call exists and is not over.
export const WAITING_STATES = Object.freeze([State.INITIATED, State.QUEUED, State.RINGING]);
// Connected states in which this side holds the call (so "unhold" is its next step)...
export const HOLDING_STATES = Object.freeze([State.ON_HOLD, State.ON_DOUBLE_HOLD]);
// ...and those in which the other side holds it.
export const HELD_STATES = Object.freeze([State.REMOTELY_HELD, State.ON_DOUBLE_HOLD]);

/** The operations: each is the request `call.<op>` and ends with an `op.result`. */
export const Op = Object.freeze({
  ACCEPT: "accept",
  REJECT: "reject",
  IGNORE: "ignore",
  FORWARD: "forward",
  END: "end",
  HOLD: "hold",
  UNHOLD: "unhold",
  VIDEO_START: "video_start",
  VIDEO_STOP: "video_stop",
  MUTE: "mute",
  UNMUTE: "unmute",
  RESTART_MEDIA: "restart_media", // an ICE-restart re-offer after a network change
  TRANSFER: "transfer", // blind transfer of an answered call (the agent side's)
  // Consult (warm) transfer: call.create with consult_of on a held call, then call.complete
  // on the consult call (docs/protocol.md, "Consult transfer").
  CONSULT: "consult",
  COMPLETE: "complete",
  // The visitor's screen, on a video m-line of its own after the call's (docs/protocol.md).
  SCREEN_START: "screen_start",
  SCREEN_STOP: "screen_stop",
});

/** Why the visitor did not share its screen (screen.decline's reason). */
export const ScreenRefusal = Object.freeze({ DECLINED: "declined", NOT_SUPPORTED: "not_supported" });

// Operations after which the call (or this agent's part of it) is over for the sender:
// their op.result follows call.state "ended".
export const ENDING_OPS = Object.freeze([
  Op.END, Op.REJECT, Op.IGNORE, Op.FORWARD, Op.TRANSFER, Op.COMPLETE,
]);

/** Why a call ended, for one party (call.state "ended"'s reason). */
export const Reason = Object.freeze({
  ENDED_BY_LOCAL: "ended_by_local",
  ENDED_BY_REMOTE: "ended_by_remote",
  REJECTED: "rejected",
  IGNORED: "ignored",
  NO_ANSWER: "no_answer",
  NO_AGENTS: "no_agents",
  ANSWERED_ELSEWHERE: "answered_elsewhere",
  CANCELLED: "cancelled",
  FORWARDED: "forwarded",
  TRANSFERRED: "transferred",
  CALLBACK_REQUESTED: "callback_requested",
  CONNECTION_LOST: "connection_lost",
  MEDIA_FAILED: "media_failed",
  ERROR: "error",
});

/** The code of an `error` answer, an HTTP refusal, or a failed op.result. */
export const ErrorCode = Object.freeze({
  BAD_REQUEST: "bad_request",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  INVALID_STATE: "invalid_state",
  OPERATION_IN_PROGRESS: "operation_in_progress",
  NOT_SUPPORTED: "not_supported",
  RATE_LIMITED: "rate_limited",
  TOO_LARGE: "too_large",
  TIMEOUT: "timeout",
  INTERNAL_ERROR: "internal_error",
});
// This side's own code, never on the wire: the server could not be reached.
export const NETWORK_ERROR = "network";

/** How the server closes /ws/v1/calls, and what the client should do next. */
export const Close = Object.freeze({
  NORMAL: 1000, // sent by a client leaving for good (logged out, tab closed)
  GOING_AWAY: 1001,
  UNAUTHORIZED: 4401, // a bad or missing token: log in again
  FORBIDDEN: 4403, // a visitor's Origin is not allowed for its site
  IDLE: 4408, // nothing received for SUPPORTCALL_IDLE_TIMEOUT: taken for dead
  REPLACED: 4409, // the party resumed on another connection: do not reconnect
  RESYNC: 4011, // events to this connection were lost: resume to get the calls replayed
  UNREAD: 4008, // the client left more than SUPPORTCALL_WS_UNSENT bytes unread: resume
  RESTART: 4012, // the server process is shutting down: reconnect (elsewhere) and resume
});
// After these, reconnecting with the same token cannot work (our own close sets `closing`).
export const FINAL_CLOSES = Object.freeze([Close.UNAUTHORIZED, Close.FORBIDDEN, Close.REPLACED]);

/** The other party's signaling connection, as call.media's `connection` tells it. */
export const Link = Object.freeze({ RECONNECTING: "reconnecting", CONNECTED: "connected" });

// An agent's presence: what it chose (presence.set), or what the server computes
// (offline: no connection; busy: on as many calls as it may take), in the team view.
export const Presence = Object.freeze({
  AVAILABLE: "available",
  AWAY: "away",
  OFFLINE: "offline",
  BUSY: "busy",
});

// --- the Phone -----------------------------------------------------------------

const PROTOCOL_PATH = "/ws/v1/calls";
const REQUEST_TIMEOUT_MS = 15000;
const ICE_DISCONNECTED_MS = 5000;
const MEDIA_TIMEOUT_S = 20; // when a hello says nothing (an older server)

/** An error with one of the contract's codes (bad_request, forbidden, ...). */
export class PhoneError extends Error {
  constructor(code, message, field) {
    super(message || code);
    this.name = "PhoneError";
    this.code = code;
    /** The request's field the refusal is about, when the server names one ("identity"). */
    this.field = field || null;
  }
}

// Plain sentences for people, by error code or end reason.
export const EXPLAIN = Object.freeze({
  [Reason.ENDED_BY_LOCAL]: "You ended the call.",
  [Reason.ENDED_BY_REMOTE]: "The other side ended the call.",
  [Reason.REJECTED]: "The call was declined.",
  [Reason.IGNORED]: "You ignored the call.",
  [Reason.NO_ANSWER]: "Nobody answered in time.",
  [Reason.NO_AGENTS]: "No agent is available right now.",
  [Reason.ANSWERED_ELSEWHERE]: "The call was answered elsewhere.",
  [Reason.CANCELLED]: "The caller hung up.",
  [Reason.FORWARDED]: "You forwarded the call.",
  [Reason.TRANSFERRED]: "The call was transferred.",
  [Reason.CALLBACK_REQUESTED]: "Nobody could take the call just now: we will call you back.",
  [Reason.CONNECTION_LOST]: "The connection was lost.",
  [Reason.MEDIA_FAILED]: "Your network blocks the call.",
  [Reason.ERROR]: "The call failed because of a server error.",
  [ErrorCode.FORBIDDEN]: "This is not allowed.",
  [ErrorCode.NOT_FOUND]: "Nobody can be reached at that address.",
  [ErrorCode.INVALID_STATE]: "That is not possible in the call's current state.",
  [ErrorCode.OPERATION_IN_PROGRESS]: "Another action on this call is still running.",
  [ErrorCode.NOT_SUPPORTED]: "This call does not support that.",
  [ErrorCode.RATE_LIMITED]: "Too many attempts; try again in a minute.",
  [ErrorCode.TIMEOUT]: "The other side did not respond in time.",
  [ErrorCode.TOO_LARGE]: "The message was too large.",
  [ErrorCode.BAD_REQUEST]: "The request was not understood.",
  [ErrorCode.UNAUTHORIZED]: "You need to log in again.",
  [ErrorCode.INTERNAL_ERROR]: "The server failed.",
  [NETWORK_ERROR]: "The network connection to the support server failed.",
});

function networkError() {
  return new PhoneError(NETWORK_ERROR, EXPLAIN[NETWORK_ERROR]);
}

// WebSocket's own close codes of a server that failed (1011 Internal Error) or could
// not serve (1013 Try Again Later, 1014 Bad Gateway) after the socket opened.
const SERVER_FAILED = Object.freeze([1011, 1013, 1014]);

/** Why a WebSocket closed, as a PhoneError whose `closeCode` is the close code. */
function closeError(code) {
  let error;
  if (code === Close.FORBIDDEN) {
    error = new PhoneError(ErrorCode.FORBIDDEN, "This page is not allowed to call support.");
  } else if (code === Close.UNAUTHORIZED) {
    error = new PhoneError(ErrorCode.UNAUTHORIZED, "The login expired; please try again.");
  } else if (SERVER_FAILED.includes(code)) {
    error = new PhoneError(ErrorCode.INTERNAL_ERROR, EXPLAIN[ErrorCode.INTERNAL_ERROR]);
  } else {
    error = networkError();
  }
  error.closeCode = code;
  return error;
}

async function postJSON(url, body, headers = {}) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
      credentials: headers["X-CSRFToken"] ? "same-origin" : "omit",
    });
  } catch (e) {
    throw networkError();
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    throw new PhoneError(error.code || NETWORK_ERROR, error.message || `HTTP ${response.status}`, error.field);
  }
  return data;
}

/** The m-line kinds and directions of an SDP, in order. */
export function mLines(sdp) {
  const lines = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith("m=")) lines.push({ kind: line.slice(2).split(" ")[0], direction: "sendrecv" });
    const d = line.match(/^a=(sendrecv|sendonly|recvonly|inactive)$/);
    if (d && lines.length) lines[lines.length - 1].direction = d[1];
  }
  return lines;
}

/**
 * One WebSocket session: auth, requests answered by ack/error, events to calls.
 * Events: "hello", "incoming" (a new Call), "presence", "wrap-up" (agent.wrap_up), "closed".
 */
export class Phone extends EventTarget {
  constructor(server, login, { origin } = {}) {
    super();
    this.server = server.replace(/\/$/, "");
    this.login = login;
    this.calls = new Map();
    this.nextId = 1;
    this.waiting = new Map();
    this.iceServers = login.ice_servers || [];
    this.closed = null;
    this.reconnecting = false;
    this.closing = false;
    this.watchingTargets = false;
  }

  /**
   * Log in anonymously for a site (the server checks this page's origin). `identity`:
   * an identity token the site's backend signed (single-use: a new one for each login).
   */
  static async visitor(server, { site, displayName, context, identity } = {}) {
    const body = { site };
    if (displayName) body.display_name = displayName;
    if (context) body.context = context;
    if (identity) body.identity = identity;
    const login = await postJSON(`${server.replace(/\/$/, "")}/api/v1/anonymous-login`, body);
    const phone = new Phone(server, login);
    await phone.open();
    return phone;
  }

  /** Log in as the agent whose Django session this page has (the dashboard). */
  static async agent(server, { csrfToken }) {
    const login = await postJSON(`${server.replace(/\/$/, "")}/api/v1/agent-login`, {}, {
      "X-CSRFToken": csrfToken,
    });
    const phone = new Phone(server, login);
    await phone.open();
    return phone;
  }

  get identity() {
    return this.hello?.identity;
  }

  wsURL() {
    const url = new URL(this.login.ws_url || PROTOCOL_PATH, this.server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url;
  }

  /** Open the WebSocket and log in; resolves with this Phone once greeted. */
  open() {
    return this.connect({ type: "auth", token: this.login.token }).catch((error) => {
      this.finish(error);
      throw error;
    });
  }

  /** One WebSocket: sends `auth`, resolves on hello, rejects with a PhoneError if closed first. */
  connect(auth) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.wsURL());
      this.ws = ws;
      let greeted = false;
      ws.onopen = () => ws.send(JSON.stringify(auth));
      ws.onmessage = (message) => {
        const frame = JSON.parse(message.data);
        if (!greeted && frame.type === "hello") {
          greeted = true;
          this.hello = frame;
          if (frame.ice_servers) this.iceServers = frame.ice_servers;
          this.startPings();
          this.dispatchEvent(new CustomEvent("hello", { detail: frame }));
          resolve(this);
          return;
        }
        this.receive(frame);
      };
      ws.onclose = (event) => {
        if (this.ws !== ws) return;
        this.stopPings();
        this.failWaiting(networkError());
        if (!greeted) {
          reject(closeError(event.code));
          return;
        }
        if (this.closing || FINAL_CLOSES.includes(event.code) || !this.hello?.resume_token) {
          this.finish(closeError(event.code));
          return;
        }
        this.resume(event.code);
      };
    });
  }

  /** Come back within the grace period with the resume token; give up when refused or late. */
  async resume(code) {
    this.reconnecting = true;
    const deadline = Date.now() + (this.hello.resume_grace || 20) * 1000;
    let delay = 250;
    for (let attempt = 1; Date.now() < deadline && !this.closing; attempt++) {
      this.dispatchEvent(new CustomEvent("reconnecting", { detail: { code, attempt } }));
      try {
        await this.connect({ type: "auth", resume_token: this.hello.resume_token });
        this.reconnecting = false;
        // A watch lasts as long as its connection.
        if (this.watchingTargets) this.request("targets.watch").catch(() => {});
        this.dispatchEvent(new CustomEvent("reconnected", { detail: { hello: this.hello } }));
        return;
      } catch (error) {
        if (error.code === ErrorCode.UNAUTHORIZED || error.code === ErrorCode.FORBIDDEN) break;
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
      delay = Math.min(delay * 2, 4000);
    }
    this.reconnecting = false;
    this.finish(new PhoneError(NETWORK_ERROR, EXPLAIN[Reason.CONNECTION_LOST]));
  }

  /** The end of this Phone: every call has ended, nobody waits any more. */
  finish(error) {
    if (this.closed) return;
    this.closed = error;
    this.stopPings();
    this.failWaiting(error);
    for (const call of this.calls.values()) call.connectionLost();
    this.dispatchEvent(new CustomEvent("closed", { detail: error }));
  }

  failWaiting(error) {
    for (const { reject: fail, timer } of this.waiting.values()) {
      clearTimeout(timer);
      fail(error);
    }
    this.waiting.clear();
  }

  startPings() {
    this.stopPings();
    const every = (this.hello?.ping_interval || 10) * 1000;
    this.pinger = setInterval(() => {
      if (this.ws?.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify({ type: "ping", id: `ping-${this.nextId++}` }));
      }
    }, every);
  }

  stopPings() {
    clearInterval(this.pinger);
    this.pinger = null;
  }

  close() {
    this.closing = true;
    this.ws?.close(Close.NORMAL);
  }

  /** Send a request; resolves with its ack, rejects with a PhoneError on error. */
  request(type, fields = {}) {
    if (this.closed) return Promise.reject(this.closed);
    if (this.ws?.readyState !== WebSocket.OPEN) {
      return Promise.reject(networkError());
    }
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new PhoneError(ErrorCode.TIMEOUT, EXPLAIN[ErrorCode.TIMEOUT]));
      }, REQUEST_TIMEOUT_MS);
      this.waiting.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ type, id, ...fields }));
    });
  }

  receive(frame) {
    if (frame.type === "ack" || frame.type === "error") {
      if (String(frame.id).startsWith("ping-")) return;
      const waiter = this.waiting.get(frame.id);
      if (!waiter) return;
      this.waiting.delete(frame.id);
      clearTimeout(waiter.timer);
      if (frame.type === "ack") waiter.resolve(frame);
      else waiter.reject(new PhoneError(frame.code, frame.message));
      return;
    }
    if (frame.type === "presence") {
      this.dispatchEvent(new CustomEvent("presence", { detail: frame }));
      return;
    }
    if (frame.type === "agent.wrap_up") {
      // To agents: after-call work began, was extended or ended (detail: the frame).
      this.dispatchEvent(new CustomEvent("wrap-up", { detail: frame }));
      return;
    }
    if (frame.type === "call.rated") {
      // To agents: a caller rated a call of theirs (detail: the frame).
      this.dispatchEvent(new CustomEvent("rated", { detail: frame }));
      return;
    }
    if (frame.type === "targets.changed") {
      // To agents who watch (watchTargets): who is free may have changed.
      this.dispatchEvent(new Event("targets-changed"));
      return;
    }
    if (frame.type === "queue.waiting") {
      // To agents: callers waiting in one of their queues (detail: the frame).
      this.dispatchEvent(new CustomEvent("queue-waiting", { detail: frame }));
      return;
    }
    if (frame.type === "call.incoming") {
      // Replayed after a resume: already ringing here. (A call that ended here and
      // rings again, as after a forward to this agent, is a new incoming call.)
      if (this.calls.get(frame.call_id)?.ended === false) return;
      const call = new Call(this, frame.call_id, {
        direction: "incoming",
        media: frame.media,
        from: frame.from,
        to: frame.to,
        offer: frame.sdp,
        transferredBy: frame.transferred_by || null,
        notes: frame.notes || "",
        consultOf: frame.consult_of || null,
        consulted: Boolean(frame.consulted),
      });
      this.calls.set(call.id, call);
      this.dispatchEvent(new CustomEvent("incoming", { detail: call }));
      return;
    }
    const call = this.calls.get(frame.call_id);
    if (call) call.receive(frame);
  }

  /** presence.set: Presence.AVAILABLE or Presence.AWAY (with an away reason's id or label). */
  setPresence(status, reason = null) {
    return this.request("presence.set", reason === null ? { status } : { status, reason });
  }

  /** targets.watch (or, `false`, targets.unwatch): this connection is told ("targets-changed")
   * when who is free may have changed, for the forward and transfer lists; kept on a resume. */
  watchTargets(on = true) {
    this.watchingTargets = on;
    return this.request(on ? "targets.watch" : "targets.unwatch");
  }

  /** wrapup.save: the call's outcome (a disposition's id, or null) and notes; ends the wrap-up. */
  saveWrapUp(callId, { disposition = null, notes = "" } = {}) {
    return this.request("wrapup.save", { call_id: callId, disposition, notes });
  }

  /** wrapup.extend: once, the queue's wrap-up time again. */
  extendWrapUp() {
    return this.request("wrapup.extend");
  }

  /** wrapup.end: ready for the next call. */
  endWrapUp() {
    return this.request("wrapup.end");
  }

  /**
   * Place a call (visitors; agents call colleagues). media: "audio" | "video" | "audio_single".
   * `stream` is the local MediaStream (from getUserMedia): the caller asks for
   * it first so that a denied microphone is explained before anything rings.
   * `check` (optional, visitors): what a check before the call found (check.js).
   * `consultOf` (agents): the id of the held call this one is a consult about.
   */
  async call({ to, media = Media.AUDIO, stream, check, consultOf }) {
    const call = new Call(this, null, { direction: "outgoing", media, to });
    await call.startOutgoing(stream, check, consultOf);
    return call;
  }
}

/**
 * One call seen from this side. Events:
 *   "state"   {state, previous, reason}
 *   "media"   {muted, video}   what the remote party now sends
 *   "connection" {connection}  the remote party's signaling: "reconnecting" / "connected"
 *   "track"   {track, streams} a remote track arrived
 *   "result"  {op, ok, code, message}
 *   "position" {position, agentsAvailable, estimatedWaitS}  while waiting in a queue
 *   "chat.message", "chat.typing"  the frame, as sent (see chat.js)
 *   "quality" {side, mos, level, warnings, candidate_type}  a call.quality event (quality.js);
 *             call.quality.local / .remote keep the last of each side
 *   "screen"  {sharing, mid}   (agents) whether the visitor shares its screen (call.screen);
 *             "screen-track" {track}: the screen's remote track (never in remoteStream)
 *   "screen.asked", "screen.stop_request", "sharing" {sharing} (visitors: its own share
 *             started or stopped), "screen.declined" {reason} (agents)
 */
export class Call extends EventTarget {
  constructor(phone, id, {
    direction, media, from, to, offer, transferredBy = null, notes = "", consultOf = null, consulted = false,
  }) {
    super();
    this.phone = phone;
    this.id = id;
    this.direction = direction;
    this.media = media;
    this.from = from;
    this.to = to;
    this.offer = offer;
    // A transferred call: who handed it on ({address, display_name}) and the notes so far.
    this.transferredBy = transferredBy;
    this.notes = notes;
    // A consult call rung here: the held call it is about ({call_id, from, context}).
    this.consultOf = consultOf;
    // The completion of a consult this agent took: it agreed already, so it accepts at once.
    this.consulted = consulted;
    // A consult call placed here (consult()): the held Call it is about.
    this.consulting = null;
    this.state = direction === "incoming" ? State.RINGING : null;
    this.states = this.state ? [this.state] : [];
    this.reason = null;
    this.remoteMedia = { muted: false, video: media === Media.VIDEO };
    this.remoteConnection = Link.CONNECTED;
    this.muted = false;
    this.sendingVideo = false;
    this.pendingCandidates = [];
    this.earlyCandidates = [];
    this.results = new Map(); // op -> {resolve, reject}
    this.pendingReoffer = null;
    this.remoteStream = new MediaStream();
    // The visitor's screen: this side's share (visitors), what the visitor shares (agents).
    this.sharingScreen = false;
    this.remoteScreen = { sharing: false, mid: null };
    this.screenStream = new MediaStream();
    this.screenAsk = null; // (visitors) the agent's ask not answered: "share" or "stop"
    // While answered, reports of this side's media every hello.quality_interval (quality.js).
    this.quality = { local: null, remote: null };
    this.sampler = new QualitySampler(this);
    // Events are handled one at a time: SDP steps must not interleave.
    this.queue = Promise.resolve();
  }

  get ended() {
    return this.state === State.ENDED;
  }

  // --- peer connection -------------------------------------------------------

  createPeer(stream) {
    const pc = new RTCPeerConnection({
      iceServers: this.phone.iceServers,
      iceTransportPolicy: this.phone.hello?.ice_transport_policy || this.phone.login.ice_transport_policy || "all",
    });
    this.pc = pc;
    this.localStream = stream;
    pc.onicecandidate = (event) => {
      const candidate = event.candidate ? event.candidate.toJSON() : null;
      if (!this.id || this.reoffering) this.earlyCandidates.push(candidate);
      else this.sendCandidate(candidate);
    };
    pc.oniceconnectionstatechange = () => this.watchIce();
    pc.ontrack = (event) => {
      // The m-lines after the call's own are the visitor's screen (docs/protocol.md).
      if (pc.getTransceivers().indexOf(event.transceiver) >= this.ownMLines) {
        this.screenStream.addTrack(event.track);
        this.dispatchEvent(new CustomEvent("screen-track", { detail: { track: event.track } }));
        return;
      }
      this.remoteStream.addTrack(event.track);
      this.dispatchEvent(new CustomEvent("track", { detail: { track: event.track } }));
    };
    return pc;
  }

  /** A network change: ICE "failed", or "disconnected" for 5 s, restarts the media;
   * failing before it ever connected means the media cannot get through at all. */
  watchIce() {
    const state = this.pc?.iceConnectionState;
    clearTimeout(this.iceTimer);
    if (state === "connected" || state === "completed") {
      this.mediaConnected = true;
      clearTimeout(this.mediaTimer);
    }
    if (state === "failed" && !this.mediaConnected) this.mediaFailed();
    else if (state === "failed") this.restartIfAnswered();
    else if (state === "disconnected") {
      this.iceTimer = setTimeout(() => {
        if (this.pc?.iceConnectionState === "disconnected") this.restartIfAnswered();
      }, ICE_DISCONNECTED_MS);
    }
  }

  /** Answered: give the media hello.media_timeout seconds to connect. */
  watchMedia() {
    if (this.mediaTimer || this.mediaConnected || !this.pc) return;
    const seconds = this.phone.hello?.media_timeout || MEDIA_TIMEOUT_S;
    this.mediaTimer = setTimeout(() => {
      if (!this.mediaConnected) this.mediaFailed();
    }, seconds * 1000);
  }

  /** Tell the server this side's media cannot connect: the call ends media_failed for
   * both. The other side may have said so first (then this is refused: no matter). */
  mediaFailed() {
    clearTimeout(this.mediaTimer);
    if (this.ended || this.reportedMediaFailure || !CONNECTED_STATES.includes(this.state)) return;
    this.reportedMediaFailure = true;
    this.operation(Op.END, { reason: Reason.MEDIA_FAILED }).catch(() => {});
  }

  /** The selected ICE candidate pair's types, {local, remote} (host, srflx, prflx,
   * relay), from getStats(); null before one is selected. */
  async candidatePair() {
    if (!this.pc) return null;
    const stats = await this.pc.getStats();
    let transport = null;
    stats.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) transport = s;
    });
    const pair = transport && stats.get(transport.selectedCandidatePairId);
    if (!pair) return null;
    return {
      local: stats.get(pair.localCandidateId)?.candidateType,
      remote: stats.get(pair.remoteCandidateId)?.candidateType,
    };
  }

  restartIfAnswered() {
    const answered = CONNECTED_STATES.includes(this.state);
    if (answered && !this.pendingReoffer && !this.phone.reconnecting) {
      this.restartMedia().catch(() => {});
    }
  }

  sendCandidate(candidate) {
    if (this.ended) return;
    this.phone.request("ice.candidate", { call_id: this.id, candidate }).catch(() => {});
  }

  /** The transceivers of the offer, in m-line order, as the contract wants them for `media`. */
  addTransceivers(stream) {
    const audio = stream?.getAudioTracks()[0];
    const video = stream?.getVideoTracks()[0];
    this.audio = this.pc.addTransceiver(audio || "audio", {
      direction: "sendrecv",
      streams: stream ? [stream] : [],
    });
    if (this.media === Media.AUDIO_SINGLE) return;
    if (this.media === Media.VIDEO) {
      this.video = this.pc.addTransceiver(video || "video", {
        direction: "sendrecv",
        streams: stream ? [stream] : [],
      });
      this.sendingVideo = true;
    } else {
      this.video = this.pc.addTransceiver("video", { direction: "inactive" });
    }
  }

  /** `check`: the result of a check before the call (check.js), handed to the agent. */
  async startOutgoing(stream, check, consultOf) {
    const pc = this.createPeer(stream);
    this.addTransceivers(stream);
    await pc.setLocalDescription(await pc.createOffer());
    let ack;
    try {
      ack = await this.phone.request("call.create", {
        ...(this.to ? { to: this.to } : {}),
        media: this.media,
        sdp: pc.localDescription.sdp,
        ...(check ? { check } : {}),
        ...(consultOf ? { consult_of: consultOf } : {}),
      });
    } catch (error) {
      // No call exists, and the caller never gets this object: close its peer.
      pc.close();
      throw error;
    }
    this.id = ack.call_id;
    this.phone.calls.set(this.id, this);
    for (const candidate of this.earlyCandidates) this.sendCandidate(candidate);
    this.earlyCandidates = [];
  }

  /** Accept an incoming call (agents); `stream` holds the agent's microphone (and camera). */
  async accept({ video = false, stream } = {}) {
    const pc = this.createPeer(stream);
    await pc.setRemoteDescription({ type: "offer", sdp: this.offer });
    const [audioT, videoT] = pc.getTransceivers();
    this.audio = audioT;
    this.video = this.media === Media.AUDIO_SINGLE ? null : videoT;
    const audio = stream?.getAudioTracks()[0];
    if (audio) await this.audio.sender.replaceTrack(audio);
    this.audio.direction = "sendrecv";
    if (this.video) {
      const camera = video ? stream?.getVideoTracks()[0] : null;
      if (camera) await this.video.sender.replaceTrack(camera);
      // Receive the caller's video when offered; send ours only when accepting with video.
      this.video.direction = this.media === Media.VIDEO ? (camera ? "sendrecv" : "recvonly") : "inactive";
      this.sendingVideo = Boolean(camera);
    }
    await pc.setLocalDescription(await pc.createAnswer());
    this.flushCandidates();
    return this.operation(Op.ACCEPT, { video, sdp: pc.localDescription.sdp });
  }

  reject() {
    return this.operation(Op.REJECT);
  }

  ignore() {
    return this.operation(Op.IGNORE);
  }

  forward(to) {
    return this.operation(Op.FORWARD, { to });
  }

  end() {
    return this.operation(Op.END);
  }

  /** Blind transfer of the answered call to an agent or a queue (agents); `notes` go to
   * the new agent. This side's part then ends `transferred`. */
  transfer(to, notes) {
    return this.operation(Op.TRANSFER, { to, ...(notes ? { notes } : {}) });
  }

  /**
   * Consult a colleague at `to` about this answered call (agents): it is held first if this
   * side does not hold it yet, then a consult call is placed with `stream` (the microphone).
   * Resolves with the consult Call (complete() or cancel() it); rejects with a PhoneError.
   */
  async consult(to, stream) {
    if (!HOLDING_STATES.includes(this.state)) {
      const held = await this.hold();
      if (!held.ok) throw new PhoneError(held.code, held.message);
    }
    const consult = await this.phone.call({ to, media: Media.AUDIO, stream, consultOf: this.id });
    consult.consulting = this;
    return consult;
  }

  /** Complete this consult call: the held caller moves to the colleague; this side's part
   * of both calls ends `transferred`. */
  complete() {
    return this.operation(Op.COMPLETE);
  }

  /** Cancel this consult call: hang it up and take the held caller off hold. */
  async cancel() {
    if (!this.ended) {
      const ended = await this.end();
      if (!ended.ok) return ended;
    }
    const held = this.consulting;
    if (held && HOLDING_STATES.includes(held.state)) return held.unhold();
    return { op: Op.END, ok: true };
  }

  /** Stop sending audio: the microphone track leaves the sender, so no RTP is sent. */
  async mute() {
    const result = await this.operation(Op.MUTE);
    if (result.ok) {
      this.muted = true;
      await this.audio?.sender.replaceTrack(null);
    }
    return result;
  }

  async unmute() {
    const result = await this.operation(Op.UNMUTE);
    if (result.ok) {
      this.muted = false;
      await this.audio?.sender.replaceTrack(this.localStream?.getAudioTracks()[0] || null);
    }
    return result;
  }

  hold() {
    return this.reoffer(Op.HOLD, () => {
      this.directionsBeforeHold = this.transceivers().map((t) => t.direction);
      for (const t of this.transceivers()) t.direction = "inactive";
    });
  }

  unhold() {
    return this.reoffer(Op.UNHOLD, () => {
      const before = this.directionsBeforeHold || [];
      this.transceivers().forEach((t, i) => (t.direction = before[i] || "sendrecv"));
    });
  }

  /** Start sending video; `camera` is a video MediaStreamTrack. */
  videoStart(camera) {
    return this.reoffer(Op.VIDEO_START, async () => {
      await this.video.sender.replaceTrack(camera);
      this.cameraTrack = camera;
      this.video.direction = "sendrecv";
    });
  }

  async videoStop() {
    // The camera sent now: from videoStart, or the first stream of a video call.
    const camera = this.video?.sender.track;
    const result = await this.reoffer(Op.VIDEO_STOP, async () => {
      await this.video.sender.replaceTrack(null);
      this.video.direction = this.remoteMedia.video ? "recvonly" : "inactive";
    });
    // Release the camera (its light goes off) only once the stop succeeded.
    if (result.ok || this.ended) camera?.stop();
    else await this.video.sender.replaceTrack(camera);
    return result;
  }

  /** The transceivers that take part in offers: not one stopped (a refused screen's). */
  transceivers() {
    return this.pc.getTransceivers().filter((t) => t.direction !== "stopped" && t.currentDirection !== "stopped");
  }

  /** The call's own m-lines: audio, and the camera's video unless audio_single. */
  get ownMLines() {
    return this.media === Media.AUDIO_SINGLE ? 1 : 2;
  }

  /**
   * call.screen_start (visitors): share `track` (from getDisplayMedia) on the screen's
   * own video m-line: added after the call's the first time, sending again later.
   */
  async screenStart(track) {
    const blocked = this.screenBlocked();
    if (blocked) return blocked;
    let added = null;
    const result = await this.reoffer(Op.SCREEN_START, async () => {
      if (this.screen) {
        await this.screen.sender.replaceTrack(track);
        this.screen.direction = "sendonly";
      } else {
        added = this.screen = this.pc.addTransceiver(track, { direction: "sendonly" });
      }
    });
    if (result.ok) {
      this.sharingScreen = true;
      this.screenTrack = track;
      this.screenAsk = null;
      this.dispatchEvent(new CustomEvent("sharing", { detail: { sharing: true } }));
    } else if (added) {
      // Never negotiated: stopped, it leaves the next offers, as the server expects.
      added.stop();
      this.screen = null;
    }
    return result;
  }

  /**
   * Why a screen_start cannot succeed now, as its failed op.result, or null. Checked here
   * first because a browser cannot take back a transceiver it added once it was in an
   * offer (Chrome keeps a stopped one and offers it again): the server still decides.
   */
  screenBlocked() {
    const fail = (code, message) => ({ op: Op.SCREEN_START, ok: false, code, message });
    if (this.pendingReoffer) return fail(ErrorCode.OPERATION_IN_PROGRESS, `a ${this.pendingReoffer} is in progress`);
    if (this.state !== State.IN_CALL) return fail(ErrorCode.INVALID_STATE, `cannot share the screen in a call ${this.state}`);
    if (this.sharingScreen) return fail(ErrorCode.INVALID_STATE, "the screen is shared already");
    return null;
  }

  /** call.screen_stop (visitors): the screen's m-line stays, sending nothing. */
  async screenStop() {
    const track = this.screenTrack;
    const result = await this.reoffer(Op.SCREEN_STOP, async () => {
      await this.screen?.sender.replaceTrack(null);
      if (this.screen) this.screen.direction = "inactive";
    });
    if (result.ok || this.ended) {
      this.sharingScreen = false;
      this.screenTrack = null;
      this.screenAsk = null;
      track?.stop();
      this.dispatchEvent(new CustomEvent("sharing", { detail: { sharing: false } }));
    } else {
      await this.screen?.sender.replaceTrack(track);
    }
    return result;
  }

  /**
   * Ask the browser for the screen and share it (visitors): what "Share" does. Resolves
   * with an op.result-like {ok, code, message}; a browser without getDisplayMedia, or a
   * refused permission, tells the agent (screen.decline) and fails with not_supported or
   * declined. The browser's own "Stop sharing" (the track ends) stops the share.
   */
  async shareScreen() {
    const blocked = this.screenBlocked();
    if (blocked) return blocked;  // nothing to ask the browser for
    if (!navigator.mediaDevices?.getDisplayMedia) {
      await this.declineScreen(ScreenRefusal.NOT_SUPPORTED).catch(() => {});
      return { ok: false, code: ErrorCode.NOT_SUPPORTED, message: "this browser cannot share a screen" };
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      await this.declineScreen(ScreenRefusal.DECLINED).catch(() => {});
      return { ok: false, code: ScreenRefusal.DECLINED, message: error.message || String(error) };
    }
    const [track] = stream.getVideoTracks();
    const result = await this.screenStart(track);
    if (!result.ok) {
      track.stop();
      return result;
    }
    track.addEventListener("ended", () => {
      if (this.screenTrack === track && !this.ended) this.screenStop().catch(() => {});
    });
    return result;
  }

  /** screen.ask / screen.ask_stop (agents); screen.decline (visitors). Not operations:
   * they resolve with the ack, and reject with a PhoneError. */
  askScreen() {
    return this.phone.request("screen.ask", { call_id: this.id });
  }

  askScreenStop() {
    return this.phone.request("screen.ask_stop", { call_id: this.id });
  }

  declineScreen(reason = ScreenRefusal.DECLINED) {
    this.screenAsk = null;
    return this.phone.request("screen.decline", { call_id: this.id, reason });
  }

  /** call.restart_media: a re-offer with an ICE restart (either party, any answered state). */
  restartMedia() {
    return this.reoffer(Op.RESTART_MEDIA, () => {
      // The newest hello's TURN credential: the first one may have expired in a long call.
      try {
        this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: this.phone.iceServers });
      } catch (error) {
        console.warn("supportcall: kept the old ICE servers", error);
      }
    }, { iceRestart: true });
  }

  // --- operations ------------------------------------------------------------

  /** Send an operation; resolves with its op.result {ok, code, message}. */
  async operation(op, fields = {}) {
    const finished = new Promise((resolve) => this.results.set(op, resolve));
    try {
      await this.phone.request(`call.${op}`, { call_id: this.id, ...fields });
    } catch (error) {
      this.results.delete(op);
      const result = { op, ok: false, code: error.code, message: error.message };
      this.dispatchEvent(new CustomEvent("result", { detail: result }));
      return result;
    }
    return finished;
  }

  /** A re-offer: change the transceivers, offer, and roll back if it fails. */
  async reoffer(op, change, options = {}) {
    const saved = this.transceivers().map((t) => t.direction);
    await change();
    const offer = await this.pc.createOffer(options);
    await this.pc.setLocalDescription(offer);
    this.pendingReoffer = op;
    const result = await this.operation(op, { sdp: offer.sdp });
    if (!result.ok) {
      // Nothing changed on the server: put our side back as it was.
      if (this.pc.signalingState === "have-local-offer") {
        await this.pc.setLocalDescription({ type: "rollback" });
      }
      this.transceivers().forEach((t, i) => {
        if (saved[i]) t.direction = saved[i];
      });
    } else if (op === Op.VIDEO_START) {
      this.sendingVideo = true;
    } else if (op === Op.VIDEO_STOP) {
      this.sendingVideo = false;
    }
    this.pendingReoffer = null;
    return result;
  }

  flushCandidates() {
    for (const candidate of this.pendingCandidates) {
      this.pc.addIceCandidate(candidate || undefined).catch(() => {});
    }
    this.pendingCandidates = [];
  }

  // --- events ----------------------------------------------------------------

  receive(frame) {
    this.queue = this.queue.then(() => this.handle(frame)).catch((error) => {
      console.error("supportcall: failed to handle", frame.type, error);
    });
  }

  async handle(frame) {
    switch (frame.type) {
      case "call.state":
        if (frame.resumed) {
          await this.resumed(frame);
          break;
        }
        // Ended is final: events of two operations racing (a transfer and a hang-up) may
        // come in either order, and a state after the end is the stale one.
        if (this.state === State.ENDED) break;
        this.setState(frame.state, frame.previous, frame.reason);
        break;
      case "call.answer":
        await this.pc.setRemoteDescription({ type: "answer", sdp: frame.sdp });
        this.flushCandidates();
        if (!this.pendingReoffer) this.learnRemoteVideo(frame.sdp);
        break;
      case "call.offer":
        await this.answerReoffer(frame);
        break;
      case "call.transferring":
        // The agent handed the call on: the caller waits for the next one (state ringing).
        this.transferring = { to: frame.to, displayName: frame.display_name };
        this.dispatchEvent(new CustomEvent("transferring", { detail: this.transferring }));
        break;
      case "call.reoffer":
        await this.freshOffer();
        break;
      case "ice.candidate":
        if (this.pc?.remoteDescription) {
          await this.pc.addIceCandidate(frame.candidate || undefined).catch(() => {});
        } else {
          this.pendingCandidates.push(frame.candidate);
        }
        break;
      case "queue.position":
        this.position = {
          position: frame.position,
          agentsAvailable: frame.agents_available,
          estimatedWaitS: frame.estimated_wait_s,
        };
        this.dispatchEvent(new CustomEvent("position", { detail: this.position }));
        break;
      case "call.media":
        this.remoteMedia = { muted: frame.muted, video: frame.video };
        this.dispatchEvent(new CustomEvent("media", { detail: this.remoteMedia }));
        if (frame.connection && frame.connection !== this.remoteConnection) {
          this.remoteConnection = frame.connection;
          this.dispatchEvent(new CustomEvent("connection", { detail: { connection: frame.connection } }));
        }
        break;
      case "chat.message":
      case "chat.typing":
        // Drawn by chat.js (detail: the frame); requests go through phone.request.
        this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
        break;
      case "call.quality":
        this.sampler.received(frame);
        break;
      case "call.screen":
        this.remoteScreen = { sharing: frame.sharing, mid: frame.mid };
        this.dispatchEvent(new CustomEvent("screen", { detail: this.remoteScreen }));
        break;
      case "screen.asked":
      case "screen.stop_request":
        this.screenAsk = frame.type === "screen.asked" ? "share" : "stop";
        this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
        break;
      case "screen.declined":
        this.dispatchEvent(new CustomEvent(frame.type, { detail: { reason: frame.reason } }));
        break;
      case "op.result": {
        const resolve = this.results.get(frame.op);
        this.results.delete(frame.op);
        const result = { op: frame.op, ok: frame.ok, code: frame.code, message: frame.message };
        this.dispatchEvent(new CustomEvent("result", { detail: result }));
        resolve?.(result);
        break;
      }
    }
  }

  /**
   * The server asks for a fresh offer (a transfer: the first offer is stale once
   * answered). A fresh peer connection makes it, as the Python client does (aiortc cannot
   * restart ICE); the old one, to the agent who handed the call on, is closed. Its
   * candidates wait until the server took the offer, then go to the agents it rings.
   */
  async freshOffer() {
    if (this.ended || !this.pc) return;
    const old = this.pc;
    old.onicecandidate = old.oniceconnectionstatechange = old.ontrack = null;
    old.close();
    for (const track of this.remoteStream.getTracks()) this.remoteStream.removeTrack(track);
    clearTimeout(this.mediaTimer);
    clearTimeout(this.iceTimer);
    this.mediaTimer = null;
    this.mediaConnected = false;
    this.pendingCandidates = [];
    this.muted = false; // the fresh connection sends the microphone, as the server knows
    // The screen's m-line went with the old connection: the new agent has to ask again.
    this.screen = null;
    this.screenAsk = null;
    if (this.sharingScreen) {
      this.screenTrack?.stop();
      this.screenTrack = null;
      this.sharingScreen = false;
      this.dispatchEvent(new CustomEvent("sharing", { detail: { sharing: false } }));
    }
    this.reoffering = true;
    const pc = this.createPeer(this.localStream);
    this.addTransceivers(this.localStream);
    await pc.setLocalDescription(await pc.createOffer());
    try {
      await this.phone.request("call.fresh_offer", { call_id: this.id, sdp: pc.localDescription.sdp });
    } finally {
      this.reoffering = false;
      for (const candidate of this.earlyCandidates) this.sendCandidate(candidate);
      this.earlyCandidates = [];
    }
  }

  /**
   * The other party's re-offer (hold, unhold, video): answer it. The browser
   * answers each m-line with what both sides allow, so a remote hold needs no
   * change here; only starting to receive video does, on a video m-line we had
   * left inactive.
   */
  async answerReoffer(frame) {
    const pc = this.pc;
    await pc.setRemoteDescription({ type: "offer", sdp: frame.sdp });
    const held = HOLDING_STATES.includes(this.state);
    const offered = mLines(frame.sdp);
    const videoIndex = pc.getTransceivers().indexOf(this.video);
    if (this.video && !held && videoIndex >= 0) {
      const remoteSends = ["sendrecv", "sendonly"].includes(offered[videoIndex]?.direction);
      this.video.direction = this.sendingVideo
        ? "sendrecv"
        : remoteSends
          ? "recvonly"
          : "inactive";
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await this.phone.request("call.answer", { call_id: this.id, sdp: pc.localDescription.sdp });
  }

  /**
   * The answer to the call's offer says whether the agent sends video; no
   * call.media tells it (an agent may accept a video call with audio only).
   */
  learnRemoteVideo(sdp) {
    const index = this.pc.getTransceivers().indexOf(this.video);
    const direction = index >= 0 ? mLines(sdp)[index]?.direction : null;
    const video = direction === "sendrecv" || direction === "sendonly";
    if (direction && video !== this.remoteMedia.video) {
      this.remoteMedia = { ...this.remoteMedia, video };
      this.dispatchEvent(new CustomEvent("media", { detail: this.remoteMedia }));
    }
  }

  /** The state the server replays after a resume: apply only what changed meanwhile. */
  async resumed(frame) {
    if (frame.answer_sdp && this.pc?.signalingState === "have-local-offer" && !this.pendingReoffer) {
      // The answer went to the dropped connection.
      await this.pc.setRemoteDescription({ type: "answer", sdp: frame.answer_sdp });
      this.flushCandidates();
    }
    if (frame.state !== this.state) this.setState(frame.state, this.state, frame.reason);
  }

  setState(state, previous, reason) {
    this.state = state;
    this.states.push(state);
    if (CONNECTED_STATES.includes(state)) {
      this.watchMedia();
      this.sampler.start();
    }
    if (state === State.ENDED) {
      this.reason = reason;
      this.sampler.stop();
      clearTimeout(this.mediaTimer);
      this.pc?.close();
      this.localStream?.getTracks().forEach((t) => t.stop());
      this.cameraTrack?.stop();
      this.screenTrack?.stop();
      // end, reject, ignore and forward end the call themselves: the server sends
      // their op.result after this state, and it is the one that says how they went.
      for (const [op, resolve] of this.results) {
        if (ENDING_OPS.includes(op)) continue;
        this.results.delete(op);
        resolve({ op, ok: false, code: ErrorCode.INVALID_STATE, message: "the call ended" });
      }
    }
    this.dispatchEvent(new CustomEvent("state", { detail: { state, previous, reason } }));
  }

  connectionLost() {
    if (!this.ended) this.setState(State.ENDED, this.state, Reason.CONNECTION_LOST);
    // No op.result can come now.
    for (const [op, resolve] of this.results) {
      resolve({ op, ok: false, code: NETWORK_ERROR, message: EXPLAIN[NETWORK_ERROR] });
    }
    this.results.clear();
  }

  /** Inbound RTP bytes by kind, from getStats (for tests and diagnostics). */
  async inboundBytes() {
    const bytes = { audio: 0, video: 0 };
    if (!this.pc) return bytes;
    const stats = await this.pc.getStats();
    stats.forEach((s) => {
      if (s.type === "inbound-rtp") bytes[s.kind] = (bytes[s.kind] || 0) + (s.bytesReceived || 0);
    });
    return bytes;
  }
}

/**
 * The site's lines before anyone logs in: open, accepting calls, agents free, the wait;
 * with `line` (a queue or agent name or address), also `line`: that line's, or null.
 * Rejects with a PhoneError: the server's code (not_found for an unknown site), or network.
 */
export async function siteStatus(server, site, { line } = {}) {
  const url = new URL(`${server.replace(/\/$/, "")}/api/v1/sites/${encodeURIComponent(site)}/status`);
  if (line) url.searchParams.set("line", line);
  let response;
  try {
    response = await fetch(url, { credentials: "omit" });
  } catch {
    throw networkError();
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new PhoneError(data.error?.code || NETWORK_ERROR, data.error?.message || `HTTP ${response.status}`);
  }
  return data;
}

/** Leave a callback request; resolves with {id, status}, rejects with a PhoneError. */
export function leaveCallback(server, request) {
  return postJSON(`${server.replace(/\/$/, "")}/api/v1/callbacks`, request);
}
