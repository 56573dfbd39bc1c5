// Account > Provisioning: the organisation's name and slug, the SCIM base URL, SCIM tokens (create,
// rotate, revoke), the SCIM switch and the IdP's recent requests (provisioning log).
import { organisationChanged } from "../app.js";
import { ApiError, announce, badge, busy, checkbox, copyField, dateTime, errorBox, field, gql, h, json, pageHeader, pager, replace, select, statusLine, table, timeCell, unlessStale, visibleBidi } from "../lib.js";

const TOKEN_FIELDS = "id name scope prefix active createdAt lastUsedAt expiresAt revokedAt";

/** @typedef {{ id: string, name: string, scope: string, prefix: string, active: boolean, createdAt: string, lastUsedAt: string | null, expiresAt: string | null, revokedAt: string | null }} Token */

/** The organisation as this page shows and changes it, with the version its changes send back as expectedVersion. */
const ORG_FIELDS = "name slug scimEnabled rolesManagedBy version";
/** @typedef {{ name: string, slug: string, scimEnabled: boolean, rolesManagedBy: string, version: number }} Org */

/** Roster's sign-in URLs that contain the slug, as GraphQL `serviceProvider` gives them, and what each is. */
const SLUG_URLS = /** @type {const} */ ([
  ["acsUrl", "SAML single sign-on URL (ACS URL)"],
  ["spEntityId", "SAML audience URI (SP entity id)"],
  ["metadataUrl", "SP metadata URL"],
  ["samlLoginUrl", "SAML sign-in URL"],
  ["oidcRedirectUri", "OIDC redirect URI"],
  ["oidcLoginUrl", "OIDC sign-in URL"],
]);
const SP_FIELDS = SLUG_URLS.map(([key]) => key).join(" ");
/** @typedef {Record<(typeof SLUG_URLS)[number][0], string>} SlugUrls */

/**
 * @param {HTMLElement} main
 * @param {string[]} _args
 * @param {import("../app.js").Session} session
 */
export async function render(main, _args, session) {
  const data = await gql(`{ organisation { ${ORG_FIELDS} } serviceProvider { ${SP_FIELDS} } }`);
  // Roster's public URL is the part of the SP metadata URL before /auth/saml/<org>/metadata.
  const base = String(data.serviceProvider.metadataUrl).replace(/\/auth\/saml\/[^/]+\/metadata$/, "");
  const scimUrl = `${base}/scim/v2`;

  const org = organisationState(data.organisation);
  /** @param {string} name */
  const leadText = (name) => `SCIM 2.0 provisioning of ${name} by your identity provider (Okta, Microsoft Entra ID).`;
  const lead = h("p", { class: "lead" }, leadText(session.organisation.name));
  org.watch((now) => {
    replace(lead, leadText(now.name));
    organisationChanged(now);
  });

  const tokensSection = h("section", { class: "card", "aria-labelledby": "tokens-title" });
  const activity = h("section", { class: "card", "aria-labelledby": "activity-title" });
  const oauth = h("div");

  replace(main, pageHeader("Provisioning", lead), organisationCard(org, data.serviceProvider), scimCard(scimUrl, org), tokensSection, oauth, activity);
  await Promise.all([renderTokens(tokensSection), renderActivity(activity), renderOAuth(oauth)]);
}

/**
 * The organisation as last read or saved, shared by the forms of this page that change it: every
 * change moves its one version, so each save expects the version the one before it left. Saves run
 * one after the other (the select saves at each arrow key), and each form is told of the others'
 * saves and reloads.
 * @param {Org} first
 */
