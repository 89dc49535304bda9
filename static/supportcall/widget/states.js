// What the widget shows is either one of the call's states (phone.js's State)
// or one of the widget's own phases around a call: nothing yet, logging in and
// placing the call, or a call that could not start.

import { CONNECTED_STATES, WAITING_STATES } from "../phone.js";

export const Phase = Object.freeze({ IDLE: "idle", CONNECTING: "connecting", ERROR: "error" });

// Before an answer: the launcher says "Calling…" and the portrait pulses.
export const CALLING = Object.freeze([Phase.CONNECTING, ...WAITING_STATES]);
// A call is under way (placed, or being placed): there is something to hang up.
export const UNDER_WAY = Object.freeze([...CALLING, ...CONNECTED_STATES]);
