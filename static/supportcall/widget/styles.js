// The widget's CSS. It lives in the Shadow DOM with the markup (template.js):
// `:host { all: initial }` keeps the host page's inherited styles out, and
// nothing here reaches the host page. Sides are logical (inline-start/end), so the
// widget mirrors for a right-to-left language (dir="rtl" on .root, words.js).

export const STYLE = `
  :host { all: initial !important; }
  [hidden] { display: none !important; }
  .root {
    --accent: #2563eb; --accent-ink: #fff; --bg: #fff; --fg: #0f172a; --muted: #64748b;
    --line: #e2e8f0; --soft: #f1f5f9; --danger: #dc2626; --warn-bg: #fef2f2; --warn-fg: #991b1b;
    position: fixed; inset-inline-end: 20px; bottom: 20px; z-index: 2147483000;
    display: flex; flex-direction: column; align-items: flex-end; gap: 12px;
    font: 400 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
    color: var(--fg); text-align: start; letter-spacing: normal; -webkit-font-smoothing: antialiased;
  }
  @media (prefers-color-scheme: dark) {
    .root { --bg: #0f172a; --fg: #e2e8f0; --muted: #94a3b8; --line: #1e293b; --soft: #1e293b;
            --warn-bg: #3b0d0d; --warn-fg: #fecaca; }
    /* The accent as text on the dark background is too faint (3.4:1): the border says it. */
    .choice:not(.primary):hover { color: var(--fg); }
  }
  *, *::before, *::after { box-sizing: border-box; }
  p { margin: 0; }
  button { font: inherit; color: inherit; margin: 0; cursor: pointer; -webkit-tap-highlight-color: transparent; }
  button:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); outline-offset: 2px; }
  button[aria-disabled="true"] { opacity: .5; cursor: default; }
  svg { display: block; flex: none; }

  .launcher {
    display: inline-flex; align-items: center; gap: 10px; height: 52px; padding-block: 0; padding-inline: 18px 22px;
    border: 0; border-radius: 26px; background: var(--accent); color: var(--accent-ink);
    font-weight: 600; font-size: 15px; white-space: nowrap;
    box-shadow: 0 8px 24px rgba(15, 23, 42, .22), 0 2px 6px rgba(15, 23, 42, .12);
    transition: transform .15s ease, box-shadow .15s ease;
  }
  .launcher:hover { transform: translateY(-1px); box-shadow: 0 12px 28px rgba(15, 23, 42, .26), 0 2px 6px rgba(15, 23, 42, .12); }
  /* The button is the target of every press: its words and icon are redrawn as the line's
     status arrives, and a press whose mousedown landed on a replaced child would be lost. */
  .launcher > * { pointer-events: none; }
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
          padding: 14px; padding-inline-start: 16px; background: var(--accent); color: var(--accent-ink); }
  .who { display: flex; align-items: center; gap: 12px; min-width: 0; }
  .avatar { display: grid; place-items: center; width: 38px; height: 38px; border-radius: 50%;
            background: rgba(255, 255, 255, .18); }
  .title { font-weight: 650; font-size: 15px; }
  .subtitle { font-size: 12.5px; }
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
  .pulse { position: absolute; top: 22px; inset-inline-start: 50%; width: 76px; height: 76px; margin-inline-start: -38px;
           border-radius: 50%; background: color-mix(in srgb, var(--accent) 30%, transparent);
           animation: pulse 1.6s ease-out infinite; }
  @keyframes pulse { from { transform: scale(1); opacity: .8; } to { transform: scale(1.7); opacity: 0; } }
  @media (prefers-reduced-motion: reduce) {
    *, *::before, *::after { animation: none !important; transition: none !important; }
    .pulse { display: none; }
    .launcher:hover { transform: none; }
  }
  .remote { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; background: #0b1220; }
  .local { position: absolute; inset-inline-end: 10px; bottom: 10px; width: 30%; aspect-ratio: 4 / 3; object-fit: cover;
           border-radius: 10px; border: 2px solid rgba(255, 255, 255, .85); background: #1e293b;
           transform: scaleX(-1); box-shadow: 0 4px 12px rgba(0, 0, 0, .3); z-index: 2; }
  .stage:not(.video) .local { position: static; width: 46%; margin: 0 0 14px; }
  .badges { position: absolute; inset-inline-start: 10px; top: 10px; display: flex; flex-direction: column; gap: 6px;
            align-items: flex-start; z-index: 3; }
  .badge { display: inline-flex; align-items: center; gap: 6px; padding-block: 4px; padding-inline: 8px 10px; border-radius: 999px;
           background: rgba(15, 23, 42, .78); color: #fff; font-size: 12px; font-weight: 500; }
  .badge svg { width: 14px; height: 14px; }
  .held { position: absolute; inset: 0; display: grid; place-items: center; z-index: 2;
          background: rgba(15, 23, 42, .55); color: #fff; font-weight: 600; }
  .stage:not(.video) .held { display: none; }

  .line { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; }
  .status { font-weight: 600; font-size: 15px; }
  .status:focus { outline: none; }
  .status[data-state="ended"], .status[data-state="error"] { color: var(--muted); }
  .timer { font-variant-numeric: tabular-nums; color: var(--muted); font-weight: 500; margin-inline-start: auto; }
  .quality { display: inline-flex; align-items: flex-end; gap: 2px; height: 14px; align-self: center; }
  .quality i { width: 4px; border-radius: 1px; background: var(--line); }
  .quality i:nth-child(1) { height: 5px; } .quality i:nth-child(2) { height: 9px; } .quality i:nth-child(3) { height: 14px; }
  .quality[data-level="good"] i { background: #16a34a; }
  .quality[data-level="fair"] i:nth-child(-n+2) { background: #ca8a04; }
  .quality[data-level="poor"] i:nth-child(1) { background: var(--danger); }
  .quality-note { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
  .error { display: flex; gap: 10px; align-items: flex-start; padding: 10px 12px; border-radius: 10px;
           background: var(--warn-bg); color: var(--warn-fg); font-size: 13.5px; }
  .screen-ask, .screen-banner { display: flex; flex-direction: column; gap: 8px; padding: 10px 12px;
    border-radius: 10px; border: 1px solid currentColor; }
  .screen-banner { flex-direction: row; align-items: center; justify-content: space-between; }
  .screen-ask p, .screen-banner p { margin: 0; }
  .error svg { width: 18px; height: 18px; margin-top: 1px; }

  .precheck { display: grid; gap: 8px; margin-top: 10px; }
  .check-level { width: 100%; height: 10px; }
  .check-preview { width: 100%; border-radius: 10px; background: #000; }
  .check-result { margin: 0; font-weight: 600; }
  .check-result[data-verdict="blocked"], .check-result[data-verdict="failed"] { color: #b42318; }
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
  .rating { display: grid; gap: 10px; margin-top: 12px; }
  .rating label { display: grid; gap: 4px; font-size: 13px; font-weight: 600; }
  .rating .hint { font-weight: 400; color: var(--muted); }
  .rating textarea {
    font: inherit; font-weight: 400; color: var(--fg); background: var(--bg);
    border: 1px solid var(--line); border-radius: 10px; padding: 8px 10px; width: 100%; resize: vertical;
  }
  .stars { display: flex; gap: 4px; border: 0; margin: 0; padding: 0; }
  .stars legend { padding: 0; margin-bottom: 6px; }
  .stars input { position: absolute; opacity: 0; width: 1px; height: 1px; }
  .stars label { display: block; font-size: 28px; line-height: 1; color: var(--muted); cursor: pointer; padding: 2px; border-radius: 8px; }
  .stars label:has(~ input:checked), .stars input:checked + label { color: #b45309; }
  .stars input:focus-visible + label { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  .rating textarea:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); outline-offset: 1px; }
  .done { margin-top: 12px; padding: 10px 12px; border-radius: 10px; background: var(--soft); }
  .chat { display: grid; gap: 10px; }
  .chat-toggle { display: flex; align-items: center; justify-content: center; gap: 8px; min-height: 40px;
                 border: 1px solid var(--line); border-radius: 12px; background: var(--bg); font-weight: 600; }
  .chat-toggle[aria-expanded="true"] { background: var(--soft); }
  .chat-badge { min-width: 20px; height: 20px; padding: 0 6px; border-radius: 10px; background: var(--danger);
                color: #fff; font-size: 12px; line-height: 20px; }
  .chat-area { display: grid; gap: 8px; }
  .chat-log { display: flex; flex-direction: column; gap: 6px; max-height: 180px; overflow-y: auto;
              padding: 8px; border: 1px solid var(--line); border-radius: 10px; }
  .chat-log:empty { display: none; }
  .chat-log:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); }
  .chat-message { display: grid; gap: 2px; max-width: 85%; padding: 6px 10px; border-radius: 12px;
                  background: var(--soft); overflow-wrap: anywhere; white-space: pre-wrap; }
  .chat-message[data-sender="caller"] { align-self: flex-end; background: color-mix(in srgb, var(--accent) 14%, var(--bg)); }
  .chat-who { font-size: 11.5px; font-weight: 650; }
  .chat-text a { color: inherit; text-decoration: underline; }
  .chat-typing { color: var(--muted); font-size: 12.5px; font-style: italic; }
  .chat-error { color: var(--warn-fg); background: var(--warn-bg); border-radius: 10px; padding: 6px 10px; font-size: 13px; }
  .chat-form { display: flex; gap: 8px; }
  .chat-attach { flex: none; align-self: center; color: var(--fg); background: var(--soft); }
  .chat-attach:hover { background: var(--line); }
  .chat-attach:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); }
  .chat-attach:disabled { opacity: .5; }
  .chat-progress { margin: 0; font-size: 13px; color: var(--muted); }
  .chat-thumb { display: block; max-width: 100%; max-height: 160px; border-radius: 8px; margin-top: 4px; }
  .chat-file { color: inherit; text-decoration: underline; word-break: break-all; }
  .chat-input { flex: 1; min-width: 0; font: inherit; color: var(--fg); background: var(--bg);
                border: 1px solid var(--line); border-radius: 10px; padding: 8px 10px; }
  .chat-input:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 55%, transparent); outline-offset: 1px; }
  .chat-send { min-height: 40px; }
  @media (max-width: 480px) {
    .root { inset-inline: 12px; bottom: 12px; align-items: flex-end; }
    .panel { width: 100%; max-height: calc(100vh - 88px); }
    .launcher { height: 48px; }
  }
`;
