import type { Response } from "express";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A link a page ends with (a same-origin path). */
export interface PageLink {
  href: string;
  text: string;
}

/** The way back from the "Signed out" page, which was a dead end. */
export const BACK_TO_CONSOLE: PageLink = { href: "/admin/", text: "Back to the Roster console" };

/**
 * A small self-contained HTML page (sign-in refusals, sign-out); never echoes secrets or raw IdP
 * messages. `form`: one button that POSTs to a same-origin path (no script: the CSP has none).
 */
export function sendPage(res: Response, status: number, title: string, paragraphs: string[], form?: { action: string; label: string }, link?: PageLink): void {
  res
    .status(status)
    .type("html")
    .set("Cache-Control", "no-store")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · Roster</title>` +
        `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
        `<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">` +
        `<h1>${escape(title)}</h1>${paragraphs.map((p) => `<p>${escape(p)}</p>`).join("")}` +
        (form ? `<form method="post" action="${escape(form.action)}"><button type="submit">${escape(form.label)}</button></form>` : "") +
        (link ? `<p><a href="${escape(link.href)}">${escape(link.text)}</a></p>` : "") +
        `</body></html>`,
    );
}

const SIGN_IN_FAILED = {
  status: 401,
  title: "Sign-in failed",
  text: () => ["The response from your identity provider could not be verified. Start the sign-in again; if it keeps failing, ask your administrator to check the sign-in settings."],
};

export const REFUSAL_PAGES: Record<string, { status: number; title: string; text: (org: string) => string[] }> = {
  not_provisioned: {
    status: 403,
    title: "Account not provisioned",
    text: (org) => [`Your account is not provisioned in the organisation "${org}", so you cannot sign in here.`, "Ask your administrator to assign this application to you in your identity provider."],
  },
  provisioning_refused: {
    status: 403,
    title: "Account could not be created",
    text: (org) => [`Your account could not be created in the organisation "${org}" from what your identity provider sent. Sign-in refused.`, "Ask your administrator to provision your account, or to check the identity provider's attributes."],
  },
  deactivated: {
    status: 403,
    title: "Account deactivated",
    text: (org) => [`Your account in the organisation "${org}" is deactivated. Sign-in refused.`, "Contact your administrator if you think this is a mistake."],
  },
  ambiguous: {
    status: 403,
    title: "Account could not be matched",
    text: (org) => [`More than one account in the organisation "${org}" matches your identity. Sign-in refused.`, "Your administrator needs to resolve the duplicate."],
  },
  wrong_tenant: {
    status: 403,
    title: "Wrong directory",
    text: (org) => [`You signed in with an account from another directory (tenant) than the one the organisation "${org}" uses. Sign-in refused.`],
  },
  unverified_email: {
    status: 403,
    title: "Email not verified",
    text: () => ["Your identity provider does not vouch for your email address, so it cannot be used to sign in."],
  },
  missing_identifier: {
    status: 403,
    title: "Identity incomplete",
    text: () => ["The identity provider did not send the identifier this organisation matches users by. Ask your administrator to check the sign-in settings."],
  },
  replayed: {
    status: 401,
    title: "Sign-in response already used",
    text: () => ["This sign-in response was already used. Start the sign-in again."],
  },
  idp_error: {
    status: 403,
    title: "Sign-in refused by your identity provider",
    text: (org) => [
      `Your identity provider did not sign you in to the organisation "${org}". Starting again will not help.`,
      "Ask your administrator to assign this application to you in your identity provider (and to grant it consent); the reason it gave is in Roster's audit trail.",
    ],
  },
  invalid_response: SIGN_IN_FAILED,
  // The user cannot fix it and need not know the address: the log and the audit trail name the host.
  idp_host_not_public: SIGN_IN_FAILED,
  insecure_transport: {
    status: 500,
    title: "Sign-in unavailable",
    text: () => [
      "Roster is set up to be reached over https, but this request reached it as plain http, so it cannot keep you signed in. Sign-in refused.",
      "Your administrator needs to check the proxy in front of Roster: it must send X-Forwarded-Proto: https, and TRUST_PROXY must include its address.",
    ],
  },
  not_configured: {
    status: 404,
    title: "Single sign-on not configured",
    text: (org) => [`Single sign-on of this kind is not configured (or is disabled) for the organisation "${org}".`],
  },
};

export function sendRefusal(res: Response, reason: string, org: string): void {
  const page = REFUSAL_PAGES[reason] ?? REFUSAL_PAGES.invalid_response;
  sendPage(res, page.status, page.title, page.text(org));
}

/**
 * Only a same-origin path may be a post-sign-in destination (no open redirects). An absolute URL on
 * Roster's own origin (`publicUrl`) is taken as its path: Okta's "Default RelayState" is usually set
 * so, e.g. https://roster.example.com/admin/.
 */
export function safeReturnPath(value: unknown, fallback = "/auth/me", publicUrl?: string): string {
  if (typeof value !== "string" || value.length > 2048) return fallback;
  if (/^\/(?![/\\])[^\s]*$/.test(value)) return value;
  if (!publicUrl || !/^https?:\/\//i.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(publicUrl).origin || url.username || url.password) return fallback;
  return safeReturnPath(`${url.pathname}${url.search}${url.hash}`, fallback);
}