function organisationState(first) {
  let now = first;
  /** @type {((now: Org, before: Org) => void)[]} */
  const watchers = [];
  /** @type {Promise<unknown>} */
  let queue = Promise.resolve();
  /** @param {Org} next the organisation as read or saved */
  const set = (next) => {
    const before = now;
    now = next;
    for (const w of watchers) w(next, before);
  };
  return {
    get: () => now,
    /** @param {(now: Org, before: Org) => void} fn */
    watch(fn) {
      watchers.push(fn);
    },
    /**
     * updateOrganisation with the version held, once the saves before it are done; the organisation
     * it answers is held before the next save starts. Undefined when refused as stale (shown on
     * `status`, with `reload` behind its button); other errors are thrown.
     * @param {Record<string, unknown>} input
     * @param {Parameters<typeof unlessStale>[0]} status
     * @param {() => Promise<void>} reload
     * @returns {Promise<Org | undefined>}
     */
    update(input, status, reload) {
      const run = queue.then(async () => {
        /** @type {Org | undefined} */
        const saved = await unlessStale(status, "organisation", reload, async () => (await gql(`mutation($input: UpdateOrganisationInput!, $v: Int) { updateOrganisation(input: $input, expectedVersion: $v) { ${ORG_FIELDS} } }`, { input, v: now.version })).updateOrganisation);
        if (saved) set(saved);
        return saved;
      });
      queue = run.catch(() => undefined);
      return run;
    },
    /** Reads the organisation again (after a save refused as stale). */
    async reload() {
      set((await gql(`{ organisation { ${ORG_FIELDS} } }`)).organisation);
      return now;
    },
  };
}
/** @typedef {ReturnType<typeof organisationState>} OrgState */

/**
 * The organisation's name and slug. The server checks them (BAD_USER_INPUT, or CONFLICT for a slug
 * another organisation holds or gave up), and its message is shown with its code and field: the form
 * repeats none of its rules. A changed slug first says what it changes: the sign-in URLs that contain
 * it, which go on working under the old slug.
 * @param {OrgState} org
 * @param {SlugUrls} sp the sign-in URLs under the current slug
 */
function organisationCard(org, sp) {
  const status = statusLine();
  // Focus goes to the outcome of a save (the form's button is disabled while it runs).
  status.el.id = "organisation-status";
  status.el.tabIndex = -1;
  /** The sign-in URLs under the saved slug; null when they could not be read again after a rename. */
  let urls = /** @type {SlugUrls | null} */ (sp);
  const name = field("Organisation name", { id: "organisation-name", name: "name", value: org.get().name, autocomplete: "organization" });
  const slug = field("Slug", { id: "organisation-slug", name: "slug", value: org.get().slug, spellcheck: "false", autocapitalize: "none", autocomplete: "off" }, "The organisation's short name: part of its sign-in (SSO) URLs, typed on the console's sign-in page and given to the CLI as --org.");
  const warning = h("div", { id: "organisation-slug-warning" });
  slug.input.setAttribute("aria-describedby", `${slug.input.getAttribute("aria-describedby")} ${warning.id}`);
  const inputs = /** @type {const} */ ({ name: name.input, slug: slug.input });

  /** What a slug change affects, while the slug typed is not the saved one; announced when it appears. */
  const warn = () => {
    const from = org.get().slug;
    const to = slug.input.value.trim();
    const shown = warning.childElementCount > 0;
    if (!to || to === from) {
      replace(warning);
      return;
    }
    replace(
      warning,
      h(
        "div",
        { class: "alert alert-warn slug-warning" },
        h("p", null, h("strong", null, "Changing the slug changes the sign-in URLs. "), `These contain “${from}”; once saved, they contain “${to}” instead:`),
        urls ? h("ul", null, SLUG_URLS.map(([key, label]) => h("li", null, `${label}: `, h("code", { class: "break" }, /** @type {SlugUrls} */ (urls)[key])))) : h("p", null, "(The Authentication page lists them.)"),
        h(
          "p",
          null,
          `The URLs with “${from}” keep working: an identity provider set up with them goes on signing people in, checked as strictly as before, until you give it the new values (the Authentication page shows them after saving). “${from}” stays reserved to this organisation, so no other organisation can take it, and the CLI's --org ${from} keeps working.`,
        ),
        h("p", null, "Not affected: the SCIM base URL and tokens (provisioning goes on), the OAuth endpoints, and the sessions of people signed in."),
      ),
    );
    if (!shown) announce(`Changing the slug changes the organisation's sign-in URLs: the URLs with ${from} keep working. Details below the slug field.`);
  };
  slug.input.addEventListener("input", warn);

  /** @param {string[]} [invalid] the fields the server refused, marked until the next save */
  const mark = (invalid = []) => {
    for (const [key, input] of Object.entries(inputs)) {
      if (invalid.includes(key)) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-errormessage", status.el.id);
      } else {
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-errormessage");
      }
    }
  };
  /** @param {Org} now */
  const fill = (now) => {
    name.input.value = now.name;
    slug.input.value = now.slug;
    mark();
    warn();
  };
  /** Done once the URLs of a new slug are read (after a save here or elsewhere, or a reload). */
  let urlsRead = Promise.resolve();
  let urlReads = 0;
  // A save or a reload (here or in another form of the page): a field left as it was follows, and a
  // new slug's URLs are read for the next change's warning.
  org.watch((now, before) => {
    if (name.input.value === before.name) name.input.value = now.name;
    if (slug.input.value === before.slug) slug.input.value = now.slug;
    if (now.slug !== before.slug) {
      urls = null;
      const mine = ++urlReads;
      urlsRead = gql(`{ serviceProvider { ${SP_FIELDS} } }`).then(
        (r) => void (mine === urlReads && (urls = r.serviceProvider)),
        () => undefined, // the warning then points to the Authentication page
      );
      void urlsRead.then(warn);
    }
    warn();
  });
  const reload = async () => {
    status.clear();
    try {
      fill(await org.reload());
      status.ok(`Organisation reloaded (version ${org.get().version}).`);
    } catch (err) {
      status.error(err, "Could not reload the organisation");
    }
    name.input.focus();
  };

  const save = h("button", { type: "submit", class: "btn btn-primary", id: "organisation-save" }, "Save organisation");
  const form = h(
    "form",
    {
      class: "stack",
      "aria-label": "Organisation name and slug",
      onsubmit: (/** @type {SubmitEvent} */ ev) => {
        ev.preventDefault();
        void busy(save, status, "Could not save the organisation", async () => {
          const before = org.get();
          /** @type {Record<string, string>} */
          const input = {};
          const typedName = name.input.value.trim();
          const typedSlug = slug.input.value.trim();
          if (typedName !== before.name) input.name = typedName;
          if (typedSlug !== before.slug) input.slug = typedSlug;
          mark();
          try {
            if (!Object.keys(input).length) {
              status.ok("Nothing to save: the name and slug are as saved.");
              return;
            }
            const saved = await org.update(input, status, reload);
            if (!saved) return; // stale: the message offers to reload; the fields keep what was typed
            fill(saved);
            await urlsRead;
            replace(
              status.el,
              h("span", { class: "alert-ok" }, `Organisation saved (version ${saved.version}).`),
              saved.slug !== before.slug
                ? [" ", `Its sign-in URLs now contain “${saved.slug}”; those with “${before.slug}” keep working. `, h("a", { href: "#/authentication" }, "See the values for your identity provider")]
                : null,
            );
          } catch (err) {
            status.error(err, "Could not save the organisation");
            if (err instanceof ApiError) mark(err.fields.map((f) => String(f.field.split(".").pop())));
          } finally {
            status.el.focus();
          }
        });
      },
    },
    h("div", { class: "grid-2" }, name.el, slug.el),
    warning,
    h("div", { class: "actions" }, save),
  );
  return h("section", { class: "card", "aria-labelledby": "organisation-title" }, h("h2", { id: "organisation-title" }, "Organisation"), form, status.el);
}

