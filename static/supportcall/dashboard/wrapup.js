// After-call work: from the end of a call until the agent saves its outcome, says it
// is ready, or its time runs out (the server's sweeper ends it then: desk "wrap-up").
// The panel (templates/agent/dashboard.html) counts down the time left, offers the
// queue's outcomes and a notes field, Save, Ready, and Extend (once).

import { showResult } from "./toast.js";
import { clock, explain, say } from "./words.js";

const panel = document.getElementById("wrap-up");
const form = document.getElementById("wrap-up-form");
const timeEl = panel.querySelector("[data-testid=wrap-up-time]");
const outcomeEl = document.getElementById("wrap-up-outcome");
const notesEl = document.getElementById("wrap-up-notes");
const readyEl = panel.querySelector("[data-testid=wrap-up-ready]");
const extendEl = panel.querySelector("[data-testid=wrap-up-extend]");
const TICK_MS = 250;

/** Show the desk's wrap-up, and carry out the agent's choices in it. */
export function showWrapUp(desk) {
  let shownFor = null; // the call whose wrap-up the panel shows: its notes are kept on changes
  desk.addEventListener("wrap-up", () => {
    const wrap = desk.wrapUp;
    panel.hidden = !wrap;
    if (!wrap) {
      shownFor = null;
      return;
    }
    if (shownFor !== wrap.call_id) {
      shownFor = wrap.call_id;
      notesEl.value = "";
      outcomeEl.replaceChildren(
        new Option(gettext("No outcome"), ""),
        ...wrap.dispositions.map((d) => new Option(d.label, String(d.id))),
      );
      // Focus goes to the outcome when it was nowhere or in the call that just ended (its
      // controls are disabled), not when the agent is busy elsewhere (typing, another call).
      const focused = document.activeElement;
      if (!focused || focused === document.body || focused.closest(".is-ended")) outcomeEl.focus();
    }
    extendEl.disabled = !wrap.can_extend;
    renderTime(desk);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = { disposition: outcomeEl.value ? Number(outcomeEl.value) : null, notes: notesEl.value };
    await act(() => desk.phone.saveWrapUp(desk.wrapUp.call_id, fields), gettext("Saved on the call's record."));
  });
  readyEl.addEventListener("click", () => act(() => desk.phone.endWrapUp(), gettext("You are ready for calls.")));
  extendEl.addEventListener("click", () => act(() => desk.phone.extendWrapUp(), gettext("You have more time.")));
  setInterval(() => renderTime(desk), TICK_MS);
}

async function act(request, done) {
  if (panel.hidden) return;
  try {
    await request();
    showResult(true, done);
  } catch (error) {
    showResult(false, say(gettext("That did not work: %(why)s"), { why: explain(error.code, error.message) }));
  }
}

/** The time left, counted from when the server said how much was left (not its clock). */
function renderTime(desk) {
  const wrap = desk.wrapUp;
  if (!wrap) return;
  if (wrap.remaining_s === null) {
    timeEl.textContent = gettext("Until you are ready");
    return;
  }
  const left = wrap.remaining_s - (Date.now() - desk.wrapUpAt) / 1000;
  timeEl.textContent = say(gettext("%(time)s left"), { time: clock(Math.ceil(Math.max(0, left))) });
}
