// Keyboard shortcuts (Alt+Shift and a letter, listed on the page): accept the
// call that rang first, and mute, hold or resume, and hang up the call in
// progress. A modifier keeps them out of the way of screen readers' single-key
// commands, and none fires while the agent types in a field.

import { State } from "../phone.js";

/** code (KeyboardEvent.code) -> [what it does, the button's data-testid, where] */
export const SHORTCUTS = Object.freeze({
  KeyA: [gettext("Accept the call that rang first"), "accept-audio", "card"],
  KeyM: [gettext("Mute or unmute"), "mute", "panel"],
  KeyH: [gettext("Hold or resume"), "hold", "panel"],
  KeyE: [gettext("Hang up"), "hangup", "panel"],
});

export function keyLabel(code) {
  return `Alt+Shift+${code.slice(3)}`;
}

function typing(target) {
  return Boolean(target?.closest?.("input, textarea, select, [contenteditable]:not([contenteditable=false])"));
}

/** The call in progress the keys act on: the one holding focus, else the first one. */
function activePanel(desk) {
  const entries = [...desk.calls.values()].filter((e) => e.panel && e.call.state !== State.ENDED);
  return (entries.find((e) => e.panel.contains(document.activeElement)) || entries[0])?.panel;
}

export function listenForShortcuts(desk) {
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    const shortcut = SHORTCUTS[event.code];
    if (!shortcut || typing(event.target)) return;
    const [, testid, where] = shortcut;
    const container = where === "card" ? desk.ringing()[0]?.card : activePanel(desk);
    const button = container?.querySelector(`[data-testid=${testid}]`);
    event.preventDefault();
    if (button && !button.disabled) button.click();
  });
  const list = document.getElementById("shortcuts");
  for (const [code, [what]] of Object.entries(SHORTCUTS)) {
    const row = document.createElement("div");
    const dt = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = keyLabel(code);
    dt.append(kbd);
    const dd = document.createElement("dd");
    dd.textContent = what;
    row.append(dt, dd);
    list.append(row);
  }
}

/** Tell assistive technology about the key of a button (aria-keyshortcuts). */
export function markShortcut(button, testid) {
  const code = Object.keys(SHORTCUTS).find((c) => SHORTCUTS[c][1] === testid);
  if (code) button.setAttribute("aria-keyshortcuts", keyLabel(code));
}
