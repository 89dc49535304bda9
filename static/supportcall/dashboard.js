// The agent dashboard: presence, ringing calls, the calls in progress and the
// agent's recent calls. Everything about the wire lives in phone.js; this file
// only turns its events into the page and the page's buttons into its calls.

import { EXPLAIN, Phone } from "./phone.js";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

const ACTIVE = ["in_call", "on_hold", "remotely_held", "on_double_hold"];
const HELD_BY_ME = ["on_hold", "on_double_hold"];
const HELD_BY_CALLER = ["remotely_held", "on_double_hold"];
const ENDED_VISIBLE_MS = 5000;
const RECONNECT_DELAYS_S = [1, 2, 5, 10, 30];

const MEDIA_LABEL = { video: "Video call", audio: "Audio call", audio_single: "Audio only" };
const STATE_LABEL = {
  ringing: "Ringing",
  in_call: "In call",
  on_hold: "On hold",
  remotely_held: "Caller has you on hold",
  on_double_hold: "On hold (both sides)",
  ended: "Ended",
};
const OP_LABEL = {
  accept: "Accept",
  reject: "Decline",
  ignore: "Ignore",
  forward: "Forward",
  end: "Hang up",
  hold: "Hold",
  unhold: "Resume",
  mute: "Mute",
  unmute: "Unmute",
  video_start: "Start video",
  video_stop: "Stop video",
};
const OP_DONE = {
  accept: "Call accepted.",
  reject: "Call declined.",
  ignore: "Call ignored; it keeps ringing for other agents.",
  forward: "Call forwarded.",
  end: "Call ended.",
  hold: "The call is on hold.",
  unhold: "The call is resumed.",
  mute: "Your microphone is muted.",
  unmute: "Your microphone is on.",
  video_start: "Your camera is on.",
  video_stop: "Your camera is off.",
};
// How a call in the history went for this agent, in a few words.
const OUTCOME_LABEL = {
  ringing: "Ringing",
  in_call: "In progress",
  ended_by_local: "You hung up",
  ended_by_remote: "Caller hung up",
  rejected: "Declined",
  ignored: "Ignored",
  no_answer: "Missed",
  answered_elsewhere: "Answered elsewhere",
  cancelled: "Missed",
  forwarded: "Forwarded",
  connection_lost: "Connection lost",
  no_agents: "No agents",
  error: "Failed",
};
const OUTCOME_TONE = {
  in_call: "live",
  ringing: "live",
  ended_by_local: "ok",
  ended_by_remote: "ok",
  rejected: "bad",
  no_answer: "bad",
  cancelled: "bad",
  connection_lost: "bad",
  error: "bad",
};

// --- small helpers -----------------------------------------------------------

/** Build an element: h("button", {class: "btn", onclick}, "Text", child...). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

function icon(name, extra = "") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", `icon ${extra}`.trim());
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/** "support" for "support@<our domain>": the domain is the same everywhere here. */
function shortAddress(address) {
  const domain = config.identity.split("@")[1];
  return address?.endsWith(`@${domain}`) ? address.slice(0, -domain.length - 1) : address || "—";
}

function callerName(from) {
  return from?.display_name?.trim() || "Anonymous visitor";
}

