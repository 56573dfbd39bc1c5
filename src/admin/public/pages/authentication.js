// Account > Authentication: Roster's SP values for the IdP, SAML and OIDC settings, test sign-in.
import { badge, busy, checkbox, copyField, dateTime, field, gql, h, pageHeader, replace, select, statusLine, table, timeCell } from "../lib.js";

const IDP_FIELDS = `kind enabled justInTimeProvisioning updatedAt
  saml { entityId ssoUrl identifierSource matchBy wantResponseSigned certificates { fingerprint subject issuer notBefore notAfter } }
  oidc { issuer clientId clientSecretSet tenantId claim matchBy }`;

const MATCH_BY = /** @type {[string, string][]} */ ([["userName", "userName"], ["email", "email"], ["externalId", "externalId"]]);

/** @param {HTMLElement} main */
export async function render(main) {
  const data = await gql(
    `{ serviceProvider { spEntityId acsUrl metadataUrl samlLoginUrl oidcRedirectUri oidcLoginUrl logoutUrl formerSlugs { slug retiredAt spEntityId acsUrl oidcRedirectUri } } identityProviders { ${IDP_FIELDS} } }`,
  );
  const sp = data.serviceProvider;
  /** @type {Record<string, any>} */
  const idps = Object.fromEntries(data.identityProviders.map((/** @type {any} */ i) => [i.kind, i]));
  const samlSlot = h("section", { class: "card", "aria-labelledby": "saml-title" });
  const oidcSlot = h("section", { class: "card", "aria-labelledby": "oidc-title" });

  /** @param {"saml" | "oidc"} kind */
  const reload = async (kind) => {
    const r = await gql(`{ identityProviders { ${IDP_FIELDS} } }`);
    const idp = r.identityProviders.find((/** @type {any} */ i) => i.kind === kind) ?? null;
    if (kind === "saml") samlCard(samlSlot, idp, sp, reload);
    else oidcCard(oidcSlot, idp, sp, reload);
  };

  replace(
    main,
    pageHeader("Authentication", h("p", { class: "lead" }, "Single sign-on through your identity provider: SAML 2.0 (Okta) or OpenID Connect (Microsoft Entra ID).")),
    h(
      "section",
      { class: "card", "aria-labelledby": "sp-title" },
      h("h2", { id: "sp-title" }, "Roster's values for your identity provider"),
      h("p", { class: "muted" }, "Okta: create a SAML 2.0 app and enter these values (or upload the metadata). Entra ID: add the redirect URI to a Web platform of your app registration."),
      h(
        "div",
        null,
        copyField("SP metadata URL", sp.metadataUrl, { id: "sp-metadata-url" }),
        copyField("Single sign-on URL (ACS URL)", sp.acsUrl, { id: "sp-acs-url" }),
        copyField("Audience URI (SP entity id)", sp.spEntityId, { id: "sp-entity-id" }),
        copyField("OIDC redirect URI", sp.oidcRedirectUri, { id: "sp-oidc-redirect" }),
      ),
      h("p", null, h("a", { href: sp.metadataUrl, target: "_blank", rel: "noopener" }, "Open the SP metadata XML"), h("span", { class: "muted" }, " (opens in a new tab)")),
      formerSlugs(sp.formerSlugs),
    ),
    samlSlot,
    oidcSlot,
  );
  samlCard(samlSlot, idps.saml ?? null, sp, reload);
  oidcCard(oidcSlot, idps.oidc ?? null, sp, reload);
}

/**
 * The values under the slugs this organisation gave up: still accepted, so that an identity provider
 * set up before a rename keeps signing people in until it is changed to the values above.
 * @param {{ slug: string, retiredAt: string, spEntityId: string, acsUrl: string, oidcRedirectUri: string }[]} former
 */
function formerSlugs(former) {
  if (!former.length) return null;
  const list = table("Earlier values still accepted", ["Former slug", "Changed", "Single sign-on URL (ACS URL)", "Audience URI (SP entity id)", "OIDC redirect URI"]);
  list.rows(
    former.map((f) =>
      h("tr", null, h("td", { class: "mono" }, f.slug), h("td", null, timeCell(f.retiredAt)), h("td", { class: "mono" }, f.acsUrl), h("td", { class: "mono" }, f.spEntityId), h("td", { class: "mono" }, f.oidcRedirectUri)),
    ),
    "",
  );
  return h(
    "div",
    { id: "sp-former-slugs" },
    h("h3", null, "Earlier values, still accepted"),
    h(
      "p",
      { class: "muted" },
      "This organisation's slug changed. An identity provider still set up with an earlier slug's values goes on signing people in, each set checked as strictly as the current one; change it to the values above when you can. The earlier slugs stay reserved to this organisation.",
    ),
    list.el,
  );
}

/**
 * Status, enable switch, test sign-in and delete: shared by both cards.
 * @param {"saml" | "oidc"} kind
 * @param {any} idp
 * @param {string} loginUrl
 * @param {{ ok(t: string): void, error(e: unknown, d?: string): void, clear(): void }} status
 * @param {(kind: "saml" | "oidc") => Promise<void>} reload
 */
