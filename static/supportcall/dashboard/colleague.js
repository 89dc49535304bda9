// Calling a colleague while no call is on the desk: a list of the other agents, with who
// is free now (as of when it loaded or last had the focus), and Call.

import { Media } from "../phone.js";
import { callColleague } from "./call-panel.js";
import { Connection } from "./desk.js";
import { h, icon } from "./dom.js";
import { targetList } from "./targets.js";
import { showResult } from "./toast.js";
import { explain, say } from "./words.js";

/** The "Call a colleague" row of the idle desk (#idle), shown while the desk is idle. */
export function showColleagueCall(desk) {
  const idle = document.getElementById("idle");
  let list = null;
  const button = h(
    "button",
    { type: "button", class: "btn", "data-testid": "call-colleague", onclick: () => call(desk, list.select, button) },
    icon("phone"),
    h("span", {}, gettext("Call")),
  );
  const row = h("div", { class: "forward-row" }, button);
  const box = h(
    "div",
    { class: "forward colleague-call", "data-testid": "colleague-call" },
    h("label", { for: "colleague-to" }, gettext("Call a colleague")),
    row,
  );
  idle.append(box);
  const update = () => {
    const shown = desk.idle() && desk.connection.status === Connection.CONNECTED;
    box.hidden = !shown;
    if (shown && !list) {
      // Not live: every idle dashboard would reload it at each change anywhere, where the
      // transfer lists are only those of agents in a call; the agent's focus reloads it.
      const attrs = { id: "colleague-to", "data-testid": "colleague-to" };
      list = targetList(desk, attrs, { kinds: ["agent"], live: false });
      row.prepend(list.select);
    } else if (!shown && list) {
      list.stop();
      list.select.remove();
      list = null;
    }
    button.disabled = !list?.select.options.length;
  };
  for (const name of ["change", "connection", "wrap-up"]) desk.addEventListener(name, update);
  update();
}

async function call(desk, select, button) {
  button.disabled = true;
  try {
    await callColleague(desk, select, (to, stream) => desk.phone.call({ to, media: Media.AUDIO, stream }), {
      noMicrophone: gettext("Call failed: the microphone is not available (%(why)s)."),
      focusOn: "hangup",
    });
  } catch (error) {
    showResult(false, say(gettext("That did not work: %(why)s"), { why: explain(error.code, error.message) }));
  } finally {
    button.disabled = false;
  }
}
