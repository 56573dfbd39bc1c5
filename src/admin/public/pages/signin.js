// Sign-in: through the organisation's SSO (SAML or OIDC), or with an admin token for bootstrap.
import { SIGN_IN_SLUG, sessionRefusal, signOutForm, signedIn, ssoReturnPath, takeSignInMessage } from "../app.js";
import { auth, errorBox, field, gql, h, replace } from "../lib.js";

/** @param {HTMLElement} main */
export function render(main) {
  const refusal = sessionRefusal();
  if (refusal) return noAccess(main, refusal);
  const message = takeSignInMessage();
  const params = new URLSearchParams(location.search);
  const org = field("Organisation", { name: "org", autocomplete: "organization", required: true, value: params.get("org") ?? localStorage.getItem(SIGN_IN_SLUG) ?? "", spellcheck: "false" }, "Your organisation's short name (slug), e.g. acme");
  const ssoStatus = h("div", { class: "status-line", role: "status", "aria-live": "polite" });

  /** @param {"saml" | "oidc"} kind */
  const sso = (kind) => {
    const slug = org.input.value.trim();
    if (!slug) {
      replace(ssoStatus, errorBox(new Error("Enter your organisation's slug first."), "Cannot start single sign-on"));
      org.input.focus();
      return;
    }
    localStorage.setItem(SIGN_IN_SLUG, slug);
    const back = encodeURIComponent(ssoReturnPath());
    location.assign(kind === "saml" ? `/auth/saml/${encodeURIComponent(slug)}/login?RelayState=${back}` : `/auth/oidc/${encodeURIComponent(slug)}/login?returnTo=${back}`);
  };

  const token = field("Admin token", { name: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false", placeholder: "rst_admin_…" }, "Printed once when Roster first starts, or created with: roster token create --scope admin. Kept in this browser tab only.");
  const tokenStatus = h("div", { class: "status-line", role: "status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Sign in with token");
  const tokenForm = h(
    "form",
    {
      class: "stack",
      onsubmit: async (/** @type {SubmitEvent} */ ev) => {
        ev.preventDefault();
        const value = token.input.value.trim();
        if (!value) {
          replace(tokenStatus, errorBox(new Error("Paste an admin token."), "Cannot sign in"));
          token.input.focus();
          return;
        }
        submit.disabled = true;
        replace(tokenStatus);
        auth.setToken(value);
        try {
          await gql("{ organisation { id } }");
          await signedIn();
        } catch (err) {
          auth.setToken(null);
          replace(tokenStatus, errorBox(err, "The token was refused"));
          token.input.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    token.el,
    h("div", { class: "actions" }, submit),
    tokenStatus,
  );

  replace(
    main,
    h(
      "div",
      { class: "signin" },
      h("h1", { tabindex: "-1" }, "Sign in to your account"),
      message ? h("div", { class: "alert alert-warn", role: "alert" }, message) : null,
      h(
        "section",
        { class: "card", "aria-labelledby": "sso-title" },
        h("h2", { id: "sso-title" }, "Single sign-on"),
        h("p", { class: "muted" }, "Administrators of an organisation sign in through its identity provider (Okta, Microsoft Entra ID)."),
        h(
          "form",
          { class: "stack", onsubmit: (/** @type {SubmitEvent} */ ev) => (ev.preventDefault(), sso("saml")) },
          org.el,
          h(
            "div",
            { class: "actions" },
            h("button", { type: "submit", class: "btn btn-primary" }, "Sign in with SAML (Okta)"),
            h("button", { type: "button", class: "btn", onclick: () => sso("oidc") }, "Sign in with Microsoft (OIDC)"),
          ),
          ssoStatus,
        ),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "token-title" },
        h("h2", { id: "token-title" }, "Admin token"),
        h("p", { class: "muted" }, "For the first set-up, before single sign-on is configured."),
        tokenForm,
      ),
    ),
  );
}

/**
 * Signed in (SSO) but not an administrator: nothing to sign in to, so the way out is signing out.
 * @param {HTMLElement} main
 * @param {string} refusal
 */
function noAccess(main, refusal) {
  replace(
    main,
    h(
      "div",
      { class: "signin" },
      h("h1", { tabindex: "-1" }, "No access to the console"),
      h("div", { class: "alert alert-warn", role: "alert" }, refusal),
      h("section", { class: "card" }, h("p", null, "Signing out ends this session; you can then sign in with an administrator's account."), signOutForm("btn btn-primary")),
    ),
  );
}
