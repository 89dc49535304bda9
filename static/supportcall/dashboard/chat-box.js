// The chat of the call in progress (chat.js does the work): a "Chat" toggle with
// the count of messages that came while it was collapsed, the messages (role
// "log"), the caller typing, and a field where Enter sends.

import { Chat } from "../chat.js";
import { h } from "./dom.js";
import { explain, say } from "./words.js";

/** The chat part of a call panel; `entry.chat` is its Chat. */
export function chatBox(entry) {
  const parts = {
    toggle: h(
      "button",
      { type: "button", class: "btn btn-small chat-toggle", "data-testid": "chat-toggle", "aria-expanded": "false" },
      gettext("Chat"),
    ),
    badge: h("span", { class: "chat-badge", "data-testid": "chat-unread", hidden: true }),
    area: h("div", { class: "chat-area", "data-testid": "chat", hidden: true }),
    log: h("div", { class: "chat-log", "data-testid": "chat-log", role: "log", tabindex: "0", "aria-label": gettext("Chat with the caller") }),
    typing: h("p", { class: "chat-typing", "data-testid": "chat-typing", "aria-live": "polite", hidden: true }, gettext("The caller is typing…")),
    error: h("p", { class: "chat-error", "data-testid": "chat-error", role: "alert", hidden: true }),
    input: h("input", {
      class: "chat-input",
      "data-testid": "chat-input",
      maxlength: "2000",
      autocomplete: "off",
      "aria-label": gettext("Message to the caller"),
      placeholder: gettext("A link, an order number…"),
    }),
  };
  parts.toggle.append(parts.badge);
  parts.progress = h("p", { class: "chat-progress", "data-testid": "chat-progress", role: "status", hidden: true });
  parts.attach = h(
    "button",
    { type: "button", class: "btn chat-attach", "data-testid": "chat-attach", title: gettext("Send a file") },
    gettext("Attach"),
  );
  parts.picker = h("input", {
    type: "file",
    class: "chat-picker",
    "data-testid": "chat-file-input",
    accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.txt",
    tabindex: "-1",
    "aria-hidden": "true",
    hidden: true,
  });
  parts.form = h(
    "form",
    { class: "chat-form", "data-testid": "chat-form", novalidate: true },
    parts.attach,
    parts.picker,
    parts.input,
    h("button", { type: "submit", class: "btn", "data-testid": "chat-send" }, gettext("Send")),
  );
  parts.area.id = `chat-${entry.call.id}`;
  parts.toggle.setAttribute("aria-controls", parts.area.id);
  parts.area.append(parts.log, parts.typing, parts.error, parts.progress, parts.form);
  entry.chat = new Chat(
    entry.call,
    parts,
    {
      you: gettext("You"),
      other: gettext("Caller"),
      unread: (n) => say(ngettext("%(n)s unread message", "%(n)s unread messages", n), { n }),
      failed: (error) => say(gettext("Not sent: %(why)s"), { why: explain(error.code, error.message) }),
      uploading: (name, percent) => say(gettext("Sending %(name)s… %(percent)s"), { name, percent: `${percent}%` }),
      tooLarge: (most) => say(gettext("That file is too large (at most %(most)s)."), { most }),
      badType: () => gettext("This type of file can't be sent: photos (PNG, JPEG, GIF, WebP), PDF and text files can."),
      fileGone: (name) => say(gettext("%(name)s (no longer kept)"), { name }),
    },
    { mine: "agent" },
  );
  return h("section", { class: "chat", "aria-label": gettext("Chat") }, parts.toggle, parts.area);
}
