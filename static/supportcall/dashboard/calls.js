// The calls column: each call that rings here gets a card (incoming.js); once
// answered the card becomes the call panel (call-panel.js); an ended call
// says why for a few seconds, then leaves. With no call, the column says why
// nothing rings.

import { CONNECTED_STATES, Presence, Reason, State } from "../phone.js";
import { attachRemote, renderPanel, screenDeclined, updatePanel } from "./call-panel.js";
import { Connection } from "./desk.js";
import { accept, renderIncoming } from "./incoming.js";
import { noteEnded } from "./recent.js";
import { announce, showOpResult } from "./toast.js";
import { MEDIA_LABEL, callerName, clock, reasonText, say } from "./words.js";

const ENDED_VISIBLE_MS = 5000;
const CLOCK_TICK_MS = 250;

const incomingList = document.getElementById("incoming");
const activeEl = document.getElementById("active");

/** Show the desk's calls; `onAnsweredOrEnded` runs when one is answered or ends (the history changes). */
export function showCalls(desk, { onAnsweredOrEnded }) {
  desk.addEventListener("call", (e) => {
    const { entry, replaced } = e.detail;
    if (replaced) (replaced.panel || replaced.card)?.remove();
    const { call } = entry;
    if (call.direction === "outgoing") {
      // A call placed here (a consult): its panel at once, saying it rings.
      entry.panel = renderPanel(desk, entry);
      activeEl.append(entry.panel);
      updatePanel(entry);
    } else {
      entry.card = renderIncoming(desk, entry);
      incomingList.append(entry.card);
    }
    call.addEventListener("state", (event) => {
      onState(desk, entry, event.detail, onAnsweredOrEnded);
      desk.changed();
    });
    call.addEventListener("media", () => updatePanel(entry));
    call.addEventListener("connection", () => updatePanel(entry));
    call.addEventListener("quality", () => updatePanel(entry));
    call.addEventListener("result", (event) => showOpResult(event.detail));
    call.addEventListener("track", () => attachRemote(entry));
    call.addEventListener("screen", () => updatePanel(entry));
    call.addEventListener("screen-track", () => updatePanel(entry));
    call.addEventListener("screen.declined", (event) => screenDeclined(event.detail.reason));
    if (call.direction === "outgoing") return;
    announce(say(gettext("Incoming %(media)s from %(name)s"), { media: MEDIA_LABEL[call.media] || gettext("call"), name: callerName(call.from) }));
    // A consult this agent took, completed: it agreed already, so the caller is taken at once.
    if (call.consulted) accept(desk, entry, false);
  });
  for (const name of ["change", "connection", "presence", "wrap-up"]) {
    desk.addEventListener(name, () => renderIdle(desk));
  }
  renderIdle(desk);
  // One clock for every timer on the page.
  setInterval(() => tick(desk), CLOCK_TICK_MS);
}

function onState(desk, entry, { state, reason }, onAnsweredOrEnded) {
  if (CONNECTED_STATES.includes(state)) {
    if (!entry.panel) {
      entry.answeredAt = Date.now();
      // Focus was on the card (its Accept, now gone) or nowhere: it moves into the call.
      const focused = document.activeElement;
      const moveFocus = !focused || focused === document.body || entry.card?.contains(focused);
      entry.card?.remove();
      entry.card = null;
      entry.panel = renderPanel(desk, entry);
      activeEl.append(entry.panel);
      attachRemote(entry);
      if (moveFocus) entry.panel.querySelector(".controls button").focus();
      onAnsweredOrEnded();
    }
    entry.answeredAt ||= Date.now(); // a call placed here: from when the colleague answered
    updatePanel(entry);
  } else if (state === State.ENDED) {
    entry.notification?.close();
    if (reason) noteEnded(entry.call.id, reason);
    const el = entry.panel || entry.card;
    if (entry.panel) updatePanel(entry);
    if (el) {
      el.dataset.state = State.ENDED;
      el.classList.add("is-ended");
      if (entry.card) {
        // A ringing card that ended says so once: no ring time, no "Declining…" left spinning.
        entry.busy = null;
        el.classList.remove("is-busy");
        el.querySelector(".card-status").textContent = "";
        el.querySelector(".eyebrow").textContent = gettext("Ended");
      }
      for (const button of el.querySelectorAll("button, select")) button.disabled = true;
      const note = el.querySelector(".end-reason");
      // A consult completed is, for the colleague consulted, a caller coming its way.
      const completed = reason === Reason.TRANSFERRED && entry.call.consultOf;
      note.textContent = completed
        ? gettext("The caller is being transferred to you.")
        : reasonText(reason) || gettext("The call ended.");
      note.hidden = false;
      entry.removal = setTimeout(() => {
        el.remove();
        desk.removeCall(entry);
      }, ENDED_VISIBLE_MS);
    }
    onAnsweredOrEnded();
  }
}

function renderIdle(desk) {
  // In after-call work, its panel says why nothing rings (dashboard/wrapup.js).
  document.getElementById("idle").hidden = !desk.idle();
  const status = desk.connection.status;
  const [title, text] =
    status === Connection.CONNECTING
      ? [gettext("Connecting…"), gettext("Calls will ring here once the dashboard is connected.")]
      : status !== Connection.CONNECTED
        ? [gettext("Not connected"), gettext("Calls cannot ring here until the connection is back.")]
        : desk.presence === Presence.AWAY
          ? [
              gettext("You are away"),
              say(gettext("%(why)s Switch to Available to take calls."), { why: desk.presenceReason || gettext("Calls will not ring here.") }),
            ]
          : [gettext("Waiting for calls"), gettext("Calls will ring here, with a sound and a notification.")];
  document.getElementById("idle-title").textContent = title;
  document.getElementById("idle-text").textContent = text;
  const ringing = [...desk.calls.values()].filter(
    (e) => e.call.state === State.RINGING && e.call.direction === "incoming",
  ).length;
  document.getElementById("calls-note").textContent = ringing ? say(gettext("%(n)s ringing"), { n: ringing }) : "";
}

function tick(desk) {
  const seconds = (since) => clock((Date.now() - since) / 1000);
  for (const entry of desk.calls.values()) {
    if (entry.panel && entry.answeredAt && entry.call.state !== State.ENDED) {
      entry.panel.querySelector("[data-testid=timer]").textContent = seconds(entry.answeredAt);
    }
    if (entry.card && entry.call.state === State.RINGING) {
      entry.card.querySelector(".ring-time").textContent = seconds(entry.ringingSince);
    }
  }
}
