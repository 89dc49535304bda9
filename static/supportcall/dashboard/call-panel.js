// The call in progress: timer, the caller's video, indicators and the controls.

import { CONNECTED_STATES, HELD_STATES, HOLDING_STATES, Link, Media, State } from "../phone.js";
import { callLevel, trouble } from "../quality.js";
import { chatBox } from "./chat-box.js";
import { callerDetails, h, icon, mediaChip, queueChip } from "./dom.js";
import { markShortcut } from "./keys.js";
import { callTargetList } from "./targets.js";
import { showResult } from "./toast.js";
import { STATE_LABEL, callerName, explain, initials, say } from "./words.js";

/** Run one of the call's operations from a button: busy while it runs. */
export async function run(entry, button, work) {
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    return await work();
  } catch (error) {
    showResult(false, say(gettext("That did not work: %(why)s"), { why: explain(error.code, error.message) }));
    return null;
  } finally {
    if (button) {
      button.removeAttribute("aria-busy");
      button.disabled = entry.call.ended;
    }
    if (entry.panel) updatePanel(entry);
  }
}

async function toggleVideo(entry, button) {
  const { call } = entry;
  if (call.sendingVideo) {
    const result = await run(entry, button, () => call.videoStop());
    if (result?.ok) entry.camera = null;
    return;
  }
  await run(entry, button, async () => {
    let camera;
    try {
      [camera] = (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks();
    } catch (error) {
      showResult(false, say(gettext("Start video failed: the camera is not available (%(why)s)."), { why: error.message }));
      return null;
    }
    const result = await call.videoStart(camera);
    if (result.ok) entry.camera = camera;
    else camera.stop();
    return result;
  });
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

/** Call the colleague chosen in `select` with the microphone: `place(to, stream)` places the
 * call (phone.call, or a consult), whose panel shows at once with the keyboard on
 * `focusOn`; `noMicrophone` says why it could not start. Resolves with the call, or null. */
export async function callColleague(desk, select, place, { noMicrophone, focusOn }) {
  const to = select.value;
  const label = select.selectedOptions[0]?.dataset.name || to;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (error) {
    showResult(false, say(noMicrophone, { why: error.message }));
    return null;
  }
  let placed;
  try {
    placed = await place(to, stream);
  } catch (error) {
    stream.getTracks().forEach((t) => t.stop());
    throw error;
  }
  // The panel names the other party from `from`, as for calls that ring here.
  placed.from = { address: to, display_name: label, anonymous: false, context: {} };
  desk.addCall(placed);
  desk.calls.get(placed.id)?.panel?.querySelector(`[data-testid=${focusOn}]`)?.focus();
  return placed;
}

/** Consult the agent chosen in the transfer list about this call (it is held first): the
 * consult call gets a panel of its own, with Complete and Cancel. */
async function consult(desk, entry, button, select) {
  return run(entry, button, async () => {
    const placed = await callColleague(desk, select, (to, stream) => entry.call.consult(to, stream), {
      noMicrophone: gettext("Consult failed: the microphone is not available (%(why)s)."),
      // The next step is the consult's (Complete or Cancel): the keyboard goes there.
      focusOn: "consult-cancel",
    });
    return placed && { ok: true };
  });
}

/** The controls of a consult call placed here: complete (the caller goes to the colleague)
 * or cancel (back to the caller). */
function consultControls(entry) {
  const { call } = entry;
  const button = (testid, iconName, text, work) =>
    h(
      "button",
      { type: "button", class: "btn", "data-testid": testid, onclick: (e) => run(entry, e.currentTarget, work) },
      icon(iconName),
      h("span", {}, text),
    );
  return h(
    "div",
    { class: "forward consult", "data-testid": "consult-controls" },
    h(
      "p",
      { class: "transferred-by" },
      say(gettext("Consulting about the call from %(name)s"), { name: callerName(call.consulting.from) }),
    ),
    h(
      "div",
      { class: "forward-row" },
      button("consult-complete", "forward", gettext("Complete transfer"), () => call.complete()),
      button("consult-cancel", "x", gettext("Cancel consult"), () => call.cancel()),
    ),
  );
}

/** A consult call rung here says which caller it is about. */
export function consultNote(call) {
  if (!call.consultOf) return null;
  const name = callerName(call.consultOf.from);
  return h("p", { class: "transferred-by", "data-testid": "consult-of" }, say(gettext("Consult about the call from %(name)s"), { name }));
}

export function renderPanel(desk, entry) {
  const { call } = entry;
  // A call between agents is theirs: it is never transferred, nor consulted about.
  const colleague = call.direction === "outgoing" || call.from?.anonymous === false;
  const name = callerName(call.from);
  const mute = toggle("mute", "mic-off", "mic", gettext("Mute"), (e) =>
    run(entry, e.currentTarget, () => (call.muted ? call.unmute() : call.mute())),
  );
  // Hold says what it will do (gettext("Hold"), "Resume"): a label that changes is not also pressed.
  const hold = toggle("hold", "play", "pause", gettext("Hold"), (e) =>
    run(entry, e.currentTarget, () => (HOLDING_STATES.includes(call.state) ? call.unhold() : call.hold())),
  );
  hold.removeAttribute("aria-pressed");
  // An audio_single call has one m-line: video can never start, so no button.
  const video =
    call.media === Media.AUDIO_SINGLE
      ? null
      : toggle("video", "video", "video-off", gettext("Camera"), (e) => toggleVideo(entry, e.currentTarget));
  const hangup = h(
    "button",
    {
      type: "button",
      class: "control control-hangup",
      "data-testid": "hangup",
      onclick: (e) => run(entry, e.currentTarget, () => call.end()),
    },
    h("span", { class: "control-icon" }, icon("phone-off")),
    h("span", { class: "control-label" }, gettext("Hang up")),
  );
  for (const [button, testid] of [[mute, "mute"], [hold, "hold"], [hangup, "hangup"]]) markShortcut(button, testid);
  // Blind transfer: to an agent or a queue; this agent's part then ends (transferred).
  const transferId = `transfer-${call.id}`;
  const transferTo = colleague
    ? null
    : callTargetList(desk, call, { id: transferId, "data-testid": "transfer-to" }, CONNECTED_STATES);
  const consultButton = h(
    "button",
    {
      type: "button",
      class: "btn",
      "data-testid": "consult",
      onclick: (e) => consult(desk, entry, e.currentTarget, transferTo),
    },
    icon("phone"),
    h("span", {}, gettext("Consult")),
  );
  const transfer = colleague ? null : h(
    "div",
    { class: "forward transfer" },
    h("label", { for: transferId }, gettext("Transfer to")),
    h(
      "div",
      { class: "forward-row" },
      transferTo,
      h(
        "button",
        {
          type: "button",
          class: "btn",
          "data-testid": "transfer",
          onclick: (e) => run(entry, e.currentTarget, () => call.transfer(transferTo.value)),
        },
        icon("forward"),
        h("span", {}, gettext("Transfer")),
      ),
      consultButton,
    ),
  );
  const handedOn = call.transferredBy
    ? h(
        "p",
        { class: "transferred-by", "data-testid": "transferred-by" },
        say(gettext("Transferred by %(name)s"), { name: call.transferredBy.display_name || call.transferredBy.address }),
        call.notes ? h("span", { class: "transfer-notes" }, `: ${call.notes}`) : null,
      )
    : null;
  // The visitor's screen: only the visitor shares it; the agent asks, and may stop viewing.
  const askScreen = h(
    "button",
    { type: "button", class: "control", "data-testid": "ask-screen", onclick: (e) => screenRequest(entry, e.currentTarget, false) },
    h("span", { class: "control-icon" }, icon("video")),
    h("span", { class: "control-label" }, gettext("Ask to see screen")),
  );
  const stopViewing = h(
    "button",
    { type: "button", class: "control", "data-testid": "stop-viewing", hidden: true, onclick: (e) => screenRequest(entry, e.currentTarget, true) },
    h("span", { class: "control-icon" }, icon("video-off")),
    h("span", { class: "control-label" }, gettext("Stop viewing")),
  );
  const screen = h("video", {
    class: "screen-video",
    "data-testid": "screen-video",
    "aria-label": say(gettext("The screen of %(name)s"), { name }),
    ...{ autoplay: true, playsinline: true },
  });
  screen.muted = true;
  const playsinline = { autoplay: true, playsinline: true };
  const remote = h("video", {
    class: "remote-video",
    "data-testid": "remote-video",
    "aria-label": say(gettext("Video from %(name)s"), { name }),
    ...playsinline,
  });
  const self = h("video", { class: "self-view", "aria-label": gettext("Your camera"), ...playsinline });
  self.muted = true;

  return h(
    "article",
    {
      class: "card call",
      "data-testid": "call",
      "data-call-id": call.id,
      "data-state": call.state,
      "aria-label": say(gettext("Call with %(name)s"), { name }),
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
      h("span", { class: "quality", "data-testid": "quality", role: "img", hidden: true }, h("i"), h("i"), h("i")),
      h(
        "span",
        { class: "timer", "data-testid": "timer", role: "timer", "aria-label": gettext("Call duration") },
        "0:00",
      ),
    ),
    h("div", { class: "screen-stage", "data-testid": "screen-stage", hidden: true }, screen),
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
      { class: "controls", role: "group", "aria-label": gettext("Call controls") },
      mute, hold, video, askScreen, stopViewing, hangup,
    ),
    transfer,
    call.consulting ? consultControls(entry) : null,
    consultNote(call),
    handedOn,
    h("p", { class: "end-reason", role: "status", hidden: true }),
    callerDetails(call.from),
    chatBox(entry),
  );
}

/** The remote party's stream plays in the video element (its audio too). */
export function attachRemote(entry) {
  const video = entry.panel?.querySelector("[data-testid=remote-video]");
  if (!video) return;
  if (video.srcObject !== entry.call.remoteStream) video.srcObject = entry.call.remoteStream;
  video.play().catch(() => {});
  updatePanel(entry);
}

/** screen.ask ("Ask to see screen") or screen.ask_stop ("Stop viewing"): acknowledged
 * requests, not operations; a refusal is explained in a toast. */
function screenRequest(entry, button, stop) {
  const { call } = entry;
  return run(entry, button, async () => {
    await (stop ? call.askScreenStop() : call.askScreen());
    showResult(true, stop ? gettext("Asked the visitor to stop sharing.") : gettext("Asked the visitor to share the screen."));
    return { ok: true };
  });
}

/** The visitor did not share: say why. */
export function screenDeclined(reason) {
  showResult(
    false,
    reason === "not_supported"
      ? gettext("The visitor's browser cannot share a screen.")
      : gettext("The visitor declined to share the screen."),
  );
}

/** The visitor's screen, large above the call's stage while it is shared. */
function showScreen(entry) {
  const { call, panel } = entry;
  const sharing = Boolean(call.remoteScreen?.sharing) && !call.ended;
  panel.querySelector("[data-testid=screen-stage]").hidden = !sharing;
  panel.classList.toggle("has-screen", sharing);
  const video = panel.querySelector("[data-testid=screen-video]");
  if (sharing && video.srcObject !== call.screenStream) {
    video.srcObject = call.screenStream;
    video.play().catch(() => {});
  }
  const ask = panel.querySelector("[data-testid=ask-screen]");
  ask.hidden = sharing || call.ended;
  ask.disabled = call.state !== State.IN_CALL || ask.getAttribute("aria-busy") === "true";
  panel.querySelector("[data-testid=stop-viewing]").hidden = !sharing;
}

function indicator(testid, iconName, text, tone) {
  const attrs = { class: `indicator indicator-${tone}`, "data-testid": testid };
  return h("span", attrs, icon(iconName), text);
}

const QUALITY_LABEL = {
  good: () => gettext("Call quality: good"),
  fair: () => gettext("Call quality: fair"),
  poor: () => gettext("Call quality: poor"),
};

/** The bars: the worse side's level (call.quality events), while answered. */
function showQuality(bars, call) {
  const level = CONNECTED_STATES.includes(call.state) ? callLevel(call.quality) : null;
  bars.hidden = !level;
  if (!level) return;
  bars.dataset.level = level;
  bars.setAttribute("aria-label", QUALITY_LABEL[level]());
}

/** Whose network is at fault, in words: this agent's (local) or the caller's (remote). */
function qualityIndicators(call) {
  if (!CONNECTED_STATES.includes(call.state)) return [];
  const words = {
    local: { losing: gettext("Your connection is losing audio"), slow: gettext("Your connection is slow") },
    remote: {
      losing: gettext("The caller's connection is losing audio"),
      slow: gettext("The caller's connection is slow"),
    },
  };
  const shown = [];
  for (const side of ["local", "remote"]) {
    const kind = trouble(call.quality?.[side]);
    if (kind) shown.push(indicator(`quality-${side}`, "volume-x", words[side][kind], "muted"));
  }
  return shown;
}

export function updatePanel(entry) {
  const { call, panel } = entry;
  if (!panel) return;
  const state = call.state;
  const held = HOLDING_STATES.includes(state);
  const callerHolds = HELD_STATES.includes(state);
  const transfer = panel.querySelector(".transfer");
  if (transfer) transfer.hidden = !CONNECTED_STATES.includes(state);
  // Complete once the colleague answered; cancel any time before the end.
  const complete = panel.querySelector("[data-testid=consult-complete]");
  if (complete && complete.getAttribute("aria-busy") !== "true") {
    complete.disabled = !CONNECTED_STATES.includes(state);
  }
  const ended = state === State.ENDED;
  panel.dataset.state = state;
  const badge = panel.querySelector(".state-badge");
  badge.textContent = STATE_LABEL[state] || state;
  badge.dataset.tone = state === State.IN_CALL ? "live" : ended ? "ended" : "held";

  const pressed = { mute: call.muted, video: call.sendingVideo };
  for (const [testid, on] of Object.entries(pressed)) {
    const button = panel.querySelector(`[data-testid=${testid}]`);
    button?.setAttribute("aria-pressed", String(Boolean(on)));
  }
  const holdButton = panel.querySelector("[data-testid=hold]");
  holdButton.dataset.on = String(held);
  holdButton.querySelector(".control-label").textContent = held ? gettext("Resume") : gettext(gettext("Hold"));

  // Indicators exist only while true, so "present" and "visible" mean the same.
  const indicators = [];
  if (!ended && held) indicators.push(indicator("on-hold", "pause", gettext("On hold"), "held"));
  if (!ended && callerHolds) {
    indicators.push(indicator("caller-holds", "pause", gettext("Caller has you on hold"), "held"));
  }
  if (!ended && call.remoteMedia?.muted) {
    indicators.push(indicator("caller-muted", "mic-off", gettext("Caller muted"), "muted"));
  }
  if (!ended && call.remoteConnection === Link.RECONNECTING) {
    indicators.push(
      indicator("caller-reconnecting", "link", gettext("Caller's connection dropped: reconnecting…"), "muted"),
    );
  }
  indicators.push(...qualityIndicators(call));
  panel.querySelector(".indicators").replaceChildren(...indicators);
  showQuality(panel.querySelector("[data-testid=quality]"), call);

  // While held nothing flows: show the caller's picture, not a frozen frame.
  const remoteVideo = Boolean(call.remoteMedia?.video) && !held && !callerHolds && !ended;
  panel.classList.toggle("has-remote-video", remoteVideo);
  panel.querySelector(".stage-note").textContent =
    ended || held || callerHolds
      ? ""
      : call.media === Media.VIDEO
        ? gettext("The caller's camera is off")
        : gettext("Voice call");

  showScreen(entry);
  const self = panel.querySelector(".self-view");
  const camera = call.sendingVideo && !ended ? entry.camera : null;
  panel.classList.toggle("has-self-view", Boolean(camera));
  if (!camera) self.srcObject = null;
  else if (self.srcObject?.getVideoTracks()[0] !== camera) {
    self.srcObject = new MediaStream([camera]);
  }
}
