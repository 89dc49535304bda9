// The visitor's rating: after an answered call ends, "How was your call?" with 1 to 5
// stars (a radio group: arrow keys move, Enter sends), an optional comment, Send and
// Skip, then thanks (call.rate on the call's WebSocket). The WebSocket stays open for
// the rating only, and for a bounded time (KEEP_MS, under the server's
// SUPPORTCALL_RATING_WINDOW of 15 minutes): then, or once sent or skipped, it closes.

import { ErrorCode } from "../phone.js";
import { explain, t } from "./words.js";

export const KEEP_MS = 10 * 60 * 1000;

export class Rating {
  constructor(widget) {
    this.widget = widget;
    /** What the panel shows: null, "form" or "done". */
    this.view = null;
    this.text = "";
    this.phone = null;
    this.callId = null;
    this.timer = null;
  }

  /** The call `callId` on `phone` was answered and ended: ask for its rating. */
  offer(phone, callId) {
    this.finish();
    this.phone = phone;
    this.callId = callId;
    this.view = "form";
    this.text = "";
    this.widget.el.ratingForm.reset();
    this.timer = setTimeout(() => {
      if (this.view === "form") this.view = null;
      this.finish();
      this.widget.render();
    }, KEEP_MS);
  }

  /** The rating is over (sent, skipped, timed out, or the widget starts over): close. */
  finish() {
    clearTimeout(this.timer);
    this.timer = null;
    this.phone?.close();
    this.phone = null;
  }

  skip() {
    const widget = this.widget;
    this.view = null;
    this.finish();
    widget.render();
    widget.focus(widget.preferredFocus());
  }

  async send() {
    const widget = this.widget;
    const form = widget.el.ratingForm;
    const stars = Number(form.elements.stars.value);
    if (!stars) {
      this.text = t("rating.noStars");
      widget.render();
      widget.focus(form.querySelector("input[name=stars]"));
      return;
    }
    const comment = form.elements.comment.value.trim();
    const submit = widget.el.ratingSend;
    submit.setAttribute("aria-disabled", "true");
    try {
      const fields = { call_id: this.callId, stars };
      if (comment) fields.comment = comment;
      await this.phone.request("call.rate", fields);
      this.view = "done";
      this.text = "";
      this.finish();
    } catch (error) {
      if (error.code === ErrorCode.INVALID_STATE) {
        // Too late, or rated already: nothing more can be done about it.
        this.view = null;
        this.finish();
      } else this.text = explain(error.code) || t("rating.failed");
    } finally {
      submit.removeAttribute("aria-disabled");
      widget.render();
      widget.focus(this.view === "done" ? widget.el.ratingDone : this.view ? submit : widget.preferredFocus());
    }
  }

  render() {
    const el = this.widget.el;
    const form = this.view === "form";
    el.ratingForm.hidden = !form;
    el.ratingDone.hidden = this.view !== "done";
    el.ratingError.hidden = !(form && this.text);
    el.ratingError.textContent = this.text;
    // The choices to call again stay below it (and keep the focus, as after any end).
  }
}
