// The team (staff only): the queues with their waiting calls, the agents and
// their calls (config.supervisorUrl), polled.

import { Presence, State } from "../phone.js";
import { h } from "./dom.js";
import { config, getJSON } from "./page.js";
import { clock, qualityWords, say } from "./words.js";

const TEAM_POLL_MS = 5000;
// An agent's presence as the supervision API reports it (with the computed ones).
const PRESENCE_LABEL = {
  [Presence.AVAILABLE]: gettext("Available"),
  [Presence.AWAY]: gettext("Away"),
  [Presence.BUSY]: gettext("On a call"),
  [Presence.OFFLINE]: gettext("Offline"),
};

/** Show the team view if this agent may see it (the page has a supervision URL). */
export function showTeam() {
  if (!config.supervisorUrl) return;
  loadTeam();
  setInterval(loadTeam, TEAM_POLL_MS);
}

function teamQueue(queue) {
  return h("div", { class: "team-queue", "data-testid": "team-queue", "data-queue": queue.address },
    h("div", { class: "team-row" },
      h("span", { class: "recent-caller" }, queue.name),
      h("span", { class: "recent-meta" },
        `${queue.strategy === "longest_idle" ? gettext("Longest idle") : gettext("Ring all")} · ` +
          (queue.open ? say(gettext("%(n)s waiting"), { n: queue.waiting.length }) : gettext("Closed"))),
    ),
    queue.waiting.map((call) =>
      h("div", { class: "team-row team-waiting", "data-testid": "team-waiting", "data-call-id": call.call_id },
        h("span", {}, call.caller),
        h("span", { class: "recent-meta" }, `${call.state === State.QUEUED ? gettext("waiting") : gettext("ringing")} ${clock(call.waited_s)}`),
      )),
  );
}

function teamAgent(agent) {
  return h("div", { class: "team-row", "data-testid": "team-agent", "data-agent": agent.address, "data-presence": agent.presence },
    h("span", {},
      h("span", { class: `team-dot presence-${agent.presence}`, "aria-hidden": "true" }),
      ` ${agent.name}`),
    h("span", { class: "recent-meta" },
      agent.call
        ? `${say(gettext("With %(caller)s"), { caller: agent.call.caller })} · ${clock(agent.call.since_s)}`
        : agentStatus(agent)),
    agent.call ? liveQuality(agent.call.quality) : null,
  );
}

/** An answered call's latest quality: each party's MOS, marked where its reports warn. */
function liveQuality(quality) {
  const words = qualityWords(quality, (q) => q.mos);
  return words ? h("span", { class: "recent-meta team-quality", "data-testid": "team-quality" }, words) : null;
}

/** What an agent without a call is doing: away (why, for how long), wrapping up, or its presence. */
function agentStatus(agent) {
  if (agent.away) {
    const since = agent.away.since_s === null ? "" : ` · ${clock(agent.away.since_s)}`;
    const label = agent.away.reason
      ? say(gettext("Away — %(reason)s"), { reason: agent.away.label })
      : PRESENCE_LABEL[Presence.AWAY];
    return label + since;
  }
  if (agent.wrap_up) return `${gettext("After-call work")} · ${clock(agent.wrap_up.since_s)}`;
  return PRESENCE_LABEL[agent.presence] || agent.presence;
}

async function loadTeam() {
  let body;
  try {
    body = await getJSON(config.supervisorUrl);
  } catch {
    return;
  }
  const waiting = body.queues.reduce((n, q) => n + q.waiting.length, 0);
  document.getElementById("team-note").textContent = waiting ? say(gettext("%(n)s waiting"), { n: waiting }) : "";
  const teamEl = document.getElementById("team");
  teamEl.replaceChildren(
    ...body.queues.map(teamQueue),
    h("div", { class: "team-agents" }, ...body.agents.map(teamAgent)),
  );
}
