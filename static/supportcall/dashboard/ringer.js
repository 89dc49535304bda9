// The ringtone: a chime made with the Web Audio API (no sound file to load).

/** A two-note chime made with the Web Audio API, repeated while anything rings. */
export class Ringer {
  constructor() {
    this.ctx = null;
    this.timer = null;
    this.master = null;
  }

  get active() {
    return this.timer !== null;
  }

  context() {
    if (!this.ctx) {
      const AudioContext = window.AudioContext || window.webkitAudioContext;
      if (!AudioContext) return null;
      this.ctx = new AudioContext();
    }
    return this.ctx;
  }

  /** Browsers start audio suspended until the page gets a click or key press. */
  unlock() {
    const ctx = this.context();
    return ctx && ctx.state !== "running" ? ctx.resume().catch(() => {}) : Promise.resolve();
  }

  get audible() {
    return this.context()?.state === "running";
  }

  start() {
    if (this.timer) return;
    this.chime();
    this.timer = setInterval(() => this.chime(), 2600);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.master && this.ctx) {
      this.master.gain.setTargetAtTime(0, this.ctx.currentTime, 0.03);
      this.master = null;
    }
  }

  chime() {
    const ctx = this.context();
    if (!ctx) return;
    this.unlock();
    const master = ctx.createGain();
    master.gain.value = 0.18;
    master.connect(ctx.destination);
    this.master = master;
    const t0 = ctx.currentTime + 0.05;
    // E5 - B5, twice: bright enough to notice, soft enough to hear all day.
    [
      [659.25, 0],
      [987.77, 0.16],
      [659.25, 0.62],
      [987.77, 0.78],
    ].forEach(([frequency, at]) => {
      for (const [type, mult, level] of [
        ["sine", 1, 1],
        ["triangle", 2, 0.18],
      ]) {
        const osc = ctx.createOscillator();
        const env = ctx.createGain();
        osc.type = type;
        osc.frequency.value = frequency * mult;
        env.gain.setValueAtTime(0.0001, t0 + at);
        env.gain.exponentialRampToValueAtTime(level, t0 + at + 0.012);
        env.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.42);
        osc.connect(env).connect(master);
        osc.start(t0 + at);
        osc.stop(t0 + at + 0.45);
      }
    });
    setTimeout(() => master.disconnect(), 1600);
  }
}
