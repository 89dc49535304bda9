// The agent's desk: the one owner of the dashboard's state. It holds the
// connection (a phone.js Phone, reconnected after a refusal-free drop), the
// agent's presence, and the calls shown on the page; the page's parts
// (connection.js, calls.js, ringing.js...) read it and listen to its events:
//
//   "connection"  the connection's status changed (desk.connection)
//   "presence"    the agent's presence changed (desk.presence; desk.presenceReason when the
//                 server changed it, as after missed calls)
//   "waiting"     callers wait in one of the agent's queues (desk.waiting)
//   "wrap-up"     after-call work began, changed or ended (desk.wrapUp: the agent.wrap_up
//                 frame, or null; desk.wrapUpAt: Date.now() when it came)
//   "call"        a call rings here: {entry (now in desk.calls), replaced (its old entry, if
//                 the same call rang here before, as after a forward back to a queue)}
//   "change"      a call's entry changed, or one left desk.calls
//
// For integrations (a CRM pop-up, a browser extension, diagnostics) the desk
// also dispatches two DOM events on `document`, documented in the README:
// "supportcall:phone" (detail: the connected phone.js Phone, after each
// (re)connection) and "supportcall:call" (detail: each phone.js Call that rings).

import { ErrorCode, Phone, Presence, State } from "../phone.js";
import { csrfToken } from "./page.js";

const RECONNECT_DELAYS_S = [1, 2, 5, 10, 30];

export const Connection = Object.freeze({
  CONNECTING: "connecting",
  CONNECTED: "connected",
  RECONNECTING: "reconnecting", // phone.js resumes; calls and media go on
  DISCONNECTED: "disconnected", // a new connection is due in retryIn seconds
  SIGNED_OUT: "signed-out", // the session is gone: only logging in again helps
});

export class Desk extends EventTarget {
  constructor() {
    super();
    this.phone = null;
    this.presence = Presence.AVAILABLE;
    this.presenceReason = "";
    this.awayReason = ""; // the label of the away reason chosen, if any
    this.wrapUp = null;
    this.wrapUpAt = 0;
    /** queue address -> {waiting, longestWaitS, at (Date.now() when told)} */
    this.waiting = new Map();
    /** {status, retryIn (disconnected), error (signed out)} */
    this.connection = { status: Connection.CONNECTING };
    /**
     * call_id -> the entry of a call on the page: {call, ringingSince, answeredAt,
     * busy (the card's operation under way), camera, card, panel, notification, removal}.
     */
    this.calls = new Map();
    this.reconnectAttempt = 0;
    this.reconnectTimer = null;
    /** The reloads of the forward and transfer lists shown (watchTargets). */
    this.targetWatchers = new Set();
  }

  /** Call `reload` whenever who is free may have changed, until the function returned is
   * called: the connection watches (targets.watch) while some list is shown. */
  watchTargets(reload) {
    this.targetWatchers.add(reload);
    if (this.targetWatchers.size === 1) this.phone?.watchTargets(true).catch(() => {});
    return () => {
      if (this.targetWatchers.delete(reload) && !this.targetWatchers.size) {
        this.phone?.watchTargets(false).catch(() => {});
      }
    };
  }

  targetsChanged() {
    for (const reload of this.targetWatchers) reload();
  }

  setConnection(status, fields = {}) {
    this.connection = { status, ...fields };
    this.dispatchEvent(new CustomEvent("connection", { detail: this.connection }));
  }

  setPresence(status, reason = "", awayReason = "") {
    this.presence = status;
    this.presenceReason = reason;
    this.awayReason = awayReason;
    this.dispatchEvent(new CustomEvent("presence", { detail: status }));
  }

  setWrapUp(frame) {
    this.wrapUp = frame && frame.active ? frame : null;
    this.wrapUpAt = Date.now();
    this.dispatchEvent(new CustomEvent("wrap-up", { detail: this.wrapUp }));
  }

