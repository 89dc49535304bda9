// The team's figures for today (staff only): per queue, the day's totals, a chart by
// hour (an SVG the server draws) and the same numbers as a table (docs/metrics.md).

import { h } from "./dom.js";
import { config, getJSON } from "./page.js";
import { clock, say } from "./words.js";

const FIGURES_POLL_MS = 30000;

/** Show the figures if this agent may see them (the page has their URL). */
export function showFigures() {
  if (!config.figuresUrl) return;
  loadFigures();
  setInterval(loadFigures, FIGURES_POLL_MS);
}

const percent = (share) => (share === null ? "—" : `${Math.round(share * 100)}%`);
const seconds = (value) => (value === null ? "—" : clock(Math.round(value)));

function figure(label, value, testid) {
  return h("div", { class: "figure", "data-testid": testid },
    h("dt", {}, label),
    h("dd", {}, String(value)));
}

function hourTable(day) {
  return h("details", { class: "figures-hours" },
    h("summary", {}, gettext("By hour")),
    h("table", {},
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, gettext("Hour")),
        h("th", { scope: "col" }, gettext("Offered")),
        h("th", { scope: "col" }, gettext("Answered")),
        h("th", { scope: "col" }, gettext("Abandoned")))),
      h("tbody", {}, day.by_hour.filter((hour) => hour.offered).map((hour) =>
        h("tr", {},
          h("th", { scope: "row" }, `${hour.hour}:00`),
          h("td", {}, String(hour.offered)),
          h("td", {}, String(hour.answered)),
          h("td", {}, String(hour.abandoned))))),
    ));
}

function queueFigures(day) {
  const level = say(gettext("Service level (%(s)s s)"), { s: day.service_level_s });
  return h("div", { class: "team-figures", "data-testid": "team-figures", "data-queue": day.queue },
    h("h3", { class: "recent-caller" }, day.name),
    h("dl", { class: "figures" },
      figure(gettext("Offered"), day.offered, "figure-offered"),
      figure(gettext("Answered"), day.answered, "figure-answered"),
      figure(gettext("Abandoned"), day.abandoned, "figure-abandoned"),
      figure(level, percent(day.service_level), "figure-service-level"),
      figure(gettext("Average speed of answer"), seconds(day.average_speed_of_answer_s), "figure-asa"),
      figure(gettext("Average handle time"), seconds(day.average_handle_time_s), "figure-aht"),
      figure(gettext("Callbacks requested / done"),
        `${day.callbacks_requested} / ${day.callbacks_completed}`, "figure-callbacks"),
    ),
    h("img", {
      class: "figures-chart",
      src: day.chart_url,
      alt: say(gettext("Calls by hour today: %(offered)s offered, %(answered)s answered"),
        { offered: day.offered, answered: day.answered }),
    }),
    hourTable(day),
  );
}

async function loadFigures() {
  let body;
  try {
    body = await getJSON(config.figuresUrl);
  } catch {
    return;
  }
  document.getElementById("figures").replaceChildren(...body.queues.map(queueFigures));
}
