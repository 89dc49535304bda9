// The forward and transfer lists: whom a call can go to, with who is free now
// (GET /agent/targets.json), kept current while they are shown.

import { config, getJSON } from "./page.js";
import { h } from "./dom.js";
import { say } from "./words.js";

/** Who of a target is free now (targets.json), in words; "" when not known. */
function freeWords({ kind, free }) {
  if (free === undefined) return "";
  if (kind === "queue") return say(gettext("%(n)s free"), { n: free });
  return free ? gettext("free") : gettext("not free");
}

/** The agents and queues a call may be forwarded or transferred to, grouped; `targets`:
 * the page's list, or targets.json's with who is free now. */
export function forwardOptions(targets = config.forwardTargets) {
  const groups = {
    agent: h("optgroup", { label: gettext("Agents") }),
    queue: h("optgroup", { label: gettext("Queues") }),
  };
  for (const target of targets) {
    const { kind, address, name } = target;
    const free = freeWords(target);
    const attrs = {
      value: address,
      "data-name": name,
      "data-free": target.free === undefined ? null : String(target.free),
    };
    groups[kind]?.append(h("option", attrs, `${name} · ${address}${free ? ` (${free})` : ""}`));
  }
  return Object.values(groups).filter((group) => group.children.length);
}

// Who is free comes pushed (targets.changed): the lists shown reload together, at most this
// often however many changes a burst of calls makes, and this often anyway, should an event
// be lost.
const TARGETS_RELOAD_MS = 500;
const TARGETS_SAFETY_MS = 30_000;
/** The lists shown -> the kinds of target each offers ("agent", "queue"). */
const shownLists = new Map();
let lastLoad = 0;
let loadTimer = null;
let safetyTimer = null;
let watched = 0; // live lists shown

/** Reload every list shown with who is free now (targets.json): one request for them all,
 * at most once every TARGETS_RELOAD_MS. */
function reloadTargets() {
  if (loadTimer) return; // a reload is due: it will show this change too
  loadTimer = setTimeout(async () => {
    // A change told while this request runs may not be in its answer: it reloads again.
    loadTimer = null;
    lastLoad = Date.now();
    let targets;
    try {
      ({ targets } = await getJSON(config.targetsUrl));
    } catch {
      return; // keep the lists as they were: the next reload may work
    }
    for (const [select, kinds] of shownLists) {
      const chosen = select.value;
      select.replaceChildren(...forwardOptions(targets.filter((t) => kinds.includes(t.kind))));
      if (chosen) select.value = chosen;
    }
  }, Math.max(0, lastLoad + TARGETS_RELOAD_MS - Date.now()));
}

/** A list of the targets of these `kinds`, with who is free: loaded now and on focus, and,
 * `live`, kept current (reloaded when the server says who is free may have changed, see
 * desk.watchTargets, and every 30 s), until `stop()`. Returns {select, stop}. */
export function targetList(desk, attrs, { kinds = ["agent", "queue"], live = true } = {}) {
  const select = h("select", attrs, forwardOptions(config.forwardTargets.filter((t) => kinds.includes(t.kind))));
  if (!config.targetsUrl) return { select, stop: () => {} };
  shownLists.set(select, kinds);
  reloadTargets();
  select.addEventListener("focus", reloadTargets);
  if (!live) return { select, stop: () => shownLists.delete(select) };
  watched += 1;
  safetyTimer ??= setInterval(reloadTargets, TARGETS_SAFETY_MS);
  const unwatch = desk.watchTargets(() => reloadTargets());
  const stop = () => {
    if (!shownLists.delete(select)) return;
    unwatch();
    watched -= 1;
    if (!watched) {
      clearInterval(safetyTimer);
      safetyTimer = null;
    }
  };
  return { select, stop };
}

/** A call's forward or transfer list, kept current while the call is in one of `states`
 * (while the list is shown). */
export function callTargetList(desk, call, attrs, states) {
  const { select, stop } = targetList(desk, attrs);
  const check = () => {
    if (states.includes(call.state)) return;
    stop();
    call.removeEventListener("state", check);
  };
  call.addEventListener("state", check);
  return select;
}