/**
 * @param {string} scimUrl
 * @param {OrgState} org
 */
function scimCard(scimUrl, org) {
  const status = statusLine();
  const sw = checkbox("SCIM provisioning enabled", org.get().scimEnabled, { asSwitch: true, id: "scim-enabled", hint: "When off, every SCIM request is refused (the IdP's users and groups stay as they are)." });
  const roles = select("Roles managed by", [["identityProvider", "The identity provider (SCIM)"], ["product", "This product (SCIM leaves roles as they are)"]], { id: "roles-managed-by", value: org.get().rolesManagedBy },
    "Okta's profile pushes replace the whole user: unless roles are managed here, roles assigned here are removed by the next push when Okta sends none.");
  /** @param {Org} now */
  const show = (now) => {
    sw.input.checked = now.scimEnabled;
    roles.input.value = now.rolesManagedBy;
  };
  org.watch(show);
  /**
   * Reads the settings again after a refused change; focus goes back to the control that was changed
   * (the Reload button it was on is gone with the message).
   * @param {HTMLElement} control
   */
  const reload = async (control) => {
    status.clear();
    try {
      await org.reload();
      status.ok(`Settings reloaded (version ${org.get().version}).`);
    } catch (err) {
      status.error(err, "Could not reload the settings");
    }
    control.focus();
  };
  /**
   * Saves one setting, after the saves before it, expecting the version the one before left.
   * Refused because someone else changed the organisation since it was read, the controls keep the
   * administrator's choice (not saved) and the message offers to reload.
   * @param {HTMLElement} control
   * @param {Record<string, unknown>} input
   * @param {string} doing
   * @param {(now: Org) => string} done
   */
  const change = async (control, input, doing, done) => {
    status.clear();
    try {
      const saved = await org.update(input, status, () => reload(control));
      if (saved) status.ok(done(saved));
    } catch (err) {
      show(org.get()); // back to the settings as last read
      status.error(err, doing);
    }
  };
  sw.input.addEventListener("change", async () => {
    sw.input.disabled = true;
    await change(sw.input, { scimEnabled: sw.input.checked }, "Could not change SCIM provisioning", (now) => (now.scimEnabled ? "SCIM provisioning is enabled." : "SCIM provisioning is disabled."));
    sw.input.disabled = false;
  });
  roles.input.addEventListener("change", () =>
    change(roles.input, { rolesManagedBy: roles.input.value }, "Could not change who manages roles", (now) => (now.rolesManagedBy === "product" ? "Roles are managed in this product." : "Roles are managed by the identity provider.")),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "scim-title" },
    h("h2", { id: "scim-title" }, "SCIM integration"),
    h("p", { class: "muted" }, "Okta: Provisioning → Integration → SCIM connector base URL. Entra ID: Provisioning → Admin Credentials → Tenant URL. Authentication: HTTP header, Bearer token."),
    copyField("SCIM base URL", scimUrl, { id: "scim-base-url" }),
    sw.el,
    roles.el,
    status.el,
  );
}