function initials(from) {
  const name = from?.display_name?.trim();
  if (!name) return "?";
  const parts = name.split(/\s+/);
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

function explain(code, message) {
  const sentence = EXPLAIN[code] || code || "It failed.";
  return message && message !== sentence ? `${sentence} (${message})` : sentence;
}

/** The caller's context as a definition list; page URLs become links. */
function contextList(context, attrs = {}) {
  const entries = Object.entries(context || {});
  if (!entries.length) {
    const attributes = { class: "context context-empty muted", ...attrs };
    return h("p", attributes, "No details from the visitor's page.");
  }
  return h(
    "dl",
    { class: "context", ...attrs },
    entries.map(([key, value]) => {
      let shown = value;
      if (/^https?:\/\//i.test(value)) {
        shown = h("a", { href: value, target: "_blank", rel: "noopener noreferrer" }, value);
      }
      return h("div", { class: "context-row" }, h("dt", {}, key), h("dd", {}, shown));
    }),
  );
}

// --- the latest result, in words ----------------------------------------------

const toast = document.querySelector("[data-testid=result]");
let toastTimer = null;

function showResult(ok, text) {
  clearTimeout(toastTimer);
  toast.hidden = false;
  toast.dataset.ok = String(ok);
  toast.replaceChildren(
    h("span", { class: "toast-text" }, text),
    h(
      "button",
      {
        type: "button",
        class: "toast-close",
        "aria-label": "Dismiss",
        onclick: () => (toast.hidden = true),
      },
      icon("x"),
    ),
  );
  // Successes fade away; a failure stays until dismissed or replaced.
  if (ok) toastTimer = setTimeout(() => (toast.hidden = true), 5000);
}

function showOpResult({ op, ok, code, message }) {
  if (ok) showResult(true, OP_DONE[op] || `${OP_LABEL[op] || op}: done.`);
  else showResult(false, `${OP_LABEL[op] || op} failed: ${explain(code, message)}`);
}

const announcer = document.getElementById("announcer");
function announce(text) {
  announcer.textContent = "";
  setTimeout(() => (announcer.textContent = text), 50);
}

// --- ringing: sound, title, notifications --------------------------------------

/** A two-note chime made with the Web Audio API, repeated while anything rings. */
class Ringer {
  constructor() {
    this.ctx = null;
    this.timer = null;
    this.master = null;
  }

  get active() {
    return this.timer !== null;
  }

  context() {
    if (!this.ctx) {
      const AudioContext = window.AudioContext || window.webkitAudioContext;
      if (!AudioContext) return null;
      this.ctx = new AudioContext();
    }
    return this.ctx;
  }

  /** Browsers start audio suspended until the page gets a click or key press. */
  unlock() {
    const ctx = this.context();
    return ctx && ctx.state !== "running" ? ctx.resume().catch(() => {}) : Promise.resolve();
  }

  get audible() {
    return this.context()?.state === "running";
  }

  start() {
    if (this.timer) return;
    this.chime();
    this.timer = setInterval(() => this.chime(), 2600);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.master && this.ctx) {
      this.master.gain.setTargetAtTime(0, this.ctx.currentTime, 0.03);
      this.master = null;
    }
  }

  chime() {
    const ctx = this.context();
    if (!ctx) return;
    this.unlock();
    const master = ctx.createGain();
    master.gain.value = 0.18;
    master.connect(ctx.destination);
    this.master = master;
    const t0 = ctx.currentTime + 0.05;
    // E5 - B5, twice: bright enough to notice, soft enough to hear all day.
    [
      [659.25, 0],
      [987.77, 0.16],
      [659.25, 0.62],
      [987.77, 0.78],
    ].forEach(([frequency, at]) => {
      for (const [type, mult, level] of [
        ["sine", 1, 1],
        ["triangle", 2, 0.18],
      ]) {
        const osc = ctx.createOscillator();
        const env = ctx.createGain();
        osc.type = type;
        osc.frequency.value = frequency * mult;
        env.gain.setValueAtTime(0.0001, t0 + at);
        env.gain.exponentialRampToValueAtTime(level, t0 + at + 0.012);
        env.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.42);
        osc.connect(env).connect(master);
        osc.start(t0 + at);
        osc.stop(t0 + at + 0.45);
      }
    });
    setTimeout(() => master.disconnect(), 1600);
  }
}

const ringer = new Ringer();
const baseTitle = document.title;
let titleTimer = null;

function ringingCalls() {
  return [...views.values()].filter((v) => v.call.state === "ringing" && !v.busy);
}

/** Ring, flash the title, and offer sound while any call rings; stop otherwise. */
function updateRinging() {
  const ringing = ringingCalls();
  if (ringing.length) {
    ringer.start();
    if (!titleTimer) {
      let on = false;
      titleTimer = setInterval(() => {
        const now = ringingCalls();
        on = !on;
        document.title =
          on && now.length
            ? now.length > 1
              ? `📞 ${now.length} calls ringing`
              : `📞 ${callerName(now[0].call.from)} is calling`
            : baseTitle;
      }, 900);
    }
    document.getElementById("sound-banner").hidden = ringer.audible;
  } else {
    ringer.stop();
    clearInterval(titleTimer);
    titleTimer = null;
    document.title = baseTitle;
  }
  renderIdle();
}

function notify(view) {
  const { call } = view;
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  try {
    const n = new Notification(`${callerName(call.from)} is calling`, {
      body: `${MEDIA_LABEL[call.media] || call.media} · ${call.to}`,
      tag: `supportcall-${call.id}`,
      requireInteraction: true,
    });
    n.onclick = () => {
      window.focus();
      view.card?.querySelector("[data-testid=accept-audio]")?.focus();
      n.close();
    };
    view.notification = n;
  } catch {
    // Some browsers only allow notifications from a service worker; the title still flashes.
  }
}

