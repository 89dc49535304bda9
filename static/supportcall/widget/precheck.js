// "Test my microphone and connection": the check before the call in the widget. It
// logs in like a call, asks for the microphone (and the camera for video), shows a
// level meter (an AnalyserNode) and the camera's preview, runs the network check
// against the server (../check.js) and says the result in plain words. The result is
// kept and handed on with the next call (widget.start). After a call that failed for
// its media the next opening of the widget runs the check by itself (sessionStorage).

import { Media, Reason } from "../phone.js";
import { runCheck } from "../check.js";
import { explainFailure, getMedia, login } from "./calling.js";
import { t } from "./words.js";

const AGAIN_KEY = "supportcall.check-next";

export class PreCheck {
  constructor(widget) {
    this.widget = widget;
    /** The last check's result (call.create's `check`), or null. */
    this.result = null;
    this.running = false;
    this.words = "";
    this.failed = false;
    this.stream = null;
    this.audio = null;
    this.frame = null;
  }

  /** A call ended: after media_failed the next opening checks first. */
  noteEnd(reason) {
    try {
      if (reason === Reason.MEDIA_FAILED) sessionStorage.setItem(AGAIN_KEY, "1");
    } catch { /* storage refused (privacy mode): the button still works */ }
  }

  /** Whether the previous call failed for its media (once: the flag is cleared). */
  takeDue() {
    try {
      const due = sessionStorage.getItem(AGAIN_KEY) === "1";
      sessionStorage.removeItem(AGAIN_KEY);
      return due;
    } catch {
      return false;
    }
  }

  async run() {
    if (this.running) return;
    const widget = this.widget;
    // With the camera (and its preview) for a video widget, or after a video call.
    const video = widget.fixedMedia() === Media.VIDEO || widget.media === Media.VIDEO;
    const media = video ? Media.VIDEO : Media.AUDIO_SINGLE;
    this.running = true;
    this.failed = false;
    this.result = null;
    this.words = t("check.running");
    widget.render();
    let phone = null;
    try {
      phone = await login(widget.config, widget);
      this.stream = await getMedia(media === Media.VIDEO ? Media.VIDEO : Media.AUDIO);
      this.showLevel(this.stream);
      if (media === Media.VIDEO) widget.el.checkPreview.srcObject = this.stream;
      widget.render();
      this.result = await runCheck(phone, this.stream, media);
      this.words = t(`check.${this.result.verdict}`);
    } catch (error) {
      this.failed = true;
      this.words = t("check.failed", { why: await explainFailure(error, phone) });
    } finally {
      phone?.close();
      this.stop();
      this.running = false;
      widget.render();
    }
  }

  /** The microphone's level, about 30 times a second, in the meter. */
  showLevel(stream) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context || !stream.getAudioTracks().length) return;
    this.audio = new Context();
    const analyser = this.audio.createAnalyser();
    analyser.fftSize = 512;
    this.audio.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    const meter = this.widget.el.checkLevel;
    const tick = () => {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
      meter.value = Math.min(1, peak / 64);
      meter.dataset.heard = String(meter.value > 0.02 || meter.dataset.heard === "true");
      this.frame = requestAnimationFrame(tick);
    };
    tick();
  }

  stop() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.audio?.close().catch(() => {});
    this.audio = null;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.widget.el.checkPreview.srcObject = null;
  }

  /** The button, the meter and preview while it runs, and the result. */
  render(visible) {
    const el = this.widget.el;
    el.checkArea.hidden = !visible;
    el.checkButton.setAttribute("aria-disabled", String(this.running));
    el.checkLevel.hidden = !this.running;
    el.checkPreview.hidden = !this.running || !el.checkPreview.srcObject;
    el.checkResult.hidden = !this.words;
    if (el.checkResult.textContent !== this.words) el.checkResult.textContent = this.words;
    el.checkResult.dataset.verdict = this.running ? "running" : this.failed ? "failed" : this.result?.verdict || "";
  }
}
