// Draws the widget from its state: the launcher, then the panel's parts (the
// status, the choices, the stage with the videos, the call controls). Every
// part exists in the template; rendering only shows, hides and fills them, so
// it can run after any change.

import { CONNECTED_STATES, HOLDING_STATES, Link, Media, Reason, State } from "../phone.js";
import { ICON } from "./icons.js";
import { launcherWords, lineBlocked, lineWords } from "./line.js";
import { CALLING, Phase, UNDER_WAY } from "./states.js";
import { callLevel, Level, trouble } from "../quality.js";

const HOLD_STATES = [State.ON_HOLD, State.REMOTELY_HELD, State.ON_DOUBLE_HOLD];
import { ADVICE, clock, escapeHTML, explain, statusWords, t, waitWords } from "./words.js";

/** Draw the whole widget. */
export function render(widget) {
  const el = widget.el;
  el.panel.hidden = !widget.isOpen;
  renderStatus(widget);
  renderChoices(widget);
  widget.precheck.render(!UNDER_WAY.includes(widget.state) && widget.callbacks.view === null);
  widget.callbacks.render();
  widget.rating.render();
  renderStage(widget);
  renderControls(widget);
  renderScreen(widget);
  renderQuality(widget);
  renderTimer(widget);
}

/** The call's quality (bars), and in plain words when a connection is the trouble. */
export function renderQuality(widget) {
  const { el, state, call } = widget;
  const answered = CONNECTED_STATES.includes(state);
  const level = answered ? callLevel(call?.quality) : null;
  el.quality.hidden = !level;
  if (level) {
    el.quality.dataset.level = level;
    el.quality.setAttribute("aria-label", t(`quality.${level}`));
  }
  let note = "";
  const own = answered ? trouble(call?.quality?.local) : null;
  const theirs = answered ? call?.quality?.remote : null;
  if (own) note = t(own === "losing" ? "quality.localLosing" : "quality.localSlow");
  else if (theirs && (theirs.level === Level.POOR || trouble(theirs))) note = t("quality.remoteWeak");
  el.qualityNote.hidden = !note;
  if (el.qualityNote.textContent !== note) el.qualityNote.textContent = note;
}

/** The call's duration, and the launcher that shows it too (every half second in a call). */
export function renderTimer(widget) {
  const el = widget.el;
  const shown = Boolean(widget.answeredAt) && UNDER_WAY.includes(widget.state);
  el.timer.hidden = !shown;
  if (shown) el.timer.textContent = clock(Date.now() - widget.answeredAt);
  renderLauncher(widget);
}

function renderLauncher(widget) {
  const { config, line, state } = widget;
  const launcher = widget.el.launcher;
  const underWay = UNDER_WAY.includes(state);
  const blocked = lineBlocked(line);
  const buttonText = config.buttonText || t("button.default");
  let text = launcherWords(line, buttonText);
  // A wait is promised only when someone will answer (the server sends null otherwise).
  if (!underWay && !blocked && line && line.agents_available === 0 && line.estimated_wait_s > 0) {
    text = t("line.launcherWait", { text: buttonText, wait: waitWords(line.estimated_wait_s) });
  }
  if (state === State.IN_CALL) text = t("launcher.inCall", { time: clock(Date.now() - widget.answeredAt) });
  else if (CONNECTED_STATES.includes(state)) text = t("launcher.onHold");
  else if (underWay) text = t("launcher.calling");
  const html = `${underWay ? '<span class="live" aria-hidden="true"></span>' : ICON.phone}<span>${escapeHTML(text)}</span>`;
  if (launcher.innerHTML !== html) launcher.innerHTML = html;
  launcher.setAttribute("aria-expanded", String(widget.isOpen));
  // What the widget knows of the line (also what tests wait for): "asking" until the first
  // answer, "unknown" if the status could not be read.
  const unknown = widget.lineAsked ? "unknown" : "asking";
  launcher.dataset.line = underWay ? "call" : !line ? unknown : blocked || "open";
  // Its name is what it shows (WCAG 2.5.3); aria-expanded says whether it shows the call.
  launcher.removeAttribute("aria-label");
}