// --- connection and presence ---------------------------------------------------

const connectionEl = document.querySelector("[data-testid=connection]");
const presenceEl = document.querySelector("[data-testid=presence]");
let phone = null;
let presence = "available";
let reconnectAttempt = 0;
let reconnectTimer = null;

function setConnection(status, text, action) {
  connectionEl.dataset.status = status;
  connectionEl.replaceChildren(h("span", { class: "connection-dot", "aria-hidden": "true" }), text);
  if (action) connectionEl.append(" ", action);
  presenceEl.disabled = status !== "connected";
  renderIdle();
}

function setPresence(status) {
  presence = status;
  presenceEl.value = status;
  document.body.dataset.presence = status;
  renderIdle();
}

async function connect() {
  clearTimeout(reconnectTimer);
  setConnection("connecting", "Connecting…");
  try {
    phone = await Phone.agent(location.origin, { csrfToken });
  } catch (error) {
    if (error.code === "unauthorized" || error.code === "forbidden") {
      const login = `${config.loginUrl}?next=${encodeURIComponent(location.pathname)}`;
      setConnection("signed-out", "Signed out.", h("a", { href: login }, "Sign in again"));
      showResult(false, `Could not connect: ${explain(error.code, error.message)}`);
      return;
    }
    scheduleReconnect();
    return;
  }
  reconnectAttempt = 0;
  window.dashboard.phone = phone;
  phone.addEventListener("incoming", (e) => addCall(e.detail));
  phone.addEventListener("presence", (e) => setPresence(e.detail.status));
  const current = phone;
  phone.addEventListener("closed", () => {
    if (phone === current) scheduleReconnect();
  });
  // A dropped connection resumes on its own (phone.js); calls and media go on meanwhile.
  phone.addEventListener("reconnecting", () => {
    if (phone === current) setConnection("reconnecting", "Reconnecting… your calls go on.");
  });
  phone.addEventListener("reconnected", () => {
    if (phone === current) setConnection("connected", "Connected");
  });
  setPresence(phone.hello.presence || "available");
  setConnection("connected", "Connected");
  refreshRecent();
}

function scheduleReconnect() {
  const delay = RECONNECT_DELAYS_S[Math.min(reconnectAttempt, RECONNECT_DELAYS_S.length - 1)];
  reconnectAttempt += 1;
  const retry = h("button", { type: "button", class: "link-button", onclick: connect }, "Retry");
  setConnection("disconnected", `Disconnected; retrying in ${delay} s.`, retry);
  reconnectTimer = setTimeout(connect, delay * 1000);
}

presenceEl.addEventListener("change", async () => {
  const wanted = presenceEl.value;
  try {
    await phone.setPresence(wanted);
    setPresence(wanted);
    const away = wanted === "away";
    showResult(
      true,
      away ? "You are away: calls will not ring here." : "You are available for calls.",
    );
  } catch (error) {
    presenceEl.value = presence;
    showResult(false, `Could not change your status: ${explain(error.code, error.message)}`);
  }
});

// --- calls ---------------------------------------------------------------------

const calls = new Map(); // call_id -> phone.js Call, for tests and diagnostics
const views = new Map(); // call_id -> {call, card, panel, answeredAt, ...}
const incomingList = document.getElementById("incoming");
const activeEl = document.getElementById("active");
window.dashboard = { phone: null, calls, ringer };

function addCall(call) {
  // A call forwarded back to a queue this agent is in rings here again, with the same id.
  const old = views.get(call.id);
  if (old) {
    clearTimeout(old.removal);
    (old.panel || old.card)?.remove();
  }
  calls.set(call.id, call);
  const view = { call, card: null, panel: null, answeredAt: null, ringingSince: Date.now() };
  views.set(call.id, view);
  view.card = renderIncoming(view);
  incomingList.append(view.card);
  call.addEventListener("state", (e) => onState(view, e.detail));
  call.addEventListener("media", () => updatePanel(view));
  call.addEventListener("connection", () => updatePanel(view));
  call.addEventListener("result", (e) => showOpResult(e.detail));
  call.addEventListener("track", () => attachRemote(view));
  updateRinging();
  notify(view);
  announce(`Incoming ${MEDIA_LABEL[call.media] || "call"} from ${callerName(call.from)}`);
}

