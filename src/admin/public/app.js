// The admin console: signs in (SSO session or a bootstrap admin token), then routes on the hash.
import { ApiError, auth, errorBox, gql, h, replace, whenUnauthenticated } from "./lib.js";

/** @typedef {{ organisation: { id: string, slug: string, name: string, scimEnabled: boolean }, me: { id: string, userName: string, displayName: string | null } | null }} Session */

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
const who = /** @type {HTMLElement} */ (document.getElementById("who"));
const orgName = /** @type {HTMLElement} */ (document.getElementById("org-name"));

/** @type {Session | null} */
let session = null;
/** @type {string | null} */
let signInMessage = null;

/** @returns {Promise<Session | null>} */
async function loadSession() {
  try {
    return await gql(`{ organisation { id slug name scimEnabled } me { id userName displayName } }`);
  } catch (err) {
    if (err instanceof ApiError && (err.code === "UNAUTHENTICATED" || err.code === "FORBIDDEN")) {
      if (auth.token()) {
        auth.setToken(null);
        signInMessage = "The admin token was refused (revoked, expired or not an admin token). Sign in again.";
      } else if (err.code === "FORBIDDEN") {
        signInMessage = "You are signed in, but your account does not have the admin role in this organisation.";
      }
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
    ? h("form", { method: "post", action: "/auth/logout", class: "inline" }, h("button", { type: "submit", class: "btn btn-small btn-ghost" }, "Sign out"))
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
  if (!session) section = "sign-in";
  else if (!pages[section] || section === "sign-in") {
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
  if (title && document.activeElement !== document.body && !container.contains(document.activeElement)) title.focus({ preventScroll: true });
}

/** After a bootstrap token is stored. */
export async function signedIn() {
  session = null;
  signInMessage = null;
  location.hash = "#/provisioning";
  await route();
}

export const takeSignInMessage = () => {
  const m = signInMessage;
  signInMessage = null;
  return m;
};

whenUnauthenticated(() => {
  if (!session) return;
  session = null;
  auth.setToken(null);
  signInMessage = "Your session ended. Sign in again.";
  location.hash = "#/sign-in";
});

window.addEventListener("hashchange", () => void route());
void route();
