// The admin console: signs in (SSO session or a bootstrap admin token), then routes on the hash.
import { ApiError, auth, errorBox, gql, h, replace, whenSessionRefused } from "./lib.js";

/** @typedef {{ organisation: { id: string, slug: string, name: string, scimEnabled: boolean }, me: { id: string, userName: string, displayName: string | null } | null }} Session */

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
const who = /** @type {HTMLElement} */ (document.getElementById("who"));
const orgName = /** @type {HTMLElement} */ (document.getElementById("org-name"));

/** @type {Session | null} */
let session = null;
/** @type {string | null} */
let signInMessage = null;
/**
 * Why the API refuses this session the console (FORBIDDEN: signed in, but not an admin); null when it does not.
 * @type {string | null}
 */
let refusal = null;
/**
 * The page (a hash) to go back to once signed in: the one the session ended on, or a link followed before signing in.
 * @type {string | null}
 */
let returnTo = null;
/** The next page's heading takes focus even from <body> (after signing in, the form that had it is gone). */
let focusHeading = false;

/** @returns {Promise<Session | null>} */
async function loadSession() {
  try {
    return await gql(`{ organisation { id slug name scimEnabled } me { id userName displayName } }`);
  } catch (err) {
    if (err instanceof ApiError && (err.code === "UNAUTHENTICATED" || err.code === "FORBIDDEN")) {
      const token = auth.token();
      if (token) {
        auth.setToken(null);
        signInMessage = "The admin token was refused (revoked, expired or not an admin token). Sign in again.";
      }
      // Signed in but not an admin (keeping the reason already given); without a session, signing in is the way.
      refusal = err.code === "FORBIDDEN" && !token ? (refusal ?? "You are signed in, but your account does not have the admin role in this organisation. Ask an administrator for it, or sign out and sign in with another account.") : null;
      return null;
    }
    throw err;
  }
}

function renderChrome() {
  nav.hidden = !session;
  if (!session) {
    orgName.textContent = "";
    replace(who);
    return;
  }
  replace(orgName, "· ", session.organisation.name);
  const label = session.me ? (session.me.displayName ?? session.me.userName) : "admin token";
  const signOut = session.me
    ? signOutForm("btn btn-small btn-ghost")
    : h(
        "button",
        {
          type: "button",
          class: "btn btn-small btn-ghost",
          onclick: () => {
            auth.setToken(null);
            session = null;
            location.hash = "#/sign-in";
            void route();
          },
        },
        "Sign out",
      );
  replace(who, h("span", { class: "who-name", title: session.me ? session.me.userName : "Signed in with an admin token" }, label), signOut);
}

/** Where the sign-in page keeps the slug last signed in with (signin.js). */
export const SIGN_IN_SLUG = "roster.admin.org";

/**
 * The organisation's name or slug changed (saved from the console, or read again after someone else
 * changed it): the top bar shows the new name, and the sign-in page offers the new slug where it
 * offered the old one (which still signs in: a slug given up stays the organisation's).
 * @param {{ name: string, slug: string }} now
 */
export function organisationChanged(now) {
  if (!session) return;
  const before = session.organisation.slug;
  Object.assign(session.organisation, { name: now.name, slug: now.slug });
  if (before !== now.slug && localStorage.getItem(SIGN_IN_SLUG) === before) localStorage.setItem(SIGN_IN_SLUG, now.slug);
  renderChrome();
}

/**
 * Ends the SSO session: a POST to /auth/logout, which answers with its "Signed out" page.
 * @param {string} buttonClass
 */
export function signOutForm(buttonClass) {
  return h("form", { method: "post", action: "/auth/logout", class: "inline" }, h("button", { type: "submit", class: buttonClass }, "Sign out"));
}

/** @type {Record<string, () => Promise<{ render: (main: HTMLElement, args: string[], session: Session) => Promise<void> | void }>>} */
const pages = {
  "sign-in": () => import("./pages/signin.js"),
  provisioning: () => import("./pages/provisioning.js"),
  authentication: () => import("./pages/authentication.js"),
  directory: () => import("./pages/directory.js"),
};

let routing = 0;
export async function route() {
  const mine = ++routing;
  const parts = location.hash.replace(/^#\/?/, "").split("?")[0].split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (!session) session = await loadSession();
  } catch (err) {
    replace(main, h("div", { class: "page" }, h("h1", null, "Roster is not answering"), errorBox(err, "Could not load your organisation"), h("button", { type: "button", class: "btn", onclick: () => void route() }, "Try again")));
    return;
  }
  if (mine !== routing) return;
  renderChrome();
  let section = parts[0] ?? "";
  if (!session) {
    if (pages[section] && section !== "sign-in") returnTo = location.hash;
    section = "sign-in";
  } else if (!pages[section] || section === "sign-in") {
    location.replace("#/provisioning");
    return;
  }
  for (const a of nav.querySelectorAll("a")) {
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const page = await pages[section]();
  if (mine !== routing) return;
  const container = h("div", { class: "page" });
  replace(main, container);
  try {
    await page.render(container, parts.slice(1), /** @type {Session} */ (session));
  } catch (err) {
    replace(container, errorBox(err, "Could not show this page"));
  }
  if (mine !== routing) return;
  const title = /** @type {HTMLElement | null} */ (container.querySelector("h1"));
  document.title = `${title?.textContent ?? "Account"} · Roster`;
  // Move focus to the new page's heading after a navigation (not on the first load).
  const moveFocus = focusHeading || document.activeElement !== document.body;
  focusHeading = false;
  if (title && moveFocus && !container.contains(document.activeElement)) title.focus({ preventScroll: true });
}

/** After a bootstrap token is stored: back to the page the session ended on, if any. */
export async function signedIn() {
  session = null;
  signInMessage = null;
  focusHeading = true;
  const target = returnTo ?? "#/provisioning";
  returnTo = null;
  if (location.hash === target) await route();
  else location.hash = target; // the hashchange routes
}

/** Where single sign-on comes back to: the console, on the page to return to. */
export const ssoReturnPath = () => `/admin/${returnTo ?? ""}`;

export const takeSignInMessage = () => {
  const m = signInMessage;
  signInMessage = null;
  return m;
};

/** Why this session may not administer (shown instead of the sign-in forms), or null. */
export const sessionRefusal = () => refusal;

whenSessionRefused((err) => {
  if (!session) return;
  session = null;
  routing++; // the page being shown is void: its route must not take the focus the sign-in page gets
  if (!location.hash.startsWith("#/sign-in")) returnTo = location.hash;
  if (err.code === "FORBIDDEN" && !auth.token()) {
    refusal = "Your account no longer has the admin role in this organisation, so this session cannot use the console. Sign out, or ask an administrator to give the role back.";
  } else {
    auth.setToken(null);
    signInMessage = "Your session ended. Sign in again.";
  }
  focusHeading = true;
  location.hash = "#/sign-in";
});

window.addEventListener("hashchange", () => void route());
void route();