function controls(kind, idp, loginUrl, status, reload) {
  const name = kind === "saml" ? "SAML" : "OIDC";
  if (!idp) return h("p", { class: "muted" }, `${name} sign-in is not configured.`);
  const sw = checkbox(`${name} sign-in enabled`, idp.enabled, { asSwitch: true, id: `${kind}-enabled` });
  sw.input.addEventListener("change", async () => {
    const want = sw.input.checked;
    sw.input.disabled = true;
    status.clear();
    try {
      await gql(`mutation($kind: IdentityProviderKind!, $enabled: Boolean!) { setIdentityProviderEnabled(kind: $kind, enabled: $enabled) { enabled } }`, { kind, enabled: want });
      await reload(kind);
    } catch (err) {
      sw.input.checked = !want;
      sw.input.disabled = false;
      status.error(err, `Could not ${want ? "enable" : "disable"} ${name} sign-in`);
    }
  });
  const test = h(
    "button",
    {
      type: "button",
      class: "btn",
      id: `${kind}-test`,
      disabled: !idp.enabled,
      "aria-describedby": `${kind}-test-hint`,
      onclick: () => window.open(`${loginUrl}${loginUrl.includes("?") ? "&" : "?"}${kind === "saml" ? "RelayState" : "returnTo"}=${encodeURIComponent("/auth/me")}`, "_blank", "noopener"),
    },
    "Test sign-in",
  );
  const del = h("button", { type: "button", class: "btn btn-danger" }, `Remove ${name} settings`);
  del.addEventListener("click", () => {
    if (!confirm(`Remove the ${name} settings? Users can no longer sign in with ${name}.`)) return;
    void busy(del, status, `Could not remove the ${name} settings`, async () => {
      await gql(`mutation($kind: IdentityProviderKind!) { deleteIdentityProvider(kind: $kind) }`, { kind });
      await reload(kind);
    });
  });
  return h(
    "div",
    { class: "idp-controls" },
    h("p", null, idp.enabled ? badge("enabled", "ok") : badge("disabled", "warn"), h("span", { class: "muted" }, ` Last changed ${dateTime(idp.updatedAt)}`)),
    sw.el,
    h("div", { class: "actions" }, test, del),
    h("p", { class: "hint", id: `${kind}-test-hint` }, "Opens the sign-in in a new tab; on success it shows who you are signed in as."),
  );
}

/** @param {string} text */
function splitPems(text) {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? (text.trim() ? [text.trim()] : []);
}

/**
 * @param {HTMLElement} slot
 * @param {any} idp
 * @param {any} sp
 * @param {(kind: "saml" | "oidc") => Promise<void>} reload
 */
function samlCard(slot, idp, sp, reload) {
  const s = idp?.saml;
  const status = statusLine();
  const entityId = field("Identity provider issuer (IdP entity id)", { id: "saml-entity-id", required: true, value: s?.entityId ?? "", spellcheck: "false", placeholder: "http://www.okta.com/exk…" });
  const ssoUrl = field("Identity provider single sign-on URL", { id: "saml-sso-url", type: "url", required: true, value: s?.ssoUrl ?? "", spellcheck: "false", placeholder: "https://example.okta.com/app/…/sso/saml" });
  const certsId = "saml-certificates";
  const certs = h("textarea", { id: certsId, rows: "6", class: "mono", spellcheck: "false", required: true, "aria-describedby": `${certsId}-hint`, placeholder: "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----" });
  const matchBy = select("Match users by", MATCH_BY, { id: "saml-match-by", value: s?.matchBy ?? "userName" }, "The Roster attribute the IdP's identifier is compared with.");
  const idSource = field("User identifier", { id: "saml-identifier-source", value: s?.identifierSource ?? "nameID", spellcheck: "false" }, "nameID (default), or the name of an assertion attribute.");
  const responseSigned = checkbox("Require a signed Response (Okta signs it)", s?.wantResponseSigned ?? true, { id: "saml-response-signed" });
  const jit = checkbox("Create unknown users on their first sign-in", idp?.justInTimeProvisioning ?? false, { id: "saml-jit", hint: "Off by default: with SCIM, users come from provisioning." });
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "saml-save" }, idp ? "Save SAML settings" : "Configure SAML");

  const form = h(
    "form",
    {
      class: "stack",
      "aria-label": "SAML settings",
      onsubmit: (/** @type {SubmitEvent} */ ev) => {
        ev.preventDefault();
        void busy(save, status, "Could not save the SAML settings", async () => {
          const input = {
            idpEntityId: entityId.input.value.trim(),
            idpSsoUrl: ssoUrl.input.value.trim(),
            idpCertificates: splitPems(certs.value),
            matchBy: matchBy.input.value,
            identifierSource: idSource.input.value.trim() || "nameID",
            wantResponseSigned: responseSigned.input.checked,
            justInTimeProvisioning: jit.input.checked,
          };
          await gql(`mutation($input: ConfigureSamlInput!) { configureSaml(input: $input) { kind enabled } }`, { input });
          await reload("saml");
          /** @type {HTMLElement} */ (slot.querySelector(".status-line")).replaceChildren(h("span", { class: "alert-ok" }, "SAML settings saved."));
        });
      },
    },
    h("div", { class: "grid-2" }, entityId.el, ssoUrl.el),
    h(
      "div",
      { class: "field" },
      h("label", { for: certsId }, "IdP signing certificate(s), PEM"),
      certs,
      h("p", { class: "hint", id: `${certsId}-hint` }, s ? "Paste the certificate(s) again on every save: one, or two while the IdP rotates its key." : "Okta: Sign On → SAML Signing Certificates → Download. One, or two while the IdP rotates its key."),
    ),
    s?.certificates?.length
      ? h(
          "div",
          { class: "certs" },
          h("strong", null, "Current certificates"),
          h("ul", null, s.certificates.map((/** @type {any} */ c) => h("li", null, h("span", null, c.subject), h("span", { class: "muted" }, ` valid until ${dateTime(c.notAfter)}`), h("br"), h("code", { class: "break" }, c.fingerprint)))),
        )
      : null,
    h("div", { class: "grid-2" }, matchBy.el, idSource.el),
    responseSigned.el,
    jit.el,
    h("div", { class: "actions" }, save),
  );
  replace(slot, h("h2", { id: "saml-title" }, "SAML 2.0 (Okta)"), controls("saml", idp, sp.samlLoginUrl, status, reload), form, status.el);
}