function onState(view, { state, reason }) {
  const { call } = view;
  if (ACTIVE.includes(state)) {
    if (!view.panel) {
      view.answeredAt = Date.now();
      view.card?.remove();
      view.card = null;
      view.panel = renderPanel(view);
      activeEl.append(view.panel);
      attachRemote(view);
      refreshRecent();
    }
    updatePanel(view);
  } else if (state === "ended") {
    view.notification?.close();
    const el = view.panel || view.card;
    if (view.panel) updatePanel(view);
    if (el) {
      el.dataset.state = "ended";
      el.classList.add("is-ended");
      for (const button of el.querySelectorAll("button, select")) button.disabled = true;
      const note = el.querySelector(".end-reason");
      note.textContent = EXPLAIN[reason] || "The call ended.";
      note.hidden = false;
      view.removal = setTimeout(() => {
        el.remove();
        if (views.get(call.id) === view) views.delete(call.id);
        renderIdle();
      }, ENDED_VISIBLE_MS);
    }
    refreshRecent();
  }
  updateRinging();
}

/** Run one of the call's operations from a button: busy while it runs. */
async function run(view, button, work) {
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    return await work();
  } catch (error) {
    showResult(false, `That did not work: ${explain(error.code, error.message)}`);
    return null;
  } finally {
    if (button) {
      button.removeAttribute("aria-busy");
      button.disabled = view.call.ended;
    }
    if (view.panel) updatePanel(view);
  }
}

/** While the card waits for accept, decline, ignore or forward, it stops ringing. */
function setCardBusy(view, busy, status = "") {
  const { card, call } = view;
  view.busy = busy;
  card.classList.toggle("is-busy", Boolean(busy));
  card.querySelector(".card-status").textContent = status;
  for (const el of card.querySelectorAll("button, select")) {
    el.disabled = Boolean(busy) || call.ended;
  }
  updateRinging();
}

/** Decline, ignore or forward: the card comes back if the server says no. */
async function decide(view, op, status, work) {
  setCardBusy(view, op, status);
  const result = await run(view, null, work);
  if (!result?.ok && !view.call.ended) setCardBusy(view, null);
}

async function accept(view, video) {
  const { call } = view;
  setCardBusy(view, "accept", video ? "Starting camera and microphone…" : "Starting microphone…");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
  } catch (error) {
    setCardBusy(view, null);
    const what = video ? "camera or microphone" : "microphone";
    showResult(false, `Accept failed: the ${what} is not available (${error.message}).`);
    return;
  }
  if (call.ended) {
    stream.getTracks().forEach((t) => t.stop());
    return;
  }
  view.camera = video ? stream.getVideoTracks()[0] : null;
  view.card.querySelector(".card-status").textContent = "Connecting…";
  const result = await run(view, null, () => call.accept({ video, stream }));
  if (!result?.ok && !call.ended) {
    stream.getTracks().forEach((t) => t.stop());
    setCardBusy(view, null);
  }
}

