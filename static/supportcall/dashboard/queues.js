// The agent's queues, above the calls: callers waiting in them (queue.waiting
// events, counted on here each second) and the queues that are closed now,
// with when they open again in the queue's own time zone (from calls.json).

import { h } from "./dom.js";
import { clock, say, shortAddress } from "./words.js";

const notesEl = document.getElementById("queue-notes");
const liveEl = document.getElementById("queue-live");
let closedQueues = [];

/** Show the desk's waiting callers, live. */
export function showQueues(desk) {
  let spoken = "";
  desk.addEventListener("waiting", () => {
    render(desk);
    // Screen readers hear the counts when they change, not the ticking seconds.
    const said = [...desk.waiting].map(([queue, { waiting }]) => waitingText(queue, waiting)).join(". ");
    if (said !== spoken) liveEl.textContent = spoken = said;
  });
  setInterval(() => tick(desk), 1000);
  render(desk);
}

/** The agent's queues as calls.json says (each `open`, or closed with `opens`; who waits),
 * from a request sent at `requestedAt`. */
export function setQueueHours(desk, queues, requestedAt) {
  closedQueues = queues.filter((q) => !q.open);
  // Who waits now, for a page that connected after the last queue.waiting; an event
  // received since the request went out is newer and stays.
  for (const q of queues) {
    const told = desk.waiting.get(q.address);
    if (told && told.at > requestedAt) continue;
    desk.setWaiting({ queue: q.address, waiting: q.waiting || 0, longest_wait_s: q.longest_wait_s || 0 });
  }
  render(desk);
}

function waitingText(queue, waiting) {
  const who = ngettext("%(n)s caller is waiting in %(queue)s", "%(n)s callers are waiting in %(queue)s", waiting);
  return say(who, { n: waiting, queue: shortAddress(queue) });
}

function longest({ longestWaitS, at }) {
  return clock(longestWaitS + (Date.now() - at) / 1000);
}

function render(desk) {
  const waiting = [...desk.waiting].map(([queue, line]) =>
    h(
      "p",
      { class: "queue-note queue-note-waiting", "data-testid": "queue-waiting", "data-queue": queue },
      h("span", { class: "queue-note-dot", "aria-hidden": "true" }),
      h("span", { class: "queue-note-text" }, waitingText(queue, line.waiting)),
      h("span", { class: "queue-note-meta" }, ` · ${gettext("longest")} `, h("span", { class: "wait-time" }, longest(line))),
    ),
  );
  const now = Date.now();
  const closed = closedQueues
    .filter((q) => !q.opens_at || Date.parse(q.opens_at) > now)
    .map((q) =>
      h(
        "p",
        { class: "queue-note queue-note-closed", "data-testid": "queue-closed", "data-queue": q.address },
        q.opens
          ? say(gettext("%(queue)s is closed; it opens again %(opens)s (%(zone)s time). Its callers cannot call until then."), {
              queue: q.name,
              opens: q.opens,
              zone: q.timezone,
            })
          : say(gettext("%(queue)s is closed. Its callers cannot call until then."), { queue: q.name }),
      ),
    );
  notesEl.replaceChildren(...waiting, ...closed);
  notesEl.hidden = !waiting.length && !closed.length;
}

function tick(desk) {
  for (const el of notesEl.querySelectorAll("[data-testid=queue-waiting]")) {
    const line = desk.waiting.get(el.dataset.queue);
    if (line) el.querySelector(".wait-time").textContent = longest(line);
  }
  // A closed queue that has opened meanwhile leaves the list.
  if (closedQueues.some((q) => q.opens_at && Date.parse(q.opens_at) <= Date.now())) render(desk);
}
