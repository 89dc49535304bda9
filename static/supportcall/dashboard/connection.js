// The top bar: the connection's status (with Retry, or Sign in again) and the
// agent's presence.

import { Presence } from "../phone.js";
import { Connection } from "./desk.js";
import { h } from "./dom.js";
import { config } from "./page.js";
import { showResult } from "./toast.js";
import { explain, say } from "./words.js";

const connectionEl = document.querySelector("[data-testid=connection]");
const presenceEl = document.querySelector("[data-testid=presence]");

export function showConnection(desk) {
  desk.addEventListener("connection", () => renderConnection(desk));
  desk.addEventListener("presence", () => {
    presenceEl.value = presenceValue(desk);
    document.body.dataset.presence = desk.presence;
    // The server set it (after missed calls): say why, until dismissed.
    if (desk.presenceReason) showResult(false, desk.presenceReason);
  });
  presenceEl.addEventListener("change", async () => {
    // "away:<id>": away for one of the admin's reasons.
    const [wanted, reason] = presenceEl.value.split(":");
    try {
      await desk.changePresence(wanted, reason ? Number(reason) : null);
      const away = wanted === Presence.AWAY;
      showResult(true, away ? gettext("You are away: calls will not ring here.") : gettext("You are available for calls."));
    } catch (error) {
      presenceEl.value = presenceValue(desk);
      showResult(false, say(gettext("Could not change your status: %(why)s"), { why: explain(error.code, error.message) }));
    }
  });
  renderConnection(desk);
}

/** The option of the presence select for the desk's presence (and away reason). */
function presenceValue(desk) {
  if (desk.presence === Presence.AWAY && desk.awayReason) {
    const option = [...presenceEl.options].find((o) => o.dataset.reason === desk.awayReason);
    if (option) return option.value;
  }
  return desk.presence;
}

function renderConnection(desk) {
  const { status, retryIn, error } = desk.connection;
  let text = gettext("Connected");
  let action = null;
  if (status === Connection.CONNECTING) text = gettext("Connecting…");
  else if (status === Connection.RECONNECTING) text = gettext("Reconnecting… your calls go on.");
  else if (status === Connection.DISCONNECTED) {
    text = say(gettext("Disconnected; retrying in %(s)s s."), { s: retryIn });
    action = h("button", { type: "button", class: "link-button", onclick: () => desk.connect() }, gettext("Retry"));
  } else if (status === Connection.SIGNED_OUT) {
    text = gettext("Signed out.");
    const login = `${config.loginUrl}?next=${encodeURIComponent(location.pathname)}`;
    action = h("a", { href: login }, gettext("Sign in again"));
    showResult(false, say(gettext("Could not connect: %(why)s"), { why: explain(error.code, error.message) }));
  }
  connectionEl.dataset.status = status;
  connectionEl.replaceChildren(h("span", { class: "connection-dot", "aria-hidden": "true" }), text);
  if (action) connectionEl.append(" ", action);
  presenceEl.disabled = status !== Connection.CONNECTED;
}