async function toggleVideo(view, button) {
  const { call } = view;
  if (call.sendingVideo) {
    const result = await run(view, button, () => call.videoStop());
    if (result?.ok) view.camera = null;
    return;
  }
  await run(view, button, async () => {
    let camera;
    try {
      [camera] = (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks();
    } catch (error) {
      showResult(false, `Start video failed: the camera is not available (${error.message}).`);
      return null;
    }
    const result = await call.videoStart(camera);
    if (result.ok) view.camera = camera;
    else camera.stop();
    return result;
  });
}

// --- rendering -----------------------------------------------------------------

const CONTEXT_LABEL = "What the visitor's page told us";

function forwardOptions() {
  const groups = {
    agent: h("optgroup", { label: "Agents" }),
    queue: h("optgroup", { label: "Queues" }),
  };
  for (const { kind, address, name } of config.forwardTargets) {
    groups[kind]?.append(h("option", { value: address }, `${name} · ${address}`));
  }
  return Object.values(groups).filter((group) => group.children.length);
}

function mediaChip(call, withIcon) {
  return h(
    "span",
    { class: `chip chip-${call.media}`, "data-testid": "media", "data-media": call.media },
    withIcon ? icon(call.media === "video" ? "video" : "phone") : null,
    MEDIA_LABEL[call.media] || call.media,
  );
}

function queueChip(call) {
  const attrs = { class: "chip", "data-testid": "queue", title: "The address the visitor called" };
  return h("span", attrs, call.to || "—");
}

function cardButton(testid, style, iconName, text, label, onclick) {
  const attrs = { type: "button", class: `btn ${style}`, "data-testid": testid, onclick };
  return h("button", { ...attrs, "aria-label": label }, icon(iconName), h("span", {}, text));
}

/** A ringing call: who, from which page, audio or video, through which queue. */
function renderIncoming(view) {
  const { call } = view;
  const name = callerName(call.from);
  const video = call.media === "video";
  const forwardId = `forward-${call.id}`;
  const forwardTo = h("select", { id: forwardId, "data-testid": "forward-to" }, forwardOptions());
  const forward = () => {
    const to = forwardTo.value;
    return decide(view, "forward", `Forwarding to ${to}…`, () => call.forward(to));
  };

  return h(
    "li",
    {
      class: "card incoming",
      "data-testid": "incoming",
      "data-call-id": call.id,
      "data-state": call.state,
      "aria-label": `Incoming call from ${name}`,
    },
    h(
      "div",
      { class: "card-head" },
      h("div", { class: "avatar avatar-ringing", "aria-hidden": "true" }, initials(call.from)),
      h(
        "div",
        { class: "card-title" },
        h(
          "p",
          { class: "eyebrow" },
          h("span", { class: "pulse-dot", "aria-hidden": "true" }),
          "Incoming · ",
          h("span", { class: "ring-time" }, "0:00"),
        ),
        h("h3", { "data-testid": "caller" }, name),
        h("p", { class: "chips" }, mediaChip(call, true), queueChip(call)),
      ),
    ),
    contextList(call.from?.context, { "data-testid": "context", "aria-label": CONTEXT_LABEL }),
    h(
      "div",
      { class: "actions" },
      cardButton(
        "accept-audio",
        "btn-accept",
        "phone",
        video ? "Accept audio" : "Accept",
        `Accept the call from ${name} with audio`,
        () => accept(view, false),
      ),
      video
        ? cardButton(
            "accept-video",
            "btn-accept-outline",
            "video",
            "Accept video",
            `Accept the call from ${name} with video`,
            () => accept(view, true),
          )
        : null,
      cardButton(
        "reject",
        "btn-danger-soft",
        "x",
        "Decline",
        `Decline the call from ${name}`,
        () => decide(view, "reject", "Declining…", () => call.reject()),
      ),
      cardButton(
        "ignore",
        "btn-ghost",
        "bell-off",
        "Ignore",
        `Ignore the call from ${name}: it keeps ringing for other agents`,
        () => decide(view, "ignore", "Ignoring…", () => call.ignore()),
      ),
    ),
    h(
      "div",
      { class: "forward" },
      h("label", { for: forwardId }, "Forward to"),
      h(
        "div",
        { class: "forward-row" },
        forwardTo,
        cardButton(
          "forward",
          "",
          "forward",
          "Forward",
          `Forward the call from ${name} to the chosen agent or queue`,
          forward,
        ),
      ),
    ),
    h("p", { class: "card-status", role: "status" }),
    h("p", { class: "end-reason", hidden: true }),
  );
}

/** A toggle: its label stays, aria-pressed says whether it is on. */
function toggle(testid, iconOn, iconOff, label, onclick) {
  return h(
    "button",
    { type: "button", class: "control", "data-testid": testid, "aria-pressed": "false", onclick },
    h("span", { class: "control-icon" }, icon(iconOff, "when-off"), icon(iconOn, "when-on")),
    h("span", { class: "control-label" }, label),
  );
}

/** The call in progress: timer, the caller's video, indicators and the controls. */
function renderPanel(view) {
  const { call } = view;
  const name = callerName(call.from);
  const mute = toggle("mute", "mic-off", "mic", "Mute", (e) =>
    run(view, e.currentTarget, () => (call.muted ? call.unmute() : call.mute())),
  );
  const hold = toggle("hold", "pause", "pause", "Hold", (e) =>
    run(view, e.currentTarget, () =>
      HELD_BY_ME.includes(call.state) ? call.unhold() : call.hold(),
    ),
  );
  // An audio_single call has one m-line: video can never start, so no button.
  const video =
    call.media === "audio_single"
      ? null
      : toggle("video", "video", "video-off", "Camera", (e) => toggleVideo(view, e.currentTarget));
  const hangup = h(
    "button",
    {
      type: "button",
      class: "control control-hangup",
      "data-testid": "hangup",
      onclick: (e) => run(view, e.currentTarget, () => call.end()),
    },
    h("span", { class: "control-icon" }, icon("phone-off")),
    h("span", { class: "control-label" }, "Hang up"),
  );
  const playsinline = { autoplay: true, playsinline: true };
  const remote = h("video", {
    class: "remote-video",
    "data-testid": "remote-video",
    "aria-label": `Video from ${name}`,
    ...playsinline,
  });
  const self = h("video", { class: "self-view", "aria-label": "Your camera", ...playsinline });
  self.muted = true;

  return h(
    "article",
    {
      class: "card call",
      "data-testid": "call",
      "data-call-id": call.id,
      "data-state": call.state,
      "aria-label": `Call with ${name}`,
    },
    h(
      "header",
      { class: "call-head" },
      h("div", { class: "avatar", "aria-hidden": "true" }, initials(call.from)),
      h(
        "div",
        { class: "card-title" },
        h("p", { class: "eyebrow" }, h("span", { class: "state-badge" }, STATE_LABEL[call.state])),
        h("h3", { "data-testid": "caller" }, name),
        h("p", { class: "chips" }, mediaChip(call, false), queueChip(call)),
      ),
      h(
        "span",
        { class: "timer", "data-testid": "timer", role: "timer", "aria-label": "Call duration" },
        "0:00",
      ),
    ),
    h(
      "div",
      { class: "stage" },
      remote,
      h(
        "div",
        { class: "stage-placeholder", "aria-hidden": "true" },
        h("div", { class: "avatar avatar-large" }, initials(call.from)),
        h("p", { class: "stage-note" }),
      ),
      self,
      h("div", { class: "indicators", "aria-live": "polite" }),
    ),
    h(
      "div",
      { class: "controls", role: "group", "aria-label": "Call controls" },
      mute,
      hold,
      video,
      hangup,
    ),
    h("p", { class: "end-reason", role: "status", hidden: true }),
    contextList(call.from?.context, { "data-testid": "context", "aria-label": CONTEXT_LABEL }),
  );
}

/** The remote party's stream plays in the video element (its audio too). */
function attachRemote(view) {
  const video = view.panel?.querySelector("[data-testid=remote-video]");
  if (!video) return;
  if (video.srcObject !== view.call.remoteStream) video.srcObject = view.call.remoteStream;
  video.play().catch(() => {});
  updatePanel(view);
}

function indicator(testid, iconName, text, tone) {
  const attrs = { class: `indicator indicator-${tone}`, "data-testid": testid };
  return h("span", attrs, icon(iconName), text);
}

function updatePanel(view) {
  const { call, panel } = view;
  if (!panel) return;
  const state = call.state;
  const held = HELD_BY_ME.includes(state);
  const callerHolds = HELD_BY_CALLER.includes(state);
  const ended = state === "ended";
  panel.dataset.state = state;
  const badge = panel.querySelector(".state-badge");
  badge.textContent = STATE_LABEL[state] || state;
  badge.dataset.tone = state === "in_call" ? "live" : ended ? "ended" : "held";

  const pressed = { mute: call.muted, hold: held, video: call.sendingVideo };
  for (const [testid, on] of Object.entries(pressed)) {
    const button = panel.querySelector(`[data-testid=${testid}]`);
    button?.setAttribute("aria-pressed", String(Boolean(on)));
  }

  // Indicators exist only while true, so "present" and "visible" mean the same.
  const indicators = [];
  if (!ended && held) indicators.push(indicator("on-hold", "pause", "On hold", "held"));
  if (!ended && callerHolds) {
    indicators.push(indicator("caller-holds", "pause", "Caller has you on hold", "held"));
  }
  if (!ended && call.remoteMedia?.muted) {
    indicators.push(indicator("caller-muted", "mic-off", "Caller muted", "muted"));
  }
  if (!ended && call.remoteConnection === "reconnecting") {
    indicators.push(
      indicator("caller-reconnecting", "link", "Caller's connection dropped: reconnecting…", "muted"),
    );
  }
  panel.querySelector(".indicators").replaceChildren(...indicators);

  // While held nothing flows: show the caller's picture, not a frozen frame.
  const remoteVideo = Boolean(call.remoteMedia?.video) && !held && !callerHolds && !ended;
  panel.classList.toggle("has-remote-video", remoteVideo);
  panel.querySelector(".stage-note").textContent =
    ended || held || callerHolds
      ? ""
      : call.media === "video"
        ? "The caller's camera is off"
        : "Voice call";

  const self = panel.querySelector(".self-view");
  const camera = call.sendingVideo && !ended ? view.camera : null;
  panel.classList.toggle("has-self-view", Boolean(camera));
  if (!camera) self.srcObject = null;
  else if (self.srcObject?.getVideoTracks()[0] !== camera) {
    self.srcObject = new MediaStream([camera]);
  }
}

function renderIdle() {
  document.getElementById("idle").hidden = views.size > 0;
  const status = connectionEl.dataset.status;
  const [title, text] =
    status === "connecting"
      ? ["Connecting…", "Calls will ring here once the dashboard is connected."]
      : status !== "connected"
        ? ["Not connected", "Calls cannot ring here until the connection is back."]
        : presence === "away"
          ? ["You are away", "Calls will not ring here. Switch to Available to take calls."]
          : ["Waiting for calls", "Calls will ring here, with a sound and a notification."];
  document.getElementById("idle-title").textContent = title;
  document.getElementById("idle-text").textContent = text;
  const ringing = [...views.values()].filter((v) => v.call.state === "ringing").length;
  document.getElementById("calls-note").textContent = ringing ? `${ringing} ringing` : "";
}

// One clock for every timer on the page.
setInterval(() => {
  const seconds = (since) => clock((Date.now() - since) / 1000);
  for (const view of views.values()) {
    if (view.panel && view.answeredAt && view.call.state !== "ended") {
      view.panel.querySelector("[data-testid=timer]").textContent = seconds(view.answeredAt);
    }
    if (view.card && view.call.state === "ringing") {
      view.card.querySelector(".ring-time").textContent = seconds(view.ringingSince);
    }
  }
}, 250);

// --- recent calls ----------------------------------------------------------------

const recentEl = document.querySelector("[data-testid=recent-calls]");
let recentTimer = null;

function refreshRecent() {
  // Several calls can end together: one request for all of them.
  clearTimeout(recentTimer);
  recentTimer = setTimeout(loadRecent, 150);
}

function when(iso) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return date.toDateString() === new Date().toDateString()
    ? time
    : `${date.toLocaleDateString([], { month: "short", day: "numeric" })}, ${time}`;
}

