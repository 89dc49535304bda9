// The agent's recent calls (GET config.callsUrl), reloaded when a call is
// answered or ends.

import { State } from "../phone.js";
import { h } from "./dom.js";
import { config, getJSON } from "./page.js";
import {
  MEDIA_LABEL, OUTCOME_LABEL, OUTCOME_TONE, callerName, clock, qualityWords, say, shortAddress, when,
} from "./words.js";

const recentEl = document.querySelector("[data-testid=recent-calls]");
// Several calls can end together: one request for all of them.
const BATCH_MS = 150;
let recentTimer = null;
const queueListeners = [];

/** Run `listener(queues, requestedAt)` each time the recent calls (and the queues) load. */
export function onQueueHours(listener) {
  queueListeners.push(listener);
}

export function refreshRecent() {
  clearTimeout(recentTimer);
  recentTimer = setTimeout(loadRecent, BATCH_MS);
}

// Calls that ended here while the server may not know yet (the connection was lost, as in a
// server outage): call_id -> end reason. The server's word wins once it has ended the call.
const endedHere = new Map();

/** The call ended on this page with `reason`; the list says so until the server agrees. */
export function noteEnded(callId, reason) {
  endedHere.set(callId, reason);
}

function recentRow(server) {
  const live = server.outcome === State.IN_CALL || server.outcome === State.RINGING;
  const ended = live && endedHere.get(server.id);
  const row = ended ? { ...server, outcome: ended, duration_s: null } : server;
  if (!live) endedHere.delete(server.id);
  const finished = row.duration_s !== null && row.outcome !== State.IN_CALL;
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
      h(
        "span",
        { class: "recent-caller" },
        callerName(row.caller),
        // A verified caller: its site signed who it is (the name it signed, on hover).
        row.verified
          ? h(
              "span",
              { class: "verified-tag", "data-testid": "recent-verified", title: row.verified.name || row.verified.sub },
              gettext("Verified"),
            )
          : null,
      ),
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
        finished ? h("span", { class: "recent-duration" }, ` · ${clock(row.duration_s)}`) : null,
      ),
      recentQuality(row.quality),
      recentRating(row.rating),
    ),
  );
}

/** The visitor's rating of the call: its stars, and its words on hover. */
function recentRating(rating) {
  if (!rating) return null;
  const words = say(gettext("Rated %(stars)s of 5"), { stars: rating.stars });
  return h(
    "span",
    { class: "recent-rating", "data-testid": "recent-rating", "data-stars": String(rating.stars), title: rating.comment || words },
    h("span", { "aria-hidden": "true" }, "★".repeat(rating.stars) + "☆".repeat(5 - rating.stars)),
    h("span", { class: "sr-only" }, words),
    rating.comment ? h("span", { class: "recent-rating-comment" }, ` “${rating.comment}”`) : null,
  );
}

/** The call's quality over the call: each party's average MOS, the relay named. */
function recentQuality(quality) {
  const words = qualityWords(quality, (q) => q.mos_avg);
  if (!words) return null;
  const relayed = Object.values(quality).some((q) => q.path === "relay");
  return h("span", { class: "recent-quality", "data-testid": "recent-quality" },
    relayed ? `${words} · ${gettext("through the relay")}` : words);
}

export async function loadRecent() {
  let body;
  const asked = Date.now();
  try {
    body = await getJSON(config.callsUrl);
  } catch {
    return; // the list stays as it was; the next call's end tries again
  }
  for (const listener of queueListeners) listener(body.queues || [], asked);
  recentEl.replaceChildren(...body.calls.map(recentRow));
  document.getElementById("recent-empty").hidden = body.calls.length > 0;
}