/** The status line, the queue position, the explanation of a failure and the header. */
function renderStatus(widget) {
  const { el, state, reason, call, line } = widget;
  const underWay = UNDER_WAY.includes(state);
  const blocked = lineBlocked(line);

  let status = statusWords(state);
  if (state === Phase.IDLE && widget.fixedMedia()) status = t("status.ready");
  if (state === State.ENDED) {
    status = !ADVICE.includes(reason) && reason ? t("status.endedBecause", { reason: explainReason(reason) }) : t("status.ended");
  }
  if (state === Phase.IDLE && blocked) status = lineWords(line);
  // Handed on by the agent: the visitor waits for the next one (call.transferring).
  if (state === State.RINGING && call?.transferring) {
    status = t("transfer.waiting", { name: call.transferring.displayName || call.transferring.to });
  }
  const position = state === State.QUEUED ? call?.position : null;
  if (position) {
    status = position.position === 1 ? t("queue.next") : t("queue.number", { position: position.position });
  }
  el.position.hidden = !position;
  if (position) {
    el.position.textContent = position.agentsAvailable
      ? t("queue.shortly")
      : t("queue.wait", { wait: waitWords(position.estimatedWaitS) });
  }
  el.status.dataset.state = state;
  if (el.status.textContent !== status) el.status.textContent = status;

  let error = widget.errorText;
  if (state === State.ENDED && ADVICE.includes(reason)) error = `${explainReason(reason)} ${t(`advice.${reason}`)}`;
  // Lost while this browser is online: the service failed, not the visitor's network.
  if (state === State.ENDED && reason === Reason.CONNECTION_LOST && navigator.onLine) error = t("fail.cutOff");
  if (state === Phase.IDLE && blocked === "unknown_site") error = t("fail.unknownSite");
  if (state === Phase.IDLE && blocked === "unknown_line") error = t("fail.unknownLine");
  el.error.hidden = !error;
  if (el.errorText.textContent !== error) el.errorText.textContent = error;

  el.intro.hidden = state !== Phase.IDLE || (blocked && blocked !== "closed" && blocked !== "unavailable");
  const intro = introWords(line);
  if (el.intro.textContent !== intro) el.intro.textContent = intro;
  el.subtitle.textContent =
    underWay && widget.reconnecting ? t("subtitle.reconnecting") :
    CONNECTED_STATES.includes(state) ? t("subtitle.connected") :
    underWay ? t("subtitle.connecting") : t("subtitle.idle");
}

/** What the intro promises matches the line's status: "now" only with an agent free. */
function introWords(line) {
  if (!line) return t("intro.free"); // unknown yet: calling will tell
  if (lineBlocked(line)) return t("intro.blocked");
  if (line.agents_available > 0) return t("intro.free");
  return line.agents_answering > 0 ? t("intro.busy") : t("intro.waitAnyway");
}

/** How to call (or call again). */
function renderChoices(widget) {
  const { el, state } = widget;
  const fixed = widget.fixedMedia();
  el.choices.hidden = UNDER_WAY.includes(state);
  el.chooseAudio.hidden = Boolean(fixed);
  el.chooseVideo.hidden = Boolean(fixed);
  el.callAgain.hidden = !fixed || state === Phase.IDLE;
  // A fixed-media widget starts calls from the launcher; nothing to choose.
  if (fixed && state === Phase.IDLE) el.choices.hidden = true;
  el.choices.classList.toggle("single", Boolean(fixed));
  const blocked = lineBlocked(widget.line);
  for (const choice of [el.chooseAudio, el.chooseVideo, el.callAgain]) {
    if (blocked) choice.setAttribute("aria-disabled", "true");
    else choice.removeAttribute("aria-disabled");
  }
}