function recentRow(row) {
  const finished = row.duration_s !== null && row.outcome !== "in_call";
  return h(
    "li",
    {
      class: "recent-call",
      "data-testid": "recent-call",
      "data-call-id": row.id,
      "data-outcome": row.outcome,
    },
    h("span", {
      class: `outcome-dot tone-${OUTCOME_TONE[row.outcome] || "neutral"}`,
      "aria-hidden": "true",
    }),
    h(
      "span",
      { class: "recent-main" },
      h("span", { class: "recent-caller" }, callerName(row.caller)),
      h(
        "span",
        { class: "recent-meta", title: row.to },
        `${MEDIA_LABEL[row.media] || row.media} · ${shortAddress(row.to)}`,
      ),
    ),
    h(
      "span",
      { class: "recent-side" },
      h("time", { class: "recent-time", datetime: row.started }, when(row.started)),
      h(
        "span",
        { class: "recent-outcome" },
        h("span", { class: "recent-how" }, OUTCOME_LABEL[row.outcome] || row.outcome),
        finished
          ? h("span", { class: "recent-duration" }, ` · ${clock(row.duration_s)}`)
          : null,
      ),
    ),
  );
}

async function loadRecent() {
  let body;
  try {
    const response = await fetch(config.callsUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch {
    return; // the list stays as it was; the next call's end tries again
  }
  recentEl.replaceChildren(...body.calls.map(recentRow));
  document.getElementById("recent-empty").hidden = body.calls.length > 0;
}

// --- missed calls: callback requests ------------------------------------------------

const missedEl = document.querySelector("[data-testid=missed-calls]");
const MISSED_POLL_MS = 15000;

async function callbackApi(path = "", method = "GET") {
  const response = await fetch(config.callbacksUrl + path, {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message || `HTTP ${response.status}`);
  return body;
}

function missedRow(request) {
  const mine = request.claimed_by === config.identity;
  const reach = [request.phone, request.email].filter(Boolean).join(" · ");
  const act = (action, text, style) =>
    h("button", {
      type: "button",
      class: `btn btn-small ${style}`,
      "data-testid": `callback-${action}`,
      "aria-label": `${text}: ${request.name}`,
      onclick: async (event) => {
        event.currentTarget.disabled = true;
        try {
          await callbackApi(`/${request.id}/${action}`, "POST");
          showResult(true, action === "claim" ? `You will call ${request.name} back.` : "Marked done.");
        } catch (error) {
          showResult(false, `That did not work: ${error.message}`);
        }
        loadMissed();
      },
    }, text);
  return h(
    "li",
    { class: "missed-call", "data-testid": "callback", "data-id": request.id, "data-status": request.status },
    h("div", { class: "missed-main" },
      h("span", { class: "recent-caller" }, request.name),
      h("span", { class: "recent-meta" }, reach),
      request.note ? h("p", { class: "missed-note" }, request.note) : null,
      h("span", { class: "recent-meta" },
        `${when(request.created)} · ${shortAddress(request.queue || "")}` +
          (request.claimed_by ? ` · taken by ${mine ? "you" : shortAddress(request.claimed_by)}` : "")),
    ),
    h("div", { class: "missed-actions" },
      request.status === "open" ? act("claim", "I'll call back", "btn-primary") : null,
      request.status === "open" || mine ? act("done", "Done", "") : null,
    ),
  );
}

async function loadMissed() {
  let body;
  try {
    body = await callbackApi();
  } catch {
    return; // kept as it was; the next poll tries again
  }
  const open = body.callbacks.filter((c) => c.status === "open").length;
  missedEl.replaceChildren(...body.callbacks.map(missedRow));
  document.getElementById("missed-empty").hidden = body.callbacks.length > 0;
  document.getElementById("missed-note").textContent = open ? `${open} waiting` : "";
}

// --- the team (staff only): queues with their waiting calls, agents and their calls --

const teamEl = document.getElementById("team");
const TEAM_POLL_MS = 5000;
const PRESENCE_LABEL = { available: "Available", away: "Away", busy: "On a call", offline: "Offline" };

function teamQueue(queue) {
  return h("div", { class: "team-queue", "data-testid": "team-queue", "data-queue": queue.address },
    h("div", { class: "team-row" },
      h("span", { class: "recent-caller" }, queue.name),
      h("span", { class: "recent-meta" },
        `${queue.strategy === "longest_idle" ? "Longest idle" : "Ring all"} · ` +
          (queue.open ? `${queue.waiting.length} waiting` : "Closed")),
    ),
    queue.waiting.map((call) =>
      h("div", { class: "team-row team-waiting", "data-testid": "team-waiting", "data-call-id": call.call_id },
        h("span", {}, call.caller),
        h("span", { class: "recent-meta" }, `${call.state === "queued" ? "waiting" : "ringing"} ${clock(call.waited_s)}`),
      )),
  );
}

function teamAgent(agent) {
  return h("div", { class: "team-row", "data-testid": "team-agent", "data-agent": agent.address, "data-presence": agent.presence },
    h("span", {},
      h("span", { class: `presence-dot presence-${agent.presence}`, "aria-hidden": "true" }),
      ` ${agent.name}`),
    h("span", { class: "recent-meta" },
      agent.call
        ? `With ${agent.call.caller} · ${clock(agent.call.since_s)}`
        : PRESENCE_LABEL[agent.presence] || agent.presence),
  );
}

async function loadTeam() {
  let body;
  try {
    const response = await fetch(config.supervisorUrl, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch {
    return;
  }
  const waiting = body.queues.reduce((n, q) => n + q.waiting.length, 0);
  document.getElementById("team-note").textContent = waiting ? `${waiting} waiting` : "";
  teamEl.replaceChildren(
    ...body.queues.map(teamQueue),
    h("div", { class: "team-agents" }, ...body.agents.map(teamAgent)),
  );
}

// --- sound and notification permissions --------------------------------------------

function offerPermissions() {
  const soundBanner = document.getElementById("sound-banner");
  document.getElementById("sound-enable").addEventListener("click", async () => {
    await ringer.unlock();
    soundBanner.hidden = ringer.audible;
  });
  // Any click or key press on the page lets audio start.
  const unlock = async () => {
    await ringer.unlock();
    if (ringer.audible) soundBanner.hidden = true;
  };
  document.addEventListener("pointerdown", unlock, { capture: true });
  document.addEventListener("keydown", unlock, { capture: true });
  // resume() without a gesture stays pending (it does not fail): look a moment later.
  ringer.unlock();
  setTimeout(() => (soundBanner.hidden = ringer.audible), 500);

  const notifyBanner = document.getElementById("notify-banner");
  if ("Notification" in window && Notification.permission === "default") {
    notifyBanner.hidden = false;
    document.getElementById("notify-enable").addEventListener("click", async () => {
      const permission = await Notification.requestPermission();
      notifyBanner.hidden = true;
      const granted = permission === "granted";
      showResult(
        granted,
        granted
          ? "Notifications are on."
          : "Notifications stay off; you can allow them in the browser's site settings.",
      );
    });
  }
}

offerPermissions();
renderIdle();
loadRecent();
loadMissed();
setInterval(loadMissed, MISSED_POLL_MS);
if (config.supervisorUrl) {
  loadTeam();
  setInterval(loadTeam, TEAM_POLL_MS);
}
connect();