  /** Log in with the page's session and connect; on failure, try again later. */
  async connect() {
    clearTimeout(this.reconnectTimer);
    this.setConnection(Connection.CONNECTING);
    let phone;
    try {
      phone = await Phone.agent(location.origin, { csrfToken });
    } catch (error) {
      if (error.code === ErrorCode.UNAUTHORIZED || error.code === ErrorCode.FORBIDDEN) {
        this.setConnection(Connection.SIGNED_OUT, { error });
        return;
      }
      this.scheduleReconnect();
      return;
    }
    this.phone = phone;
    this.reconnectAttempt = 0;
    document.dispatchEvent(new CustomEvent("supportcall:phone", { detail: phone }));
    phone.addEventListener("incoming", (e) => this.addCall(e.detail));
    phone.addEventListener("presence", (e) =>
      this.setPresence(e.detail.status, e.detail.reason, e.detail.away_reason));
    phone.addEventListener("wrap-up", (e) => this.setWrapUp(e.detail));
    phone.addEventListener("queue-waiting", (e) => this.setWaiting(e.detail));
    phone.addEventListener("rated", (e) => this.dispatchEvent(new CustomEvent("rated", { detail: e.detail })));
    phone.addEventListener("targets-changed", () => this.targetsChanged());
    if (this.targetWatchers.size) phone.watchTargets(true).catch(() => {});
    phone.addEventListener("closed", () => {
      if (this.phone !== phone) return;
      // What this connection was told may be stale by the time another one comes.
      this.waiting.clear();
      this.dispatchEvent(new Event("waiting"));
      this.scheduleReconnect();
    });
    // A dropped connection resumes on its own (phone.js); calls and media go on meanwhile.
    phone.addEventListener("reconnecting", () => {
      if (this.phone === phone) this.setConnection(Connection.RECONNECTING);
    });
    phone.addEventListener("reconnected", () => {
      if (this.phone !== phone) return;
      this.setWrapUp(phone.hello.wrap_up || null); // it may have ended meanwhile
      this.targetsChanged(); // and who is free may have changed, untold
      this.setConnection(Connection.CONNECTED);
    });
    this.setPresence(phone.hello.presence || Presence.AVAILABLE, "", phone.hello.away_reason || "");
    this.setWrapUp(phone.hello.wrap_up || null);
    this.setConnection(Connection.CONNECTED);
  }

  scheduleReconnect() {
    const delay = RECONNECT_DELAYS_S[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_S.length - 1)];
    this.reconnectAttempt += 1;
    this.setConnection(Connection.DISCONNECTED, { retryIn: delay });
    this.reconnectTimer = setTimeout(() => this.connect(), delay * 1000);
  }

  /** Ask the server for a new presence; rejects with a PhoneError if it says no. */
  async changePresence(status, reason = null) {
    const ack = await this.phone.setPresence(status, reason);
    this.setPresence(status, "", ack.reason || "");
  }

  setWaiting({ queue, waiting, longest_wait_s: longestWaitS }) {
    if (waiting) this.waiting.set(queue, { waiting, longestWaitS, at: Date.now() });
    else this.waiting.delete(queue);
    this.dispatchEvent(new Event("waiting"));
  }

  addCall(call) {
    // A call forwarded back to a queue this agent is in rings here again, with the same id.
    const old = this.calls.get(call.id);
    if (old) clearTimeout(old.removal);
    const entry = { call, card: null, panel: null, answeredAt: null, ringingSince: Date.now() };
    this.calls.set(call.id, entry);
    document.dispatchEvent(new CustomEvent("supportcall:call", { detail: call }));
    this.dispatchEvent(new CustomEvent("call", { detail: { entry, replaced: old } }));
    this.changed();
  }

  /** The entry leaves the page (unless the call rang again meanwhile). */
  removeCall(entry) {
    if (this.calls.get(entry.call.id) === entry) this.calls.delete(entry.call.id);
    this.changed();
  }

  /** No call on the page and no after-call work: nothing rings or goes on here. */
  idle() {
    return this.calls.size === 0 && this.wrapUp === null;
  }

  /** Calls that ring and wait for this agent (not those being accepted, declined...). */
  ringing() {
    // A call placed here (a consult) rings elsewhere, not here.
    return [...this.calls.values()].filter(
      (e) => e.call.state === State.RINGING && !e.busy && e.call.direction === "incoming",
    );
  }

  changed() {
    this.dispatchEvent(new Event("change"));
  }
}