/** The stage: the agent's picture, or the videos, with what the agent's side is doing. */
function renderStage(widget) {
  const { el, state, call } = widget;
  const underWay = UNDER_WAY.includes(state);
  const answered = CONNECTED_STATES.includes(state);
  const localTrack = sendingTrack(widget);
  const remote = call?.remoteMedia || { muted: false, video: false };
  const remoteVideo = Boolean(answered && remote.video && call.remoteStream.getVideoTracks().length);
  const videoCall = underWay && (remoteVideo || (widget.media === Media.VIDEO && answered));
  el.stage.hidden = !underWay;
  el.stage.classList.toggle("video", videoCall);
  el.portrait.hidden = videoCall;
  el.pulse.hidden = !CALLING.includes(state);
  el.remoteVideo.hidden = !remoteVideo;
  if (remoteVideo && el.remoteVideo.srcObject !== call.remoteStream) widget.showRemote();
  el.localVideo.hidden = !localTrack;
  if (localTrack && el.localVideo.srcObject?.getVideoTracks()[0] !== localTrack) {
    el.localVideo.srcObject = new MediaStream([localTrack]);
    el.localVideo.play().catch(() => {});
  }
  el.held.hidden = !(answered && state !== State.IN_CALL);
  el.held.textContent = HOLD_STATES.includes(state) ? statusWords(state) : "";
  el.remoteMuted.hidden = !(answered && remote.muted);
  el.reconnecting.hidden = !(underWay && widget.reconnecting);
  el.remoteReconnecting.hidden = !(answered && call?.remoteConnection === Link.RECONNECTING);
  const videoMatters = widget.media === Media.VIDEO || Boolean(localTrack);
  el.remoteVideoOff.hidden = !(answered && videoMatters && !remote.video && call?.media !== Media.AUDIO_SINGLE);
}

/** Mute, camera, hold and hang up. */
/** The agent's ask to see the screen, and the banner while it is shared. */
function renderScreen(widget) {
  const { el, state, call, busy } = widget;
  const live = Boolean(call) && !call.ended && CONNECTED_STATES.includes(state);
  el.screenBanner.hidden = !(live && call.sharingScreen);
  el.screenAsk.hidden = !(live && call.screenAsk === "share" && !call.sharingScreen);
  for (const button of [el.screenShare, el.screenNotNow, el.screenStop]) {
    button.setAttribute("aria-disabled", String(Boolean(busy)));
  }
}

function renderControls(widget) {
  const { el, state, call, busy } = widget;
  const answered = CONNECTED_STATES.includes(state);
  el.controls.hidden = !UNDER_WAY.includes(state);
  for (const button of [el.mute, el.video, el.hold]) button.hidden = !answered;
  el.video.hidden = !answered || call?.media === Media.AUDIO_SINGLE;
  const muted = Boolean(call?.muted);
  setButton(el.mute, {
    pressed: muted, disabled: Boolean(busy),
    icon: muted ? ICON.micOff : ICON.mic, ...control(muted ? "unmute" : "mute"),
  });
  const sending = Boolean(call?.sendingVideo) && !call?.ended;
  setButton(el.video, {
    pressed: sending, disabled: Boolean(busy) || state !== State.IN_CALL,
    icon: sending ? ICON.video : ICON.videoOff, ...control("camera"),
  });
  const holding = HOLDING_STATES.includes(state);
  setButton(el.hold, {
    pressed: holding, disabled: Boolean(busy),
    icon: holding ? ICON.play : ICON.pause, ...control(holding ? "resume" : "hold"),
  });
  const hangup = control(answered ? "hangUp" : "cancel");
  el.hangup.setAttribute("aria-label", hangup.name);
  el.hangup.querySelector(".lbl").textContent = hangup.label;
}

/** The camera track this side sends now, if any. */
function sendingTrack(widget) {
  const call = widget.call;
  if (!call || call.ended || !call.sendingVideo) return null;
  const track = widget.localVideoTrack || widget.stream?.getVideoTracks()[0];
  return track && track.readyState === "live" ? track : null;
}

function setButton(button, { pressed, disabled, icon, label, name }) {
  button.setAttribute("aria-pressed", String(pressed));
  // The name starts with the visible label (WCAG 2.5.3, label in name).
  button.setAttribute("aria-label", name);
  if (disabled) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
  const disc = button.querySelector(".disc");
  if (disc.innerHTML !== icon) disc.innerHTML = icon;
  button.querySelector(".lbl").textContent = label;
}

export function explainReason(reason) {
  return explain(reason) || t("explain.default");
}

/** A call control's visible label and its accessible name (which starts with the label). */
function control(name) {
  return { label: t(`control.${name}`), name: t(`control.${name}Name`) };
}
