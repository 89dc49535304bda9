// Missed calls: the callback requests visitors left (config.callbacksUrl),
// polled; an agent claims one ("I'll call back") and marks it done.

import { h } from "./dom.js";
import { config, csrfToken } from "./page.js";
import { showResult } from "./toast.js";
import { say, shortAddress, when } from "./words.js";

const missedEl = document.querySelector("[data-testid=missed-calls]");
const moreEl = document.querySelector("[data-testid=missed-more]");
const MISSED_POLL_MS = 15000;
// The server sends the inbox a page at a time; "Show more" asks for one more page.
let pagesShown = 1;

export function showInbox() {
  moreEl.addEventListener("click", () => {
    pagesShown += 1;
    loadMissed();
  });
  loadMissed();
  setInterval(loadMissed, MISSED_POLL_MS);
}

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
          showResult(true, action === "claim" ? say(gettext("You will call %(name)s back."), { name: request.name }) : gettext("Marked done."));
        } catch (error) {
          showResult(false, say(gettext("That did not work: %(why)s"), { why: error.message }));
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
          (request.claimed_by ? ` · ${mine ? gettext("taken by you") : say(gettext("taken by %(agent)s"), { agent: shortAddress(request.claimed_by) })}` : "")),
    ),
    h("div", { class: "missed-actions" },
      request.status === "open" ? act("claim", gettext("I'll call back"), "btn-primary") : null,
      request.status === "open" || mine ? act("done", gettext("Done"), "") : null,
    ),
  );
}

async function loadMissed() {
  const callbacks = [];
  let body = { next: null };
  try {
    for (let page = 0; page < pagesShown; page += 1) {
      body = await callbackApi(body.next ? `?after=${encodeURIComponent(body.next)}` : "");
      callbacks.push(...body.callbacks);
      if (!body.next) break;
    }
  } catch {
    return; // kept as it was; the next poll tries again
  }
  missedEl.replaceChildren(...callbacks.map(missedRow));
  moreEl.hidden = !body.next;
  document.getElementById("missed-empty").hidden = callbacks.length > 0;
  document.getElementById("missed-note").textContent = body.open ? say(gettext("%(n)s waiting"), { n: body.open }) : "";
}