/** @param {Token} t */
function tokenState(t) {
  if (t.revokedAt) return badge("revoked", "bad");
  if (!t.active) return badge("expired", "warn");
  return badge("active", "ok");
}

/** @param {HTMLElement} section */
async function renderTokens(section) {
  const status = statusLine();
  const secretSlot = h("div", { class: "secret-slot" });
  const list = table("Access tokens", ["Name", "Scope", "Prefix", "Created", "Last used", "Expires", "Status", "Actions"]);
  const showInactive = checkbox("Show revoked and expired tokens", false, { id: "show-inactive-tokens" });

  /** @type {Token[]} */
  let tokens = [];
  const draw = () => {
    const visible = tokens.filter((t) => t.active || showInactive.input.checked);
    list.rows(
      visible.map((t) =>
        h(
          "tr",
          { "data-token-id": t.id },
          h("th", { scope: "row" }, t.name),
          h("td", null, t.scope === "scim" ? "SCIM" : "Admin (GraphQL)"),
          h("td", null, h("code", null, `${t.prefix}…`)),
          h("td", null, timeCell(t.createdAt)),
          h("td", null, t.lastUsedAt ? timeCell(t.lastUsedAt) : h("span", { class: "muted" }, "never")),
          h("td", null, t.expiresAt ? timeCell(t.expiresAt) : h("span", { class: "muted" }, "never")),
          h("td", null, tokenState(t)),
          h(
            "td",
            { class: "row-actions" },
            t.active
              ? [
                  h("button", { type: "button", class: "btn btn-small", "aria-label": `Rotate token ${t.name} (${t.prefix}…)`, onclick: (/** @type {Event} */ e) => rotate(/** @type {HTMLButtonElement} */ (e.currentTarget), t) }, "Rotate"),
                  h("button", { type: "button", class: "btn btn-small btn-danger", "aria-label": `Revoke token ${t.name} (${t.prefix}…)`, onclick: (/** @type {Event} */ e) => revoke(/** @type {HTMLButtonElement} */ (e.currentTarget), t) }, "Revoke"),
                ]
              : null,
          ),
        ),
      ),
      showInactive.input.checked ? "No tokens yet: create one below." : "No active token: create one below and give it to your identity provider.",
    );
  };
  const load = async () => {
    list.loading();
    try {
      tokens = (await gql(`{ accessTokens { ${TOKEN_FIELDS} } }`)).accessTokens;
      tokens.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      draw();
    } catch (err) {
      list.failed(err);
    }
  };
  showInactive.input.addEventListener("change", draw);

  /**
   * @param {string} title
   * @param {{ secret: string, token: Token }} created
   * @param {Token} [old]
   */
  const showSecret = (title, created, old) => {
    const done = h("button", { type: "button", class: "btn btn-small", onclick: () => replace(secretSlot) }, "I have stored it");
    const revokeOld = old
      ? h(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-danger",
            onclick: (/** @type {Event} */ e) =>
              busy(/** @type {HTMLButtonElement} */ (e.currentTarget), status, "Could not revoke the old token", async () => {
                await gql(`mutation($id: ID!) { revokeAccessToken(id: $id) { id } }`, { id: old.id });
                status.ok(`The old token ${old.name} (${old.prefix}…) is revoked.`);
                replace(secretSlot);
                await load();
              }),
          },
          `Revoke the old token (${old.prefix}…) now`,
        )
      : null;
    replace(
      secretSlot,
      h(
        "div",
        { class: "secret-box", role: "region", "aria-labelledby": "secret-title" },
        h("h3", { id: "secret-title" }, title),
        h("p", null, h("strong", null, "Copy this secret now: it is shown once and cannot be read again.")),
        copyField(`Secret of ${created.token.name}`, created.secret, { id: "new-token-secret", secret: true }),
        old ? h("p", { class: "muted" }, `Both tokens work now. Paste the new secret into your identity provider ("Secret Token" / Bearer token), test the connection, then revoke the old one.`) : null,
        h("div", { class: "actions" }, revokeOld, done),
      ),
    );
    /** @type {HTMLInputElement} */ (secretSlot.querySelector("input")).focus();
  };

  /** @param {HTMLButtonElement} button @param {Token} t */
  const revoke = (button, t) => {
    if (!confirm(`Revoke the token "${visibleBidi(t.name)}" (${t.prefix}…)? An identity provider using it can no longer provision.`)) return;
    void busy(button, status, "Could not revoke the token", async () => {
      await gql(`mutation($id: ID!) { revokeAccessToken(id: $id) { id } }`, { id: t.id });
      status.ok(`Token ${t.name} (${t.prefix}…) revoked.`);
      await load();
    });
  };
  /** @param {HTMLButtonElement} button @param {Token} t */
  const rotate = (button, t) => {
    void busy(button, status, "Could not rotate the token", async () => {
      const days = t.expiresAt ? Math.max(1, Math.round((Date.parse(t.expiresAt) - Date.parse(t.createdAt)) / 86_400_000)) : null;
      const r = await gql(`mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { secret token { ${TOKEN_FIELDS} } } }`, { input: { name: t.name, scope: t.scope, expiresInDays: days } });
      await load();
      showSecret(`New token for ${t.name}`, r.createAccessToken, t);
    });
  };

  const name = field("Name", { name: "name", required: true, maxlength: "100", placeholder: "e.g. Okta provisioning" }, "To tell tokens apart: the IdP or the person using it.");
  const scope = select("Scope", [["scim", "SCIM (identity provider)"], ["admin", "Admin (GraphQL API)"]], { name: "scope" });
  const expires = select("Expires", [["90", "in 90 days"], ["180", "in 180 days"], ["365", "in 1 year"], ["730", "in 2 years"], ["", "never"]], { name: "expires", value: "365" });
  const create = h("button", { type: "submit", class: "btn btn-primary" }, "Create token");
  const form = h(
    "form",
    {
      class: "inline-form",
      "aria-label": "Create a token",
      onsubmit: (/** @type {SubmitEvent} */ ev) => {
        ev.preventDefault();
        void busy(create, status, "Could not create the token", async () => {
          const input = { name: name.input.value.trim(), scope: scope.input.value, expiresInDays: expires.input.value ? Number(expires.input.value) : null };
          const r = await gql(`mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { secret token { ${TOKEN_FIELDS} } } }`, { input });
          name.input.value = "";
          await load();
          showSecret(`Token ${r.createAccessToken.token.name} created`, r.createAccessToken);
        });
      },
    },
    name.el,
    scope.el,
    expires.el,
    h("div", { class: "field field-button" }, create),
  );

  replace(
    section,
    h("div", { class: "card-header" }, h("h2", { id: "tokens-title" }, "Access tokens"), showInactive.el),
    h("p", { class: "muted" }, "Several tokens can be live at once: rotate creates a new token and keeps the old one until you revoke it, so provisioning never stops."),
    list.el,
    h("h3", null, "Create a token"),
    form,
    status.el,
    secretSlot,
  );
  await load();
}

