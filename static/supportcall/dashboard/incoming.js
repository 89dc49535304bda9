// A ringing call's card: who, from which page, audio or video, through which
// queue; accept (with audio or video), decline, ignore or forward.

import { Media, Op, State } from "../phone.js";
import { consultNote, run } from "./call-panel.js";
import { callerDetails, h, icon, mediaChip, queueChip } from "./dom.js";
import { markShortcut } from "./keys.js";
import { callTargetList } from "./targets.js";
import { showResult } from "./toast.js";
import { callerName, initials, say } from "./words.js";

function cardButton(testid, style, iconName, text, label, onclick) {
  const attrs = { type: "button", class: `btn ${style}`, "data-testid": testid, onclick };
  return h("button", { ...attrs, "aria-label": label }, icon(iconName), h("span", {}, text));
}

/** While the card waits for accept, decline, ignore or forward, it stops ringing. */
function setCardBusy(desk, entry, busy, status = "") {
  const { card, call } = entry;
  entry.busy = busy;
  card.classList.toggle("is-busy", Boolean(busy));
  card.querySelector(".card-status").textContent = status;
  for (const el of card.querySelectorAll("button, select")) {
    el.disabled = Boolean(busy) || call.ended;
  }
  desk.changed();
}

/** Decline, ignore or forward: the card comes back if the server says no. */
async function decide(desk, entry, op, status, work) {
  setCardBusy(desk, entry, op, status);
  const result = await run(entry, null, work);
  if (!result?.ok && !entry.call.ended) setCardBusy(desk, entry, null);
}

/** Accept with audio (or video): also how a completed consult is taken at once. */
export async function accept(desk, entry, video) {
  const { call } = entry;
  setCardBusy(desk, entry, Op.ACCEPT, video ? gettext("Starting camera and microphone…") : gettext("Starting microphone…"));
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
  } catch (error) {
    setCardBusy(desk, entry, null);
    const failed = video
      ? gettext("Accept failed: the camera or microphone is not available (%(why)s).")
      : gettext("Accept failed: the microphone is not available (%(why)s).");
    showResult(false, say(failed, { why: error.message }));
    return;
  }
  if (call.ended) {
    stream.getTracks().forEach((t) => t.stop());
    return;
  }
  entry.camera = video ? stream.getVideoTracks()[0] : null;
  entry.card.querySelector(".card-status").textContent = gettext("Connecting…");
  const result = await run(entry, null, () => call.accept({ video, stream }));
  if (!result?.ok && !call.ended) {
    stream.getTracks().forEach((t) => t.stop());
    setCardBusy(desk, entry, null);
  }
}

export function renderIncoming(desk, entry) {
  const card = buildIncoming(desk, entry);
  markShortcut(card.querySelector("[data-testid=accept-audio]"), "accept-audio");
  return card;
}

function buildIncoming(desk, entry) {
  const { call } = entry;
  const name = callerName(call.from);
  const video = call.media === Media.VIDEO;
  const forwardId = `forward-${call.id}`;
  // A colleague's call is theirs: it is not forwarded, and has no list.
  const colleague = call.from?.anonymous === false;
  const forwardTo = colleague
    ? null
    : callTargetList(desk, call, { id: forwardId, "data-testid": "forward-to" }, [State.RINGING]);
  const forward = () => {
    const to = forwardTo.value;
    return decide(desk, entry, Op.FORWARD, say(gettext("Forwarding to %(to)s…"), { to }), () => call.forward(to));
  };

  return h(
    "li",
    {
      class: "card incoming",
      "data-testid": "incoming",
      "data-call-id": call.id,
      "data-state": call.state,
      "aria-label": say(gettext("Incoming call from %(name)s"), { name }),
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
          `${gettext("Incoming")} · `,
          h("span", { class: "ring-time" }, "0:00"),
        ),
        h("h3", { "data-testid": "caller" }, name),
        h("p", { class: "chips" }, mediaChip(call, true), queueChip(call)),
      ),
    ),
    consultNote(call),
    callerDetails(call.from),
    h(
      "div",
      { class: "actions" },
      cardButton(
        "accept-audio",
        "btn-accept",
        "phone",
        video ? gettext("Accept audio") : gettext("Accept"),
        // The name starts with the visible words, as speech input users say them.
        video ? say(gettext("Accept audio for the call from %(name)s"), { name }) : say(gettext("Accept the call from %(name)s with audio"), { name }),
        () => accept(desk, entry, false),
      ),
      video
        ? cardButton(
            "accept-video",
            "btn-accept-outline",
            "video",
            gettext("Accept video"),
            say(gettext("Accept video for the call from %(name)s"), { name }),
            () => accept(desk, entry, true),
          )
        : null,
      cardButton(
        "reject",
        "btn-danger-soft",
        "x",
        gettext("Decline"),
        say(gettext("Decline the call from %(name)s"), { name }),
        () => decide(desk, entry, Op.REJECT, gettext("Declining…"), () => call.reject()),
      ),
      cardButton(
        "ignore",
        "btn-ghost",
        "bell-off",
        gettext("Ignore"),
        say(gettext("Ignore the call from %(name)s: it keeps ringing for other agents"), { name }),
        () => decide(desk, entry, Op.IGNORE, gettext("Ignoring…"), () => call.ignore()),
      ),
    ),
    colleague ? null : h(
      "div",
      { class: "forward" },
      h("label", { for: forwardId }, gettext("Forward to")),
      h(
        "div",
        { class: "forward-row" },
        forwardTo,
        cardButton(
          "forward",
          "",
          "forward",
          gettext("Forward"),
          say(gettext("Forward the call from %(name)s to the chosen agent or queue"), { name }),
          forward,
        ),
      ),
    ),
    h("p", { class: "card-status", role: "status" }),
    h("p", { class: "end-reason", hidden: true }),
  );
}
