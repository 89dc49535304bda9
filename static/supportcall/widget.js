// supportcall's embeddable "Call support" widget. A site owner pastes one tag:
//
//   <script src="https://SERVER/static/supportcall/widget.js" data-site="demo" async></script>
//
// Optional attributes: data-queue (a queue name or full address), data-button-text,
// data-media ("choose" (default), "audio", "video", "audio_single"),
// data-display-name, data-context-<key>="value" (shown to the agent, with the
// page URL always sent as context "page"), data-color (the accent colour),
// data-server (only when the script is not served by the call server itself).
//
// A classic script, so it works on any page; it imports the shared browser
// client (phone.js, an ES module) from the same server and renders inside an
// open Shadow DOM, so the host page's CSS and the widget's never meet.
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || !window.customElements || customElements.get("supportcall-widget")) return;

  const TAG = "supportcall-widget";
  // Call states in which there is something to hang up.
  const ACTIVE = [
    "connecting", "initiated", "queued", "ringing", "in_call", "on_hold", "remotely_held", "on_double_hold",
  ];
  const ANSWERED = ["in_call", "on_hold", "remotely_held", "on_double_hold"];
  const MEDIA = ["choose", "audio", "video", "audio_single"];
  // End reasons that are a failure for the visitor: explained, with what to do.
  const ADVICE = {
    no_agents: "Please try again in a few minutes.",
    no_answer: "Please try again in a few minutes.",
    rejected: "The agent could not take your call. Please try again later.",
    connection_lost: "Check your internet connection and call again.",
    error: "Please try again.",
  };
  const NOT_ENABLED =
    "Calls are not enabled on this page. The site's owner has not allowed support calls from this address.";

  const config = readConfig(script);
  // Loaded once, in the background; awaited when the visitor calls.
  const phoneModule = import(new URL("phone.js", script.src).href);
  // phone.js's sentences per end reason and error code, once it has loaded.
  let EXPLAIN = { ended_by_local: "You ended the call." };
  phoneModule.then((module) => (EXPLAIN = module.EXPLAIN), () => {});

  function readConfig(el) {
    const data = el.dataset;
    const context = {};
    for (const attr of el.attributes) {
      // Attribute names are lowercase: data-context-order-id gives "order-id".
      if (attr.name.startsWith("data-context-") && attr.name.length > 13 && Object.keys(context).length < 19) {
        context[attr.name.slice(13, 13 + 64)] = attr.value.slice(0, 500);
      }
    }
    context.page = location.href.slice(0, 500);
    return {
      // The server root: the script lives at <root>/static/supportcall/widget.js.
      server: (data.server || new URL("../../", el.src).href).replace(/\/+$/, ""),
      site: data.site || "",
      queue: (data.queue || "").trim(),
      buttonText: data.buttonText || "Call support",
      media: MEDIA.includes(data.media) ? data.media : "choose",
      displayName: (data.displayName || "").slice(0, 100),
      context,
      color: data.color || "",
    };
  }

  // --- look -------------------------------------------------------------------

  const svg = (body) =>
    `<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" ` +
    `stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${body}</svg>`;
  const PHONE_PATH =
    '<path d="M22 16.92v3a2 2 0 0 1-2.18 2 19.79 19.79 0 0 1-8.63-3.07 19.5 19.5 0 0 1-6-6 19.79 19.79 0 0 1-3.07-8.67A2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72 12.84 12.84 0 0 0 .7 2.81 2 2 0 0 1-.45 2.11L8.09 9.91a16 16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45 12.84 12.84 0 0 0 2.81.7A2 2 0 0 1 22 16.92z"/>';
  const ICON = {
    phone: svg(PHONE_PATH),
    video: svg('<polygon points="23 7 16 12 23 17 23 7"/><rect x="1" y="5" width="15" height="14" rx="2" ry="2"/>'),
    videoOff: svg(
      '<path d="M16 16v1a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2h2m5.66 0H14a2 2 0 0 1 2 2v3.34l1 1L23 7v10"/><line x1="1" y1="1" x2="23" y2="23"/>',
    ),
    mic: svg(
      '<path d="M12 1a3 3 0 0 0-3 3v8a3 3 0 0 0 6 0V4a3 3 0 0 0-3-3z"/><path d="M19 10v2a7 7 0 0 1-14 0v-2"/><line x1="12" y1="19" x2="12" y2="23"/><line x1="8" y1="23" x2="16" y2="23"/>',
    ),
    micOff: svg(
      '<line x1="1" y1="1" x2="23" y2="23"/><path d="M9 9v3a3 3 0 0 0 5.12 2.12M15 9.34V4a3 3 0 0 0-5.94-.6"/><path d="M17 16.95A7 7 0 0 1 5 12v-2m14 0v2a7 7 0 0 1-.11 1.23"/><line x1="12" y1="19" x2="12" y2="23"/><line x1="8" y1="23" x2="16" y2="23"/>',
    ),
    pause: svg('<rect x="6" y="4" width="4" height="16" rx="1"/><rect x="14" y="4" width="4" height="16" rx="1"/>'),
    play: svg('<polygon points="6 3 20 12 6 21 6 3"/>'),
    hangup: svg(`<g transform="rotate(135 12 12)">${PHONE_PATH}</g>`),
    close: svg('<line x1="18" y1="6" x2="6" y2="18"/><line x1="6" y1="6" x2="18" y2="18"/>'),
    headset: svg(
      '<path d="M3 18v-6a9 9 0 0 1 18 0v6"/><path d="M21 19a2 2 0 0 1-2 2h-1a2 2 0 0 1-2-2v-3a2 2 0 0 1 2-2h3zM3 19a2 2 0 0 0 2 2h1a2 2 0 0 0 2-2v-3a2 2 0 0 0-2-2H3z"/>',
    ),
    alert: svg(
      '<circle cx="12" cy="12" r="10"/><line x1="12" y1="8" x2="12" y2="12"/><line x1="12" y1="16" x2="12.01" y2="16"/>',
    ),
  };

  const STYLE = `
    :host { all: initial !important; }
    [hidden] { display: none !important; }
    .root {
      --accent: #2563eb; --accent-ink: #fff; --bg: #fff; --fg: #0f172a; --muted: #64748b;
      --line: #e2e8f0; --soft: #f1f5f9; --danger: #dc2626; --warn-bg: #fef2f2; --warn-fg: #991b1b;
      position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
      display: flex; flex-direction: column; align-items: flex-end; gap: 12px;
      font: 400 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
      color: var(--fg); text-align: left; letter-spacing: normal; -webkit-font-smoothing: antialiased;
    }
    @media (prefers-color-scheme: dark) {
      .root { --bg: #0f172a; --fg: #e2e8f0; --muted: #94a3b8; --line: #1e293b; --soft: #1e293b;
              --warn-bg: #3b0d0d; --warn-fg: #fecaca; }
    }
    *, *::before, *::after { box-sizing: border-box; }
    p { margin: 0; }
    button { font: inherit; color: inherit; margin: 0; cursor: pointer; -webkit-tap-highlight-color: transparent; }
    button:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); outline-offset: 2px; }
    button[aria-disabled="true"] { opacity: .5; cursor: default; }
    svg { display: block; flex: none; }

    .launcher {
      display: inline-flex; align-items: center; gap: 10px; height: 52px; padding: 0 22px 0 18px;
      border: 0; border-radius: 26px; background: var(--accent); color: var(--accent-ink);
      font-weight: 600; font-size: 15px; white-space: nowrap;
      box-shadow: 0 8px 24px rgba(15, 23, 42, .22), 0 2px 6px rgba(15, 23, 42, .12);
      transition: transform .15s ease, box-shadow .15s ease;
    }
    .launcher:hover { transform: translateY(-1px); box-shadow: 0 12px 28px rgba(15, 23, 42, .26), 0 2px 6px rgba(15, 23, 42, .12); }
    .launcher .live { width: 8px; height: 8px; border-radius: 50%; background: #4ade80; box-shadow: 0 0 0 3px rgba(74, 222, 128, .3); }

    .panel {
      width: min(360px, calc(100vw - 24px)); max-height: calc(100vh - 100px); overflow: auto;
      background: var(--bg); border: 1px solid var(--line); border-radius: 18px;
      box-shadow: 0 24px 60px rgba(15, 23, 42, .22), 0 4px 12px rgba(15, 23, 42, .08);
      display: flex; flex-direction: column;
      animation: rise .18s ease-out;
    }
    @keyframes rise { from { opacity: 0; transform: translateY(8px); } to { opacity: 1; transform: none; } }
    .head { display: flex; align-items: center; justify-content: space-between; gap: 12px;
            padding: 14px 14px 14px 16px; background: var(--accent); color: var(--accent-ink); }
    .who { display: flex; align-items: center; gap: 12px; min-width: 0; }
    .avatar { display: grid; place-items: center; width: 38px; height: 38px; border-radius: 50%;
              background: rgba(255, 255, 255, .18); }
    .title { font-weight: 650; font-size: 15px; }
    .subtitle { font-size: 12.5px; opacity: .85; }
    .icon-btn { display: grid; place-items: center; width: 34px; height: 34px; border: 0; border-radius: 50%;
                background: transparent; color: inherit; }
    .icon-btn:hover { background: rgba(255, 255, 255, .16); }
    .body { padding: 16px; display: flex; flex-direction: column; gap: 14px; }
    .intro { color: var(--muted); }

    .stage { position: relative; border-radius: 14px; overflow: hidden; background: var(--soft);
             min-height: 148px; display: grid; place-items: center; }
    .stage.video { background: #0b1220; aspect-ratio: 4 / 3; min-height: 0; }
    .portrait { position: relative; display: grid; place-items: center; padding: 22px 0 18px; }
    .portrait .avatar { width: 76px; height: 76px; background: color-mix(in srgb, var(--accent) 14%, var(--bg));
                        color: var(--accent); position: relative; z-index: 1; }
    .portrait .avatar svg { width: 34px; height: 34px; }
    .pulse { position: absolute; top: 22px; left: 50%; width: 76px; height: 76px; margin-left: -38px;
             border-radius: 50%; background: color-mix(in srgb, var(--accent) 30%, transparent);
             animation: pulse 1.6s ease-out infinite; }
    @keyframes pulse { from { transform: scale(1); opacity: .8; } to { transform: scale(1.7); opacity: 0; } }
    @media (prefers-reduced-motion: reduce) { .pulse, .panel { animation: none; } }
    .remote { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; background: #0b1220; }
    .local { position: absolute; right: 10px; bottom: 10px; width: 30%; aspect-ratio: 4 / 3; object-fit: cover;
             border-radius: 10px; border: 2px solid rgba(255, 255, 255, .85); background: #1e293b;
             transform: scaleX(-1); box-shadow: 0 4px 12px rgba(0, 0, 0, .3); z-index: 2; }
    .stage:not(.video) .local { position: static; width: 46%; margin: 0 0 14px; }
    .badges { position: absolute; left: 10px; top: 10px; display: flex; flex-direction: column; gap: 6px;
              align-items: flex-start; z-index: 3; }
    .badge { display: inline-flex; align-items: center; gap: 6px; padding: 4px 10px 4px 8px; border-radius: 999px;
             background: rgba(15, 23, 42, .78); color: #fff; font-size: 12px; font-weight: 500; }
    .badge svg { width: 14px; height: 14px; }
    .held { position: absolute; inset: 0; display: grid; place-items: center; z-index: 2;
            background: rgba(15, 23, 42, .55); color: #fff; font-weight: 600; }
    .stage:not(.video) .held { display: none; }

    .line { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; }
    .status { font-weight: 600; font-size: 15px; }
    .status[data-state="ended"], .status[data-state="error"] { color: var(--muted); }
    .timer { font-variant-numeric: tabular-nums; color: var(--muted); font-weight: 500; }
    .error { display: flex; gap: 10px; align-items: flex-start; padding: 10px 12px; border-radius: 10px;
             background: var(--warn-bg); color: var(--warn-fg); font-size: 13.5px; }
    .error svg { width: 18px; height: 18px; margin-top: 1px; }

    .choices { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
    .choices.single { grid-template-columns: 1fr; }
    .choice { display: flex; align-items: center; justify-content: center; gap: 8px; min-height: 48px;
              padding: 0 14px; border-radius: 12px; border: 1px solid var(--line); background: var(--bg);
              font-weight: 600; }
    .choice:hover { border-color: var(--accent); color: var(--accent); }
    .choice.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
    .choice.primary:hover { color: var(--accent-ink); filter: brightness(1.06); }

    .controls { display: flex; justify-content: center; gap: 14px; }
    .ctl { display: flex; flex-direction: column; align-items: center; gap: 5px; width: 58px;
           border: 0; padding: 0; background: none; font-size: 11.5px; color: var(--muted); }
    .ctl .disc { display: grid; place-items: center; width: 48px; height: 48px; border-radius: 50%;
                 background: var(--soft); color: var(--fg); transition: background .15s ease; }
    .ctl:hover .disc { background: color-mix(in srgb, var(--fg) 12%, var(--soft)); }
    .ctl[aria-pressed="true"] .disc { background: var(--fg); color: var(--bg); }
    .ctl.danger .disc { background: var(--danger); color: #fff; }
    .ctl.danger:hover .disc { filter: brightness(1.08); }
    .ctl:focus-visible { outline: none; }
    .ctl:focus-visible .disc { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); outline-offset: 2px; }

    .position { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
    .offer { width: 100%; margin-top: 12px; }
    .callback { display: grid; gap: 10px; margin-top: 12px; }
    .callback label { display: grid; gap: 4px; font-size: 13px; font-weight: 600; }
    .callback .hint { font-weight: 400; color: var(--muted); }
    .callback input, .callback textarea {
      font: inherit; font-weight: 400; color: var(--fg); background: var(--bg);
      border: 1px solid var(--line); border-radius: 10px; padding: 8px 10px; width: 100%; resize: vertical;
    }
    .callback input:focus-visible, .callback textarea:focus-visible {
      outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); outline-offset: 1px;
    }
    .form-title { color: var(--muted); }
    .form-error { color: var(--warn-fg); background: var(--warn-bg); border-radius: 10px; padding: 8px 10px; }
    .form-actions { display: flex; gap: 8px; }
    .form-actions .choice { flex: 1; }
    .done { margin-top: 12px; padding: 10px 12px; border-radius: 10px; background: var(--soft); }
    @media (max-width: 480px) {
      .root { right: 12px; bottom: 12px; left: 12px; align-items: flex-end; }
      .panel { width: 100%; max-height: calc(100vh - 88px); }
      .launcher { height: 48px; }
    }
  `;

  const TEMPLATE = `
    <style>${STYLE}</style>
    <div class="root" part="root">
      <section class="panel" id="panel" part="panel" aria-label="Support call" hidden>
        <header class="head">
          <div class="who">
            <span class="avatar">${ICON.headset}</span>
            <div><p class="title">Support</p><p class="subtitle">Talk to us in your browser</p></div>
          </div>
          <button class="icon-btn" type="button" data-testid="close" aria-label="Close">${ICON.close}</button>
        </header>
        <div class="body">
          <p class="intro">Talk to a person from our support team now, by voice or video. No app or account needed.</p>
          <div class="stage" hidden>
            <div class="portrait"><span class="pulse" hidden></span><span class="avatar">${ICON.headset}</span></div>
            <video class="remote" data-testid="remote-video" playsinline autoplay muted hidden></video>
            <video class="local" data-testid="local-video" playsinline autoplay muted hidden></video>
            <div class="held" hidden>On hold</div>
            <div class="badges">
              <span class="badge" data-testid="remote-muted" hidden>${ICON.micOff}The agent is muted</span>
              <span class="badge" data-testid="remote-video-off" hidden>${ICON.videoOff}The agent's camera is off</span>
              <span class="badge" data-testid="remote-reconnecting" hidden>${ICON.alert}The agent's connection dropped: reconnecting…</span>
              <span class="badge" data-testid="reconnecting" hidden>${ICON.alert}Reconnecting… the call goes on</span>
            </div>
          </div>
          <div class="line">
            <p class="status" data-testid="status" data-state="idle" role="status" aria-live="polite"></p>
            <span class="timer" data-testid="timer" role="timer" aria-label="Call duration" hidden>00:00</span>
          </div>
          <p class="position" data-testid="queue-position" hidden></p>
          <p class="error" data-testid="error" role="alert" hidden>${ICON.alert}<span class="error-text"></span></p>
          <button class="choice offer" type="button" data-testid="callback-offer" hidden>
            ${ICON.phone}<span>Leave a callback request</span></button>
          <form class="callback" data-testid="callback-form" hidden novalidate>
            <p class="form-title">Leave your details: we will call you back.</p>
            <label>Name <input name="name" data-testid="callback-name" autocomplete="name" maxlength="100"></label>
            <label>Phone <input name="phone" type="tel" data-testid="callback-phone" autocomplete="tel" maxlength="32"></label>
            <label>Email <input name="email" type="email" data-testid="callback-email" autocomplete="email" maxlength="254"></label>
            <label>Note <span class="hint">(optional)</span>
              <textarea name="note" data-testid="callback-note" maxlength="1000" rows="3"></textarea></label>
            <p class="form-error" data-testid="callback-error" role="alert" hidden></p>
            <div class="form-actions">
              <button class="choice primary" type="submit" data-testid="callback-submit">Send</button>
              <button class="choice" type="button" data-testid="callback-cancel">Cancel</button>
            </div>
          </form>
          <p class="done" data-testid="callback-done" role="status" hidden></p>
          <div class="choices" hidden>
            <button class="choice primary" type="button" data-testid="choose-audio">${ICON.phone}<span>Voice call</span></button>
            <button class="choice" type="button" data-testid="choose-video">${ICON.video}<span>Video call</span></button>
            <button class="choice primary" type="button" data-testid="call-again">${ICON.phone}<span>Call again</span></button>
          </div>
          <div class="controls" hidden>
            <button class="ctl" type="button" data-testid="mute" aria-label="Mute microphone" aria-pressed="false">
              <span class="disc"></span><span class="lbl">Mute</span></button>
            <button class="ctl" type="button" data-testid="video" aria-label="Camera" aria-pressed="false">
              <span class="disc"></span><span class="lbl">Camera</span></button>
            <button class="ctl" type="button" data-testid="hold" aria-label="Hold" aria-pressed="false">
              <span class="disc"></span><span class="lbl">Hold</span></button>
            <button class="ctl danger" type="button" data-testid="hangup" aria-label="Hang up">
              <span class="disc">${ICON.hangup}</span><span class="lbl">Hang up</span></button>
          </div>
        </div>
      </section>
      <button class="launcher" type="button" part="launcher" data-testid="call-button"
              aria-controls="panel" aria-expanded="false"></button>
      <audio class="remote-audio" autoplay></audio>
    </div>
  `;

  // --- words --------------------------------------------------------------------

  const STATUS = {
    idle: "How would you like to talk?",
    connecting: "Connecting…",
    initiated: "Waiting for an agent…",
    queued: "Waiting in line for an agent…",
    ringing: "Ringing… an agent will answer shortly.",
    in_call: "In call",
    on_hold: "You put the call on hold",
    remotely_held: "The agent put you on hold",
    on_double_hold: "On hold: you and the agent both put the call on hold",
    ended: "Call ended",
    error: "The call could not start",
  };

  const pad = (n) => String(n).padStart(2, "0");
  function clock(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600);
    return h ? `${h}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
  }

  /** Why getUserMedia failed, and how to fix it, in plain words. */
  function explainMedia(error, video) {
    const device = video ? "camera and microphone" : "microphone";
    switch (error && error.name) {
      case "NotAllowedError":
      case "SecurityError":
        return (
          `Your browser blocked the ${device}. To allow ${video ? "them" : "it"}, click the icon at the left ` +
          `of the address bar, set the ${device} to Allow for this site, then call again.`
        );
      case "NotFoundError":
      case "OverconstrainedError":
        return video
          ? "No camera or microphone was found. Connect one, or choose a voice call."
          : "No microphone was found. Connect one and call again.";
      case "NotReadableError":
      case "AbortError":
        return `Your ${device} is being used by another application. Close it and call again.`;
      default:
        return `Your ${device} could not be started (${(error && error.message) || "unknown error"}).`;
    }
  }

  class Cancelled extends Error {}
  class MediaFailure extends Error {}

  // --- the element --------------------------------------------------------------

  class SupportcallWidget extends HTMLElement {
    constructor() {
      super();
      this.config = config;
      /** The current phone.js Call (kept after it ends, for diagnostics). */
      this.call = null;
      this.phone = null;
      this.state = "idle";
      this.reason = null;
      this.errorText = "";
      this.isOpen = false;
      this.busy = null; // the call operation under way, if any
      this.attempt = null;
      this.answeredAt = null;
      this.localVideoTrack = null;
      this.timer = null;

      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = TEMPLATE;
      const q = (selector) => root.querySelector(selector);
      const t = (id) => q(`[data-testid="${id}"]`);
      this.el = {
        root: q(".root"), panel: q(".panel"), intro: q(".intro"), stage: q(".stage"), pulse: q(".pulse"),
        portrait: q(".portrait"), held: q(".held"), choices: q(".choices"), controls: q(".controls"),
        errorText: q(".error-text"), audio: q(".remote-audio"), subtitle: q(".subtitle"),
        launcher: t("call-button"), close: t("close"), status: t("status"), timer: t("timer"),
        error: t("error"), chooseAudio: t("choose-audio"), chooseVideo: t("choose-video"),
        callAgain: t("call-again"), mute: t("mute"), video: t("video"), hold: t("hold"),
        hangup: t("hangup"), remoteVideo: t("remote-video"), localVideo: t("local-video"),
        remoteMuted: t("remote-muted"), remoteVideoOff: t("remote-video-off"),
        reconnecting: t("reconnecting"), remoteReconnecting: t("remote-reconnecting"),
        position: t("queue-position"), callbackOffer: t("callback-offer"), callbackForm: t("callback-form"),
        callbackError: t("callback-error"), callbackDone: t("callback-done"),
        callbackCancel: t("callback-cancel"), callbackSubmit: t("callback-submit"),
      };
      /** The line's status from the server (open, agents free, wait), or null if unknown. */
      this.line = null;
      /** The callback request view: null, "form" or "done". */
      this.callbackView = null;
      this.callbackText = "";
      if (config.color) this.el.root.style.setProperty("--accent", config.color);

      const on = (el, handler) => el.addEventListener("click", (event) => {
        if (event.currentTarget.getAttribute("aria-disabled") !== "true") handler();
      });
      on(this.el.launcher, () => this.onLauncher());
      on(this.el.close, () => this.closePanel());
      on(this.el.chooseAudio, () => this.start("audio"));
      on(this.el.chooseVideo, () => this.start("video"));
      on(this.el.callAgain, () => this.start(this.fixedMedia()));
      on(this.el.hangup, () => this.hangUp());
      on(this.el.mute, () => this.toggleMute());
      on(this.el.hold, () => this.toggleHold());
      on(this.el.video, () => this.toggleVideo());
      on(this.el.callbackOffer, () => this.openCallbackForm());
      on(this.el.callbackCancel, () => this.closeCallbackForm());
      this.el.callbackForm.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendCallback();
      });
      this.el.root.addEventListener("keydown", (event) => {
        if (event.key !== "Escape") return;
        event.stopPropagation();
        if (ACTIVE.includes(this.state)) this.hangUp();
        else this.closePanel();
      });
      this.render();
      this.refreshLine();
      this.lineTimer = setInterval(() => {
        if (!ACTIVE.includes(this.state)) this.refreshLine();
      }, 30000);
    }

    // --- the line's status ----------------------------------------------------------

    /** Ask the server whether calls are possible now, before anyone logs in. */
    async refreshLine() {
      try {
        const { siteStatus } = await phoneModule;
        const status = await siteStatus(this.config.server, this.config.site);
        const wanted = this.config.queue;
        this.line =
          status.queues.find((q) => wanted && (q.name === wanted || q.address === wanted)) ||
          status.queues[0] || null;
      } catch {
        this.line = null; // unknown: calling will tell
      }
      this.render();
    }

    /** "closed", "unavailable" (nobody online), or null when a call can be placed. */
    lineBlocked() {
      if (!this.line) return null;
      if (!this.line.open) return "closed";
      if (!this.line.accepting) return "unavailable";
      return null;
    }

    lineWords() {
      const line = this.line;
      const blocked = this.lineBlocked();
      if (blocked === "closed") {
        return line.next_open_text ? `Closed — open ${line.next_open_text}` : "Closed";
      }
      if (blocked === "unavailable") return "No agent is available right now.";
      return "";
    }

    // --- callback requests ----------------------------------------------------------

    canLeaveCallback() {
      if (ACTIVE.includes(this.state)) return false;
      return Boolean(this.lineBlocked()) || (this.state === "ended" && ["no_answer", "no_agents"].includes(this.reason));
    }

    openCallbackForm() {
      this.callbackView = "form";
      this.callbackText = "";
      const form = this.el.callbackForm;
      if (!form.elements.name.value && this.config.displayName) form.elements.name.value = this.config.displayName;
      this.isOpen = true;
      this.render();
      this.focus(form.elements.name);
    }

    closeCallbackForm() {
      this.callbackView = null;
      this.render();
      this.focus(this.el.callbackOffer.hidden ? this.preferredFocus() : this.el.callbackOffer);
    }

    async sendCallback() {
      const form = this.el.callbackForm;
      const value = (name) => form.elements[name].value.trim();
      const request = {
        site: this.config.site, name: value("name"), phone: value("phone"), email: value("email"),
        note: value("note"), context: this.config.context,
      };
      if (this.line) request.queue = this.line.name;
      if (this.call?.id && this.state === "ended") request.call_id = this.call.id;
      let problem = "";
      if (!request.name) problem = "Please give your name.";
      else if (!request.phone && !request.email) problem = "Please give a phone number or an email address.";
      if (problem) {
        this.callbackText = problem;
        this.render();
        this.focus(request.name ? form.elements.phone : form.elements.name);
        return;
      }
      this.el.callbackSubmit.setAttribute("aria-disabled", "true");
      try {
        const { leaveCallback } = await phoneModule;
        await leaveCallback(this.config.server, request);
        this.callbackView = "done";
        const how = request.phone ? `at ${request.phone}` : `at ${request.email}`;
        this.el.callbackDone.textContent = `Thank you, ${request.name}. We will get back to you ${how}.`;
        form.reset();
      } catch (error) {
        this.callbackText = error.message || "The request could not be sent. Please try again.";
      } finally {
        this.el.callbackSubmit.removeAttribute("aria-disabled");
        this.render();
        this.focus(this.callbackView === "done" ? this.el.callbackDone : this.el.callbackSubmit);
      }
    }

    /** The media of a widget that does not let the visitor choose, or null. */
    fixedMedia() {
      return this.config.media === "choose" ? null : this.config.media;
    }

    // --- panel ------------------------------------------------------------------

    onLauncher() {
      if (ACTIVE.includes(this.state)) {
        // During a call the launcher shows and hides the call.
        this.isOpen ? this.closePanel() : this.openPanel();
        return;
      }
      if (this.isOpen && this.state === "idle") {
        this.closePanel();
        return;
      }
      // From idle, ended or error: start over.
      this.resetToIdle();
      if (this.lineBlocked()) {
        // Nobody could answer when last asked: say why, offer a callback, and ask again.
        this.openPanel(this.el.callbackOffer);
        this.refreshLine();
        return;
      }
      const media = this.fixedMedia();
      if (media) this.start(media);
      else this.openPanel(this.el.chooseAudio);
    }

    openPanel(focus) {
      this.isOpen = true;
      this.render();
      this.focus(focus || this.preferredFocus());
    }

    closePanel() {
      this.isOpen = false;
      if (!ACTIVE.includes(this.state)) this.resetToIdle();
      this.render();
      this.el.launcher.focus();
    }

    resetToIdle() {
      if (ACTIVE.includes(this.state)) return;
      if (this.callbackView === "done") this.callbackView = null;
      this.state = "idle";
      this.reason = null;
      this.errorText = "";
      this.render();
    }

    preferredFocus() {
      if (ACTIVE.includes(this.state)) return this.el.hangup;
      return this.fixedMedia() && this.state !== "idle" ? this.el.callAgain : this.el.chooseAudio;
    }

    focus(el) {
      if (el && !el.hidden && el.offsetParent !== null) el.focus();
    }

    // --- calling ----------------------------------------------------------------

    async start(media) {
      if (!media || ACTIVE.includes(this.state) || this.lineBlocked()) return;
      this.callbackView = null;
      const attempt = (this.attempt = { cancelled: false });
      this.media = media;
      this.reason = null;
      this.errorText = "";
      this.answeredAt = null;
      this.localVideoTrack = null;
      this.call = null;
      this.reconnecting = false;
      this.state = "connecting";
      this.isOpen = true;
      this.render();
      this.focus(this.el.hangup);

      let phone = null;
      let stream = null;
      try {
        const { Phone } = await phoneModule.catch(() => {
          throw new Error("The support server could not be reached. Check your connection and try again.");
        });
        phone = await this.login(Phone);
        if (attempt.cancelled) throw new Cancelled();
        this.phone = phone;
        // A dropped connection resumes on its own: say so, the call goes on meanwhile.
        phone.addEventListener("reconnecting", () => {
          if (phone === this.phone) { this.reconnecting = true; this.render(); }
        });
        phone.addEventListener("reconnected", () => {
          if (phone === this.phone) { this.reconnecting = false; this.render(); }
        });
        // Asked for only now, but before anything rings: a denied microphone
        // is explained and no call is ever created.
        stream = await this.getMedia(media);
        if (attempt.cancelled) throw new Cancelled();
        const call = await phone.call({ to: this.target(phone), media, stream });
        if (attempt.cancelled) {
          // Hung up while the call was being created: cancel it on the server.
          await call.end().catch(() => {});
          throw new Cancelled();
        }
        this.attach(call, stream);
      } catch (error) {
        stream?.getTracks().forEach((track) => track.stop());
        phone?.close();
        if (attempt !== this.attempt || attempt.cancelled || error instanceof Cancelled) return;
        this.fail(await this.explain(error, phone));
      }
    }

    async login(Phone) {
      const { server, site, displayName, context } = this.config;
      if (!site) throw new Error("This widget has no data-site attribute, so it cannot place calls.");
      return Phone.visitor(server, { site, displayName: displayName || undefined, context });
    }

    async getMedia(media) {
      const video = media === "video";
      if (!navigator.mediaDevices?.getUserMedia) {
        throw new MediaFailure("Calls need a secure page (https) in a browser that supports them.");
      }
      try {
        return await navigator.mediaDevices.getUserMedia({
          audio: true,
          video: video ? { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" } : false,
        });
      } catch (error) {
        throw new MediaFailure(explainMedia(error, video));
      }
    }

    /** The address to call: data-queue as given, or with the server's domain added. */
    target(phone) {
      const queue = this.config.queue;
      if (!queue) return undefined; // the site's default queue
      if (queue.includes("@")) return queue;
      const domain = (phone.identity || phone.login?.targets?.[0] || "").split("@")[1];
      return domain ? `${queue}@${domain}` : queue;
    }

    /** A failure to start a call, in plain words. */
    async explain(error, phone) {
      if (error instanceof MediaFailure || !error?.code) return error?.message || String(error);
      switch (error.code) {
        case "forbidden":
          // At login (or a WebSocket closed with 4403) this is the page's origin.
          return phone?.hello ? `${EXPLAIN.forbidden} The support line could not be called.` : NOT_ENABLED;
        case "not_found":
          return "This support line does not exist. Please tell the site's owner.";
        case "unauthorized":
          return "The support server refused the connection. Please try again.";
        case "network":
          // The login refused for an origin carries no CORS header, so the
          // browser reports a network error. If the server answers otherwise,
          // that is what happened.
          if (!phone && (await this.serverAnswers())) return NOT_ENABLED;
          return "The support server could not be reached. Check your connection and try again.";
        default:
          return EXPLAIN[error.code] || error.message;
      }
    }

    async serverAnswers() {
      try {
        const response = await fetch(new URL("phone.js", script.src).href, {
          method: "HEAD", cache: "no-store", credentials: "omit",
        });
        return response.ok;
      } catch {
        return false;
      }
    }

    attach(call, stream) {
      this.call = call;
      this.stream = stream;
      const current = (handler) => (event) => {
        if (call === this.call) handler(event);
      };
      call.addEventListener("state", current((event) => this.onState(event.detail)));
      // What the agent sends (call.media, and the answer for the first time).
      call.addEventListener("media", current(() => this.render()));
      call.addEventListener("track", current(() => this.showRemote()));
      call.addEventListener("position", current(() => this.render()));
      call.addEventListener("connection", current(() => this.render()));
      if (call.state) this.onState({ state: call.state, reason: call.reason });
      else this.render();
    }

    onState({ state, reason }) {
      if (this.state === state) return;
      const focusWasInside = Boolean(this.shadowRoot.activeElement);
      if (state === "in_call" && !this.answeredAt) {
        this.answeredAt = Date.now();
        this.timer = setInterval(() => this.renderTimer(), 500);
      }
      this.state = state;
      if (state === "ended") {
        this.reason = reason;
        this.cleanUp();
        this.refreshLine();
      }
      this.render();
      // Focus that was in the widget stays there (the hang-up button may have gone).
      if (focusWasInside && (state === "ended" || !this.shadowRoot.activeElement)) {
        this.focus(this.preferredFocus());
      }
    }

    showRemote() {
      const stream = this.call?.remoteStream;
      if (!stream) return;
      for (const el of [this.el.remoteVideo, this.el.audio]) {
        if (el.srcObject !== stream) el.srcObject = stream;
        el.play().catch(() => {});
      }
      this.render();
    }

    hangUp() {
      if (!ACTIVE.includes(this.state)) return;
      const call = this.call;
      if (call && !call.ended) {
        call.end();
        // A server that does not answer still ends the call here.
        setTimeout(() => { if (call === this.call && !call.ended) this.phone?.close(); }, 5000);
        return;
      }
      // Not created yet: start() cancels whatever it gets.
      if (this.attempt) this.attempt.cancelled = true;
      const focusWasInside = Boolean(this.shadowRoot.activeElement);
      this.state = "ended";
      this.reason = "ended_by_local";
      this.cleanUp();
      this.render();
      if (focusWasInside) this.focus(this.preferredFocus());
    }

    fail(message) {
      const focusWasInside = Boolean(this.shadowRoot.activeElement);
      this.state = "error";
      this.errorText = message;
      this.cleanUp();
      this.render();
      if (focusWasInside) this.focus(this.preferredFocus());
    }

    /** Leave nothing behind: no timer, no microphone, no camera, no WebSocket. */
    cleanUp() {
      clearInterval(this.timer);
      this.timer = null;
      this.busy = null;
      this.stream?.getTracks().forEach((track) => track.stop());
      this.localVideoTrack?.stop();
      this.stream = null;
      if (this.call && !this.call.ended) this.call.end().catch(() => {});
      if (this.call?.pc && this.call.pc.signalingState !== "closed") this.call.pc.close();
      this.phone?.close();
      this.phone = null;
      for (const el of [this.el.remoteVideo, this.el.localVideo, this.el.audio]) el.srcObject = null;
    }

    // --- operations ---------------------------------------------------------------

    async operation(name, run) {
      const call = this.call;
      if (this.busy || !call || call.ended) return;
      this.busy = name;
      this.errorText = "";
      this.render();
      try {
        const result = await run(call);
        if (result && !result.ok && !call.ended) {
          this.errorText = result.explanation || EXPLAIN[result.code] || result.message || "That did not work.";
        }
      } catch (error) {
        if (!call.ended) this.errorText = error.message || String(error);
      } finally {
        if (call === this.call) {
          this.busy = null;
          this.render();
        }
      }
    }

    toggleMute() {
      return this.operation("mute", (call) => (call.muted ? call.unmute() : call.mute()));
    }

    toggleHold() {
      const held = this.state === "on_hold" || this.state === "on_double_hold";
      return this.operation("hold", (call) => (held ? call.unhold() : call.hold()));
    }

    toggleVideo() {
      return this.operation("video", async (call) => {
        if (call.sendingVideo) {
          const result = await call.videoStop();
          if (result.ok) {
            // The camera of a video call came with the first stream: release it too.
            this.stream?.getVideoTracks().forEach((track) => track.stop());
            this.localVideoTrack = null;
          }
          return result;
        }
        let camera;
        try {
          const stream = await navigator.mediaDevices.getUserMedia({
            video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
          });
          camera = stream.getVideoTracks()[0];
        } catch (error) {
          return { ok: false, explanation: explainMedia(error, true).replace("camera and microphone", "camera") };
        }
        const result = await call.videoStart(camera);
        if (result.ok && !call.ended) this.localVideoTrack = camera;
        else camera.stop();
        return result;
      });
    }

    // --- rendering ----------------------------------------------------------------

    /** The camera track this side sends now, if any. */
    sendingTrack() {
      const call = this.call;
      if (!call || call.ended || !call.sendingVideo) return null;
      const track = this.localVideoTrack || this.stream?.getVideoTracks()[0];
      return track && track.readyState === "live" ? track : null;
    }

    renderTimer() {
      const shown = Boolean(this.answeredAt) && ACTIVE.includes(this.state);
      this.el.timer.hidden = !shown;
      if (shown) this.el.timer.textContent = clock(Date.now() - this.answeredAt);
      this.renderLauncher();
    }

    renderLauncher() {
      const launcher = this.el.launcher;
      const active = ACTIVE.includes(this.state);
      let text = this.config.buttonText;
      const line = this.line;
      const blocked = this.lineBlocked();
      if (!active && blocked === "closed") text = this.lineWords();
      else if (!active && blocked === "unavailable") text = `${this.config.buttonText} (no agent online)`;
      else if (!active && line && line.agents_available === 0 && line.estimated_wait_s > 0) {
        text = `${this.config.buttonText} (${waitWords(line.estimated_wait_s)} wait)`;
      }
      if (this.state === "in_call") text = `In call ${clock(Date.now() - this.answeredAt)}`;
      else if (ANSWERED.includes(this.state)) text = "On hold";
      else if (active) text = "Calling…";
      const html = `${active ? '<span class="live" aria-hidden="true"></span>' : ICON.phone}<span>${escapeHTML(text)}</span>`;
      if (launcher.innerHTML !== html) launcher.innerHTML = html;
      launcher.setAttribute("aria-expanded", String(this.isOpen));
      // What the widget knows of the line (also what tests wait for): unknown until asked.
      launcher.dataset.line = active ? "call" : !line ? "unknown" : blocked || "open";
      if (active) launcher.setAttribute("aria-label", this.isOpen ? `Hide the call (${text})` : `Show the call (${text})`);
      else launcher.removeAttribute("aria-label");
    }

    render() {
      const el = this.el;
      const state = this.state;
      const active = ACTIVE.includes(state);
      const answered = ANSWERED.includes(state);
      const call = this.call;
      const fixed = this.fixedMedia();

      el.panel.hidden = !this.isOpen;

      // Status, in plain words.
      let status = STATUS[state] || state;
      if (state === "idle" && fixed) status = "Ready to call";
      if (state === "ended") {
        status = "Call ended";
        if (!ADVICE[this.reason] && this.reason) status += `. ${this.explainReason(this.reason)}`;
      }
      const blocked = this.lineBlocked();
      if (state === "idle" && blocked) {
        status = blocked === "closed" ? `We are closed now.${this.line.next_open_text ? ` We open ${this.line.next_open_text}.` : ""}` : this.lineWords();
      }
      const position = state === "queued" ? call?.position : null;
      if (position) {
        status = position.position === 1 ? "You are next in line" : `You are number ${position.position} in line`;
      }
      el.position.hidden = !position;
      if (position) {
        el.position.textContent = position.agentsAvailable
          ? "An agent will answer shortly."
          : `Estimated wait: ${waitWords(position.estimatedWaitS)}. Please stay on the line.`;
      }
      el.status.dataset.state = state;
      if (el.status.textContent !== status) el.status.textContent = status;

      // The explanation of a failure.
      let error = this.errorText;
      if (state === "ended" && ADVICE[this.reason]) {
        error = `${this.explainReason(this.reason)} ${ADVICE[this.reason]}`;
      }
      el.error.hidden = !error;
      if (el.errorText.textContent !== error) el.errorText.textContent = error;

      el.intro.hidden = state !== "idle";
      el.subtitle.textContent =
        active && this.reconnecting ? "Reconnecting…" :
        answered ? "Connected" : active ? "Connecting you to an agent" : "Talk to us in your browser";

      // Choices: how to call (or call again).
      el.choices.hidden = active;
      el.chooseAudio.hidden = Boolean(fixed);
      el.chooseVideo.hidden = Boolean(fixed);
      el.callAgain.hidden = !fixed || state === "idle";
      if (fixed && state === "idle") {
        // A fixed-media widget starts calls from the launcher; nothing to choose.
        el.choices.hidden = true;
      }
      el.choices.classList.toggle("single", Boolean(fixed));
      for (const choice of [el.chooseAudio, el.chooseVideo, el.callAgain]) {
        if (blocked) choice.setAttribute("aria-disabled", "true");
        else choice.removeAttribute("aria-disabled");
      }

      // Callback requests: offered when nobody can answer, then the form, then thanks.
      const form = this.callbackView === "form";
      el.callbackOffer.hidden = !this.canLeaveCallback() || Boolean(this.callbackView);
      el.callbackForm.hidden = !form;
      el.callbackDone.hidden = this.callbackView !== "done";
      el.callbackError.hidden = !(form && this.callbackText);
      el.callbackError.textContent = this.callbackText;
      if (form) el.choices.hidden = true;

      // The stage: the agent's picture, or the videos.
      const localTrack = this.sendingTrack();
      const remote = call?.remoteMedia || { muted: false, video: false };
      const remoteVideo = Boolean(answered && remote.video && call.remoteStream.getVideoTracks().length);
      const videoCall = active && (remoteVideo || (this.media === "video" && answered));
      el.stage.hidden = !active;
      el.stage.classList.toggle("video", videoCall);
      el.portrait.hidden = videoCall;
      el.pulse.hidden = !["connecting", "initiated", "queued", "ringing"].includes(state);
      el.remoteVideo.hidden = !remoteVideo;
      if (remoteVideo && el.remoteVideo.srcObject !== call.remoteStream) this.showRemote();
      el.localVideo.hidden = !localTrack;
      if (localTrack && el.localVideo.srcObject?.getVideoTracks()[0] !== localTrack) {
        el.localVideo.srcObject = new MediaStream([localTrack]);
        el.localVideo.play().catch(() => {});
      }
      el.held.hidden = !(answered && state !== "in_call");
      el.held.textContent = STATUS[state] || "";
      el.remoteMuted.hidden = !(answered && remote.muted);
      el.reconnecting.hidden = !(active && this.reconnecting);
      el.remoteReconnecting.hidden = !(answered && call?.remoteConnection === "reconnecting");
      const videoMatters = this.media === "video" || Boolean(localTrack);
      el.remoteVideoOff.hidden = !(answered && videoMatters && !remote.video && call?.media !== "audio_single");

      // Controls.
      el.controls.hidden = !active;
      for (const button of [el.mute, el.video, el.hold]) button.hidden = !answered;
      el.video.hidden = !answered || call?.media === "audio_single";
      const muted = Boolean(call?.muted);
      setButton(el.mute, {
        pressed: muted, disabled: Boolean(this.busy),
        icon: muted ? ICON.micOff : ICON.mic, label: muted ? "Unmute" : "Mute",
      });
      const sending = Boolean(call?.sendingVideo) && !call?.ended;
      setButton(el.video, {
        pressed: sending, disabled: Boolean(this.busy) || state !== "in_call",
        icon: sending ? ICON.video : ICON.videoOff, label: "Camera",
      });
      const holding = state === "on_hold" || state === "on_double_hold";
      setButton(el.hold, {
        pressed: holding, disabled: Boolean(this.busy),
        icon: holding ? ICON.play : ICON.pause, label: holding ? "Resume" : "Hold",
      });
      el.hangup.setAttribute("aria-label", answered ? "Hang up" : "Cancel the call");
      el.hangup.querySelector(".lbl").textContent = answered ? "Hang up" : "Cancel";

      this.renderTimer();
    }

    explainReason(reason) {
      return EXPLAIN[reason] || "The call ended.";
    }
  }

  /** "about 2 min", "under a minute" */
  function waitWords(seconds) {
    if (seconds < 60) return "under a minute";
    const minutes = Math.round(seconds / 60);
    return `about ${minutes} min`;
  }

  function setButton(button, { pressed, disabled, icon, label }) {
    button.setAttribute("aria-pressed", String(pressed));
    if (disabled) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
    const disc = button.querySelector(".disc");
    if (disc.innerHTML !== icon) disc.innerHTML = icon;
    button.querySelector(".lbl").textContent = label;
  }

  function escapeHTML(text) {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  customElements.define(TAG, SupportcallWidget);

  // Leaving the page hangs up properly, so the agent hears "ended", not "connection lost".
  window.addEventListener("pagehide", () => {
    const call = document.querySelector(TAG)?.call;
    if (call && call.id && !call.ended) call.end().catch(() => {});
  });

  function mount() {
    if (!document.querySelector(TAG)) document.body.append(document.createElement(TAG));
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