/** @param {HTMLElement} slot */
async function renderOAuth(slot) {
  /** @param {import("../lib.js").Leaf[]} content */
  const card = (...content) =>
    h(
      "section",
      { class: "card", "aria-labelledby": "oauth-title" },
      h("h2", { id: "oauth-title" }, "OAuth clients (client credentials)"),
      h("p", { class: "muted" }, "For identity providers that get SCIM access tokens from Roster instead of a long-lived token."),
      content,
    );
  /** @type {any} */
  let data;
  try {
    data = await gql(`{ oauthEndpoints { tokenUrl issuer jwksUrl metadataUrl scimUrl } oauthClients { id clientId name active scopes createdAt federation { issuer subject audience } secrets { id prefix expiresAt expired } } }`);
  } catch (err) {
    replace(slot, card(errorBox(err, "Could not load the OAuth clients")));
    return;
  }
  const list = table("OAuth clients", ["Name", "Client id", "Scopes", "Credential", "Created", "Status"]);
  list.rows(
    data.oauthClients.map((/** @type {any} */ c) =>
      h(
        "tr",
        null,
        h("th", { scope: "row" }, c.name),
        h("td", null, h("code", null, c.clientId)),
        h("td", null, c.scopes.join(", ")),
        h("td", null, c.federation ? `federated (${c.federation.issuer})` : `${c.secrets.filter((/** @type {any} */ s) => !s.expired).length} live secret(s)`),
        h("td", null, timeCell(c.createdAt)),
        h("td", null, c.active ? badge("active", "ok") : badge("revoked", "bad")),
      ),
    ),
    "No OAuth client. Tokens above are enough for Okta and Entra ID; OAuth clients are managed with the CLI or the GraphQL API.",
  );
  const e = data.oauthEndpoints;
  replace(slot, card(h("div", null, copyField("Token URL", e.tokenUrl), copyField("Issuer", e.issuer), copyField("JWKS URL", e.jwksUrl), copyField("Metadata URL", e.metadataUrl)), list.el));
}

