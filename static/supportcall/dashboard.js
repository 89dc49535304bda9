// The agent dashboard's entry module (templates/agent/dashboard.html loads it
// with <script type="module">). It builds the one owner of the page's state,
// the Desk (dashboard/desk.js), and hands it to the page's parts, each in its
// own module under dashboard/:
//
//   connection.js  the top bar: connection status, presence
//   calls.js       the calls column: ringing cards (incoming.js), call panels (call-panel.js),
//                  their forward and transfer lists (targets.js)
//   colleague.js   calling a colleague while no call is on the desk
//   ringing.js     the ringtone (ringer.js), the flashing title, notifications
//   queues.js      callers waiting in the agent's queues, and its closed queues
//   wrapup.js      after-call work: the time left, the outcome and notes, Save, Ready
//   recent.js      the agent's recent calls
//   keys.js        keyboard shortcuts
//   inbox.js       missed calls: callback requests
//   team.js        the team view (staff only)
//   figures.js     the team's figures for today (staff only)
//   permissions.js the sound and notification banners
//
// Everything about the wire lives in phone.js.

import { showCalls } from "./dashboard/calls.js";
import { showColleagueCall } from "./dashboard/colleague.js";
import { showConnection } from "./dashboard/connection.js";
import { Connection, Desk } from "./dashboard/desk.js";
import { showInbox } from "./dashboard/inbox.js";
import { listenForShortcuts } from "./dashboard/keys.js";
import { offerPermissions } from "./dashboard/permissions.js";
import { setQueueHours, showQueues } from "./dashboard/queues.js";
import { loadRecent, onQueueHours, refreshRecent } from "./dashboard/recent.js";
import { ring } from "./dashboard/ringing.js";
import { showFigures } from "./dashboard/figures.js";
import { showTeam } from "./dashboard/team.js";
import { showWrapUp } from "./dashboard/wrapup.js";

const desk = new Desk();
showConnection(desk);
showCalls(desk, { onAnsweredOrEnded: refreshRecent });
showColleagueCall(desk);
showQueues(desk);
showWrapUp(desk);
listenForShortcuts(desk);
onQueueHours((queues, requestedAt) => setQueueHours(desk, queues, requestedAt));
const ringer = ring(desk);
offerPermissions(ringer);
desk.addEventListener("connection", () => {
  if (desk.connection.status === Connection.CONNECTED) refreshRecent();
});
desk.addEventListener("rated", refreshRecent); // a caller rated a call: its stars show
loadRecent();
showInbox();
showTeam();
showFigures();
desk.connect();
