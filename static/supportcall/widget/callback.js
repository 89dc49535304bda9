// Callback requests: offered when nobody can answer (the line is closed or
// unavailable, or a call ended with nobody answering), then the form, then
// thanks (POST /api/v1/callbacks).

import { ErrorCode, leaveCallback, NETWORK_ERROR, Reason, State } from "../phone.js";
import { lineBlocked } from "./line.js";
import { UNDER_WAY } from "./states.js";
import { explain, looksLikeEmail, t } from "./words.js";

// End reasons after which a callback is worth offering.
const NOBODY_ANSWERED = [Reason.NO_ANSWER, Reason.NO_AGENTS];

export class Callbacks {
  constructor(widget) {
    this.widget = widget;
    /** What the panel shows: null (at most the offer), "form" or "done". */
    this.view = null;
    /** The form's problem, in words. */
    this.text = "";
  }

  canOffer() {
    const { state, reason, line } = this.widget;
    if (UNDER_WAY.includes(state)) return false;
    return ["closed", "unavailable"].includes(lineBlocked(line)) || (state === State.ENDED && NOBODY_ANSWERED.includes(reason));
  }

  open() {
    const widget = this.widget;
    this.view = "form";
    this.text = "";
    const form = widget.el.callbackForm;
    if (!form.elements.name.value && widget.config.displayName) form.elements.name.value = widget.config.displayName;
    widget.isOpen = true;
    widget.render();
    widget.focus(form.elements.name);
  }

  close() {
    const widget = this.widget;
    this.view = null;
    widget.render();
    widget.focus(widget.el.callbackOffer.hidden ? widget.preferredFocus() : widget.el.callbackOffer);
  }

  async send() {
    const widget = this.widget;
    const { config, el } = widget;
    const form = el.callbackForm;
    const value = (name) => form.elements[name].value.trim();
    const request = {
      site: config.site, name: value("name"), phone: value("phone"), email: value("email"),
      note: value("note"), context: config.context,
    };
    if (widget.line) request.queue = widget.line.name;
    if (widget.call?.id && widget.state === State.ENDED) request.call_id = widget.call.id;
    let problem = "";
    let field = null;
    if (!request.name) [problem, field] = [t("callback.noName"), form.elements.name];
    else if (!request.phone && !request.email) [problem, field] = [t("callback.noContact"), form.elements.phone];
    else if (request.email && !looksLikeEmail(request.email)) [problem, field] = [t("callback.badEmail"), form.elements.email];
    if (problem) {
      this.text = problem;
      widget.render();
      widget.focus(field);
      return;
    }
    el.callbackSubmit.setAttribute("aria-disabled", "true");
    try {
      await leaveCallback(config.server, request);
      this.view = "done";
      el.callbackDone.textContent = t("callback.thanks", { name: request.name, how: request.phone || request.email });
      form.reset();
    } catch (error) {
      // The server's own message is for developers; a person reads what to do.
      if (error.code === ErrorCode.BAD_REQUEST) {
        this.text = /email/i.test(error.message || "") ? t("callback.badEmail") : t("callback.badRequest");
      } else this.text = explain(error.code) && error.code !== NETWORK_ERROR ? explain(error.code) : t("callback.failed");
    } finally {
      el.callbackSubmit.removeAttribute("aria-disabled");
      widget.render();
      widget.focus(this.view === "done" ? el.callbackDone : el.callbackSubmit);
    }
  }

  render() {
    const el = this.widget.el;
    const form = this.view === "form";
    el.callbackOffer.hidden = !this.canOffer() || Boolean(this.view);
    el.callbackForm.hidden = !form;
    el.callbackDone.hidden = this.view !== "done";
    el.callbackError.hidden = !(form && this.text);
    el.callbackError.textContent = this.text;
    if (form) el.choices.hidden = true;
  }
}
