// Placing a call from the widget: logging in for the site, the microphone (and
// camera), the address to call, and a failure to start explained in plain words.

import { ErrorCode, Media, NETWORK_ERROR, Phone } from "../phone.js";
import { explain, explainMedia, t } from "./words.js";

/** The visitor hung up while the call was being placed. */
export class Cancelled extends Error {}
/** getUserMedia failed; the message says why and what to do. */
export class MediaFailure extends Error {}

const CAMERA = { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" };

/** The page could not give the widget an identity token; the message says so plainly. */
export class IdentityFailure extends Error {}

/**
 * The identity token for this login, or "" for an anonymous visitor. Tokens are
 * single-use, so each call asks again: the page's `identityProvider` (an async function
 * set on the element), else data-identity-url (fetched with the page's cookies; its
 * body is the token), else data-identity (good for one call: reload for the next).
 */
export async function identityToken(config, widget) {
  try {
    if (typeof widget?.identityProvider === "function") return String((await widget.identityProvider()) || "");
    if (config.identityUrl) {
      const response = await fetch(new URL(config.identityUrl, location.href).href, {
        credentials: "include", cache: "no-store",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (await response.text()).trim();
    }
  } catch {
    throw new IdentityFailure(t("fail.identityUnavailable"));
  }
  return config.identity || "";
}

/** Log in anonymously for the widget's site, verified when the page gives a token. */
export async function login({ server, site, displayName, context, ...config }, widget) {
  if (!site) throw new Error(t("fail.noSite"));
  const identity = await identityToken(config, widget);
  return Phone.visitor(server, { site, displayName: displayName || undefined, context, identity: identity || undefined });
}

/** The microphone, and the camera for a video call; a MediaFailure says what went wrong. */
export async function getMedia(media) {
  const video = media === Media.VIDEO;
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaFailure(t("fail.insecure"));
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: video ? CAMERA : false });
  } catch (error) {
    throw new MediaFailure(explainMedia(error, video ? "both" : "mic"));
  }
}

/** A camera track for a call that starts video; a MediaFailure says what went wrong. */
export async function getCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: CAMERA });
    return stream.getVideoTracks()[0];
  } catch (error) {
    throw new MediaFailure(explainMedia(error, "camera"));
  }
}

/** The address to call: data-queue as given, or with the server's domain added. */
export function target(queue, phone) {
  if (!queue) return undefined; // the site's default queue
  if (queue.includes("@")) return queue;
  const domain = (phone.identity || phone.login?.targets?.[0] || "").split("@")[1];
  return domain ? `${queue}@${domain}` : queue;
}

/** A failure to start a call, in plain words. `phone` is the Phone, if the login worked. */
export async function explainFailure(error, phone) {
  if (error instanceof MediaFailure || error instanceof IdentityFailure || !error?.code) return error?.message || String(error);
  if (error.closeCode !== undefined) return explainClose(error);
  if (error.field === "identity") {
    // The site requires verified visitors and the page gave no token, or its token was refused.
    return error.code === ErrorCode.FORBIDDEN ? t("fail.identityRequired") : t("fail.identityRefused");
  }
  switch (error.code) {
    case ErrorCode.FORBIDDEN:
      // At login (or a WebSocket closed with 4403) this is the page's origin.
      return phone?.hello ? t("fail.forbiddenInCall") : t("fail.notEnabled");
    case ErrorCode.NOT_FOUND:
      return t("fail.unknownLine");
    case ErrorCode.UNAUTHORIZED:
      return t("fail.refused");
    case NETWORK_ERROR:
      // The login refused for an origin carries no CORS header, so the
      // browser reports a network error. If the server answers otherwise,
      // that is what happened.
      if (!phone && (await serverAnswers())) return t("fail.notEnabled");
      return t("fail.unreachable");
    default:
      return explain(error.code) || error.message;
  }
}

/** The WebSocket closed before the server's hello: each refusal says what it was. */
function explainClose(error) {
  switch (error.code) {
    case ErrorCode.FORBIDDEN: return t("fail.notEnabled"); // 4403: this page's origin
    case ErrorCode.UNAUTHORIZED: return t("fail.loginExpired"); // 4401: a token expired or used
    case ErrorCode.INTERNAL_ERROR: return t("fail.serviceTrouble"); // 1011: the server failed
    default: return t("fail.unreachable"); // never opened, or cut: nothing answers there
  }
}

async function serverAnswers() {
  try {
    const response = await fetch(new URL("../phone.js", import.meta.url).href, {
      method: "HEAD", cache: "no-store", credentials: "omit",
    });
    return response.ok;
  } catch {
    return false;
  }
}