/**
 * @param {HTMLElement} slot
 * @param {any} idp
 * @param {any} sp
 * @param {(kind: "saml" | "oidc") => Promise<void>} reload
 */
function oidcCard(slot, idp, sp, reload) {
  const o = idp?.oidc;
  const status = statusLine();
  const issuer = field("Issuer", { id: "oidc-issuer", type: "url", required: true, value: o?.issuer ?? "", spellcheck: "false", placeholder: "https://login.microsoftonline.com/<tenant id>/v2.0" });
  const clientId = field("Client id (application id)", { id: "oidc-client-id", required: true, value: o?.clientId ?? "", spellcheck: "false" });
  const secret = field("Client secret", { id: "oidc-client-secret", type: "password", autocomplete: "off", required: !o?.clientSecretSet, spellcheck: "false" }, o?.clientSecretSet ? "A secret is stored: leave empty to keep it." : "Required the first time; never shown again.");
  const tenant = field("Tenant id (Entra)", { id: "oidc-tenant-id", value: o?.tenantId ?? "", spellcheck: "false" }, "Optional: the tid claim must equal it.");
  const claim = select("Identifier claim", [["", "Default (oid for Entra ID)"], ["preferred_username", "preferred_username"], ["email", "email"], ["upn", "upn"], ["oid", "oid"]], { id: "oidc-claim", value: o?.claim ?? "" });
  const matchBy = select("Match users by", [["", "Default (externalId for Entra ID)"], ...MATCH_BY], { id: "oidc-match-by", value: o?.matchBy ?? "" });
  // An Entra issuer carries the tenant id: offer it.
  issuer.input.addEventListener("change", () => {
    const m = /login\.microsoftonline\.com\/([0-9a-f-]{36})\//i.exec(issuer.input.value);
    if (m && !tenant.input.value) tenant.input.value = m[1];
  });
  const jit = checkbox("Create unknown users on their first sign-in", idp?.justInTimeProvisioning ?? false, { id: "oidc-jit" });
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "oidc-save" }, idp ? "Save OIDC settings" : "Configure OIDC");
  const form = h(
    "form",
    {
      class: "stack",
      "aria-label": "OIDC settings",
      onsubmit: (/** @type {SubmitEvent} */ ev) => {
        ev.preventDefault();
        void busy(save, status, "Could not save the OIDC settings", async () => {
          const input = {
            issuer: issuer.input.value.trim(),
            clientId: clientId.input.value.trim(),
            clientSecret: secret.input.value || null,
            tenantId: tenant.input.value.trim() || null,
            claim: claim.input.value || null,
            matchBy: matchBy.input.value || null,
            justInTimeProvisioning: jit.input.checked,
          };
          await gql(`mutation($input: ConfigureOidcInput!) { configureOidc(input: $input) { kind enabled } }`, { input });
          await reload("oidc");
          /** @type {HTMLElement} */ (slot.querySelector(".status-line")).replaceChildren(h("span", { class: "alert-ok" }, "OIDC settings saved."));
        });
      },
    },
    h("div", { class: "grid-2" }, issuer.el, clientId.el, secret.el, tenant.el, claim.el, matchBy.el),
    jit.el,
    h("div", { class: "actions" }, save),
  );
  replace(slot, h("h2", { id: "oidc-title" }, "OpenID Connect (Microsoft Entra ID)"), controls("oidc", idp, sp.oidcLoginUrl, status, reload), form, status.el);
}