/** @param {number} status */
function statusBadge(status) {
  return badge(String(status), status >= 500 ? "bad" : status >= 400 ? "warn" : "ok");
}

/** @param {HTMLElement} section */
async function renderActivity(section) {
  const PAGE = 20;
  const failed = checkbox("Failed requests only", false, { id: "log-failed" });
  const method = select("Method", [["", "Any method"], ["GET", "GET"], ["POST", "POST"], ["PUT", "PUT"], ["PATCH", "PATCH"], ["DELETE", "DELETE"]], { id: "log-method" });
  const auto = checkbox("Update live (every 10 s)", false, { id: "log-live" });
  const refresh = h("button", { type: "button", class: "btn btn-small", id: "log-refresh" }, "Refresh");
  const updated = h("span", { class: "muted small", "aria-live": "off" }, "");
  const list = table("Recent SCIM requests", ["Time", "Request", "Status", "Token", "Duration", "Changes", ""]);

  // A row shows only what the list reads; an entry's body and the changes it made (a /Bulk's are tens
  // of KB) are read by its id when its details are first opened, and kept for the page's reloads.
  /** @type {Map<string, Promise<any>>} */
  const heavy = new Map();
  /** Entries whose details are open: they stay open when the list reloads ("Update live"). */
  const opened = new Set();
  /**
   * @param {string} id
   * @param {HTMLElement} slot
   */
  const showHeavy = async (id, slot) => {
    let loading = heavy.get(id);
    if (!loading) {
      loading = gql(`query($id: ID!) { provisioningLogEntry(id: $id) { requestBody auditEvents { id action changes } } }`, { id }).then((r) => r.provisioningLogEntry);
      heavy.set(id, loading);
    }
    replace(slot, h("p", { class: "muted" }, "Loading…"));
    try {
      const e = await loading;
      if (!e) return replace(slot, h("p", { class: "muted" }, "This request is no longer in the log (retention period over)."));
      replace(
        slot,
        e.auditEvents.length
          ? h("div", null, h("strong", null, "Changes"), h("ul", null, e.auditEvents.map((/** @type {any} */ a) => h("li", null, h("code", null, a.action), " ", a.changes ? h("details", null, h("summary", null, "fields"), json(a.changes)) : null))))
          : null,
        e.requestBody != null ? h("details", null, h("summary", null, "Request body"), json(e.requestBody)) : h("p", { class: "muted" }, "Request body not kept (retention period over, or none)."),
      );
    } catch (err) {
      heavy.delete(id); // the next opening asks again
      replace(slot, errorBox(err, "Could not load the details"));
    }
  };

  /** @param {any} e */
  const row = (e) => {
    const detailId = `log-${e.id}`;
    const slot = h("div");
    const detail = h(
      "tr",
      { id: detailId, class: "detail-row", hidden: true },
      h(
        "td",
        { colspan: "7" },
        h(
          "div",
          { class: "detail" },
          e.errorDetail ? h("p", null, h("strong", null, "Error: "), e.errorDetail, e.scimType ? h("code", null, ` scimType=${e.scimType}`) : null) : null,
          e.notes.length ? h("p", null, h("strong", null, "Notes: "), e.notes.join("; ")) : null,
          h("p", null, h("strong", null, "Request id: "), h("code", null, e.requestId), e.resourceId ? [h("strong", null, "  Resource: "), h("code", null, `${e.resourceType ?? ""} ${e.resourceId}`)] : null),
          slot,
        ),
      ),
    );
    const toggle = h("button", { type: "button", class: "btn btn-small btn-ghost", "aria-expanded": "false", "aria-controls": detailId, "aria-label": `Details of ${e.method} ${e.path}` }, "Details");
    /** @param {boolean} open */
    const show = (open) => {
      toggle.setAttribute("aria-expanded", String(open));
      detail.hidden = !open;
      if (open) {
        opened.add(e.id);
        void showHeavy(e.id, slot);
      } else opened.delete(e.id);
    };
    toggle.addEventListener("click", () => show(toggle.getAttribute("aria-expanded") !== "true"));
    if (opened.has(e.id)) show(true);
    // A /Bulk causes up to 100 events: each action once, with its count.
    /** @type {Map<string, number>} */
    const counts = new Map();
    for (const a of e.auditEvents) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
    const changes = [...counts].map(([action, n]) => (n > 1 ? `${action} ×${n}` : action));
    return [
      h(
        "tr",
        { class: e.status >= 400 ? "row-failed" : "" },
        h("td", { class: "nowrap" }, timeCell(e.occurredAt)),
        h("td", { class: "mono break" }, h("strong", null, e.method), " ", e.path),
        h("td", null, statusBadge(e.status)),
        h("td", null, e.tokenLabel),
        h("td", { class: "num" }, `${e.durationMs} ms`),
        h("td", null, changes.length ? changes.join(", ") : h("span", { class: "muted" }, e.status >= 400 ? (e.errorDetail ?? "—") : "—")),
        h("td", null, toggle),
      ),
      detail,
    ];
  };

  const page = pager(
    list,
    async (after) => {
      const filter = { failedOnly: failed.input.checked || null, method: method.input.value || null };
      const r = (
        await gql(
          `query($after: String, $filter: ProvisioningLogFilterInput) { provisioningLog(first: ${PAGE}, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } nodes { id occurredAt method path status durationMs tokenLabel errorDetail scimType notes requestId resourceId resourceType auditEvents { action } } } }`,
          { after, filter },
        )
      ).provisioningLog;
      updated.textContent = `Updated ${dateTime(new Date().toISOString())}`;
      return {
        rows: r.nodes.flatMap(row),
        empty: filter.failedOnly || filter.method ? "No request matches these filters." : "No SCIM request yet. Once your identity provider is connected, its requests show here.",
        hasNextPage: r.pageInfo.hasNextPage,
        endCursor: r.pageInfo.endCursor,
        count: r.nodes.length,
        totalCount: r.totalCount,
      };
    },
    PAGE,
    "requests",
  );
  failed.input.addEventListener("change", () => void page.reset());
  method.input.addEventListener("change", () => void page.reset());
  refresh.addEventListener("click", () => void page.reload());
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  auto.input.addEventListener("change", () => {
    clearInterval(timer);
    if (auto.input.checked)
      timer = setInterval(() => {
        if (!section.isConnected) return clearInterval(timer);
        void page.reload();
      }, 10_000);
  });

  replace(
    section,
    h("div", { class: "card-header" }, h("h2", { id: "activity-title" }, "Recent provisioning activity"), h("div", { class: "toolbar-end" }, updated, refresh)),
    h("p", { class: "muted" }, "Every SCIM request of your identity provider, newest first, with its outcome and what it changed."),
    h("div", { class: "toolbar", role: "group", "aria-label": "Filter requests" }, failed.el, method.el, auto.el),
    list.el,
    page.el,
  );
  await page.reset();
}
