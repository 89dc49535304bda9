// The latest result, in words (the toast), and announcements for screen readers.

import { h, icon } from "./dom.js";
import { OP_DONE, OP_LABEL, explain, say } from "./words.js";

const toast = document.querySelector("[data-testid=result]");
const announcer = document.getElementById("announcer");
const SUCCESS_SHOWN_MS = 5000;
let toastTimer = null;

export function showResult(ok, text) {
  clearTimeout(toastTimer);
  toast.hidden = false;
  toast.dataset.ok = String(ok);
  const dismiss = { type: "button", class: "toast-close", "aria-label": gettext("Dismiss"), onclick: () => (toast.hidden = true) };
  toast.replaceChildren(h("span", { class: "toast-text" }, text), h("button", dismiss, icon("x")));
  // Successes fade away; a failure stays until dismissed or replaced.
  if (ok) toastTimer = setTimeout(() => (toast.hidden = true), SUCCESS_SHOWN_MS);
}

/** An op.result of one of the calls. */
export function showOpResult({ op, ok, code, message }) {
  if (ok) showResult(true, OP_DONE[op] || say(gettext("%(op)s: done."), { op: OP_LABEL[op] || op }));
  else showResult(false, say(gettext("%(op)s failed: %(why)s"), { op: OP_LABEL[op] || op, why: explain(code, message) }));
}

export function announce(text) {
  announcer.textContent = "";
  setTimeout(() => (announcer.textContent = text), 50);
}
