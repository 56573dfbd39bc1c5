// Account > Directory: users and groups (search, filter, keyset paging), a user's detail, a group's
// members, roles and custom field definitions.
import { badge, busy, checkbox, debounce, field, gql, h, json, pageHeader, pager, replace, select, statusLine, table, timeCell, unlessStale, visibleBidi } from "../lib.js";

const PAGE = 25;
/** The API's longest search text (UserFilterInput.text, GroupFilterInput.text). */
const SEARCH_MAX = "255";
/** Filters survive a visit to a detail page and back. */
const state = { users: { text: "", active: "" }, groups: { text: "" } };

const TABS = /** @type {[string, string][]} */ ([["users", "Users"], ["groups", "Groups"], ["roles", "Roles"], ["fields", "Custom fields"]]);

/** @param {string} current */
function tabs(current) {
  return h("nav", { class: "tabs", "aria-label": "Directory" }, h("ul", null, TABS.map(([key, label]) => h("li", null, h("a", { href: `#/directory/${key}`, "aria-current": key === current ? "page" : undefined }, label)))));
}

/**
 * @param {HTMLElement} main
 * @param {string[]} args
 */
export async function render(main, args) {
  const [kind = "users", id] = args;
  if (kind === "users" && id) return userDetail(main, id);
  if (kind === "groups" && id) return groupDetail(main, id);
  if (kind === "groups") return groups(main);
  if (kind === "roles") return roles(main);
  if (kind === "fields") return fields(main);
  return users(main);
}

/** @param {string | null | undefined} text */
const orDash = (text) => (text ? text : h("span", { class: "muted" }, "—"));

/** @param {boolean} active */
const activeBadge = (active) => (active ? badge("active", "ok") : badge("inactive", "bad"));

/** @param {HTMLElement} main */
async function users(main) {
  const search = field("Search users", { id: "user-search", type: "search", value: state.users.text, placeholder: "Name, userName, email or external id", autocomplete: "off", maxlength: SEARCH_MAX });
  const status = select("Status", [["", "All"], ["true", "Active"], ["false", "Inactive"]], { id: "user-status", value: state.users.active });
  const list = table("Users", ["User name", "Display name", "Email", "Status", "Updated"]);
  const page = pager(
    list,
    async (after) => {
      const filter = { text: state.users.text || null, active: state.users.active === "" ? null : state.users.active === "true" };
      const r = (await gql(`query($after: String, $filter: UserFilterInput) { users(first: ${PAGE}, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } nodes { id userName displayName active updatedAt emails { value primary } } } }`, { after, filter })).users;
      return {
        rows: r.nodes.map((/** @type {any} */ u) =>
          h(
            "tr",
            { "data-user-id": u.id },
            h("th", { scope: "row" }, h("a", { href: `#/directory/users/${encodeURIComponent(u.id)}` }, u.userName)),
            h("td", null, orDash(u.displayName)),
            h("td", { class: "break" }, orDash((u.emails.find((/** @type {any} */ e) => e.primary) ?? u.emails[0])?.value)),
            h("td", null, activeBadge(u.active)),
            h("td", null, timeCell(u.updatedAt)),
          ),
        ),
        empty: filter.text || filter.active !== null ? "No user matches." : "No user yet: they appear here once your identity provider provisions them.",
        hasNextPage: r.pageInfo.hasNextPage, endCursor: r.pageInfo.endCursor, count: r.nodes.length, totalCount: r.totalCount,
      };
    },
    PAGE,
    "users",
  );
  const apply = () => {
    state.users.text = search.input.value.trim();
    state.users.active = status.input.value;
    void page.reset();
  };
  search.input.addEventListener("input", debounce(apply, 250));
  status.input.addEventListener("change", apply);
  replace(
    main,
    pageHeader("Directory"),
    tabs("users"),
    h("form", { class: "toolbar", role: "search", "aria-label": "Users", onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), apply()) }, search.el, status.el),
    list.el,
    page.el,
  );
  await page.reset();
}

/** @param {HTMLElement} main */
async function groups(main) {
  const search = field("Search groups", { id: "group-search", type: "search", value: state.groups.text, placeholder: "Display name or external id", autocomplete: "off", maxlength: SEARCH_MAX });
  const list = table("Groups", ["Display name", "External id", "Members", "Updated"]);
  const page = pager(
    list,
    async (after) => {
      const filter = { text: state.groups.text || null };
      const r = (await gql(`query($after: String, $filter: GroupFilterInput) { groups(first: ${PAGE}, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } nodes { id displayName externalId memberCount updatedAt } } }`, { after, filter })).groups;
      return {
        rows: r.nodes.map((/** @type {any} */ g) =>
          h(
            "tr",
            null,
            h("th", { scope: "row" }, h("a", { href: `#/directory/groups/${encodeURIComponent(g.id)}` }, g.displayName)),
            h("td", { class: "mono" }, orDash(g.externalId)),
            h("td", { class: "num" }, g.memberCount.toLocaleString()),
            h("td", null, timeCell(g.updatedAt)),
          ),
        ),
        empty: filter.text ? "No group matches." : "No group yet: pushed groups appear here.",
        hasNextPage: r.pageInfo.hasNextPage, endCursor: r.pageInfo.endCursor, count: r.nodes.length, totalCount: r.totalCount,
      };
    },
    PAGE,
    "groups",
  );
  const apply = () => {
    state.groups.text = search.input.value.trim();
    void page.reset();
  };
  search.input.addEventListener("input", debounce(apply, 250));
  replace(main, pageHeader("Directory"), tabs("groups"), h("form", { class: "toolbar", role: "search", "aria-label": "Groups", onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), apply()) }, search.el), list.el, page.el);
  await page.reset();
}

const USER_FIELDS = `id userName displayName nickName title userType active externalId department division organization costCenter employeeNumber
  locale timezone preferredLanguage profileUrl createdAt updatedAt version customFields
  name { formatted givenName middleName familyName honorificPrefix honorificSuffix }
  emails { value type primary } phoneNumbers { value type primary }
  addresses { formatted streetAddress locality region postalCode country type primary }
  manager { id userName displayName } roles { id name } groups { id displayName }`;

/**
 * @param {[string, unknown][]} rows
 */
function dl(rows) {
  return h(
    "dl",
    { class: "attributes" },
    rows.map(([k, v]) => [h("dt", null, k), h("dd", null, v == null || v === "" ? h("span", { class: "muted" }, "—") : /** @type {any} */ (v))]),
  );
}

/**
 * @param {HTMLElement} main
 * @param {string} id
 */
async function userDetail(main, id) {
  const status = statusLine();
  const [data, defs] = await Promise.all([gql(`query($id: ID!) { user(id: $id) { ${USER_FIELDS} } roles { id name } }`, { id }), gql(`{ customFieldDefinitions { key label type } }`)]);
  const u = data.user;
  if (!u) {
    replace(main, pageHeader("User not found"), tabs("users"), h("div", { class: "alert alert-error", role: "alert" }, `No user with id ${id} in this organisation (it may have been deleted).`), h("p", null, h("a", { href: "#/directory/users" }, "← Back to users")));
    return;
  }
  const back = h("a", { href: "#/directory/users", class: "back" }, "← Users");
  const toggle = h("button", { type: "button", class: u.active ? "btn btn-danger" : "btn btn-primary", id: "user-toggle-active" }, u.active ? "Deactivate" : "Reactivate");
  toggle.addEventListener("click", () => {
    if (u.active && !confirm(`Deactivate ${visibleBidi(u.userName)}? They can no longer sign in; SCIM reports active: false.`)) return;
    void busy(toggle, status, u.active ? "Could not deactivate the user" : "Could not reactivate the user", async () => {
      const m = u.active ? "deactivateUser" : "reactivateUser";
      const r = await gql(`mutation($id: ID!) { ${m}(id: $id) { id active } }`, { id });
      await userDetail(main, id);
      /** @type {HTMLElement} */ (main.querySelector(".status-line")).replaceChildren(h("span", { class: "alert-ok" }, r[m].active ? `${u.userName} is active again.` : `${u.userName} is deactivated.`));
      /** @type {HTMLElement} */ (main.querySelector("#user-toggle-active")).focus();
    });
  });

  const contacts = (/** @type {any[]} */ list) => (list.length ? h("ul", { class: "plain" }, list.map((c) => h("li", null, c.value, c.type ? h("span", { class: "muted" }, ` (${c.type})`) : null, c.primary ? " " : null, c.primary ? badge("primary", "neutral") : null))) : null);
  const n = u.name ?? {};
  const attributes = dl([
    ["User name", h("span", { class: "mono" }, u.userName)],
    ["Display name", u.displayName],
    ["Name", n.formatted ?? ([n.honorificPrefix, n.givenName, n.middleName, n.familyName, n.honorificSuffix].filter(Boolean).join(" ") || null)],
    ["Emails", contacts(u.emails)],
    ["Phone numbers", contacts(u.phoneNumbers)],
    ["Addresses", u.addresses.length ? h("ul", { class: "plain" }, u.addresses.map((/** @type {any} */ a) => h("li", null, a.formatted ?? [a.streetAddress, a.locality, a.region, a.postalCode, a.country].filter(Boolean).join(", ")))) : null],
    ["External id", u.externalId ? h("span", { class: "mono" }, u.externalId) : null],
    ["Title", u.title],
    ["User type", u.userType],
    ["Nickname", u.nickName],
    ["Locale / time zone", [u.locale, u.timezone, u.preferredLanguage].filter(Boolean).join(" · ") || null],
    ["Profile URL", u.profileUrl],
    ["Created", timeCell(u.createdAt)],
    ["Updated", timeCell(u.updatedAt)],
    ["Version (ETag)", String(u.version)],
  ]);
  const enterprise = dl([
    ["Employee number", u.employeeNumber],
    ["Department", u.department],
    ["Division", u.division],
    ["Organization", u.organization],
    ["Cost center", u.costCenter],
    ["Manager", u.manager ? h("a", { href: `#/directory/users/${encodeURIComponent(u.manager.id)}` }, u.manager.displayName ?? u.manager.userName) : null],
  ]);
  /** @type {Record<string, any>} */
  const labels = Object.fromEntries(defs.customFieldDefinitions.map((/** @type {any} */ d) => [d.key, d]));
  const customKeys = Object.keys(u.customFields ?? {});
  const custom = customKeys.length
    ? dl(customKeys.map((k) => [labels[k] ? `${labels[k].label} (${k})` : k, Array.isArray(u.customFields[k]) ? u.customFields[k].join(", ") : String(u.customFields[k])]))
    : h("p", { class: "muted" }, "No custom field values.");

  // Roles: assign / unassign.
  const roleStatus = statusLine();
  const haveRoles = new Set(u.roles.map((/** @type {any} */ r) => r.name));
  const assignable = data.roles.filter((/** @type {any} */ r) => !haveRoles.has(r.name));
  const roleSelect = select("Role to assign", assignable.map((/** @type {any} */ r) => /** @type {[string, string]} */ ([r.name, r.name])), { id: "assign-role" });
  const assign = h("button", { type: "submit", class: "btn btn-small", disabled: !assignable.length }, "Assign");
  const rolesBox = h(
    "div",
    null,
    u.roles.length
      ? h(
          "ul",
          { class: "chips" },
          u.roles.map((/** @type {any} */ r) =>
            h(
              "li",
              null,
              r.name,
              h(
                "button",
                {
                  type: "button",
                  class: "chip-remove",
                  "aria-label": `Remove role ${r.name}`,
                  onclick: (/** @type {Event} */ e) =>
                    busy(/** @type {HTMLButtonElement} */ (e.currentTarget), roleStatus, "Could not remove the role", async () => {
                      await gql(`mutation($id: ID!, $roles: [String!]!) { unassignRoles(userId: $id, roles: $roles) { id } }`, { id, roles: [r.name] });
                      await userDetail(main, id);
                    }),
                },
                "×",
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, "No role."),
    assignable.length
      ? h(
          "form",
          {
            class: "inline-form",
            onsubmit: (/** @type {Event} */ e) => {
              e.preventDefault();
              void busy(assign, roleStatus, "Could not assign the role", async () => {
                await gql(`mutation($id: ID!, $roles: [String!]!) { assignRoles(userId: $id, roles: $roles) { id } }`, { id, roles: [roleSelect.input.value] });
                await userDetail(main, id);
              });
            },
          },
          roleSelect.el,
          h("div", { class: "field field-button" }, assign),
        )
      : null,
    roleStatus.el,
  );
  const groupsBox = u.groups.length ? h("ul", { class: "plain" }, u.groups.map((/** @type {any} */ g) => h("li", null, h("a", { href: `#/directory/groups/${encodeURIComponent(g.id)}` }, g.displayName)))) : h("p", { class: "muted" }, "Not a member of any group.");

  const history = h("section", { class: "card", "aria-labelledby": "history-title" });
  replace(
    main,
    tabs("users"),
    back,
    pageHeader(u.displayName ?? u.userName, activeBadge(u.active), h("div", { class: "toolbar-end" }, toggle)),
    status.el,
    h(
      "div",
      { class: "detail-grid" },
      h("section", { class: "card", "aria-labelledby": "attr-title" }, h("h2", { id: "attr-title" }, "Attributes"), attributes),
      h(
        "div",
        { class: "stack" },
        h("section", { class: "card", "aria-labelledby": "ent-title" }, h("h2", { id: "ent-title" }, "Enterprise"), enterprise),
        h("section", { class: "card", "aria-labelledby": "ext-title" }, h("h2", { id: "ext-title" }, "Extension fields"), custom),
        h("section", { class: "card", "aria-labelledby": "roles-title" }, h("h2", { id: "roles-title" }, "Roles"), rolesBox),
        h("section", { class: "card", "aria-labelledby": "groups-title" }, h("h2", { id: "groups-title" }, "Groups"), groupsBox),
      ),
    ),
    history,
  );
  await auditHistory(history, id);
}

/**
 * @param {HTMLElement} section
 * @param {string} resourceId
 */
async function auditHistory(section, resourceId) {
  const list = table("Audit history", ["When", "Action", "By", "Source", "Changes"]);
  const page = pager(
    list,
    async (after) => {
      const r = (await gql(`query($after: String, $id: ID!) { auditEvents(first: 10, after: $after, filter: { resourceId: $id }) { totalCount pageInfo { hasNextPage endCursor } nodes { id occurredAt action actorLabel source changes } } }`, { after, id: resourceId })).auditEvents;
      return {
        rows: r.nodes.map((/** @type {any} */ e) =>
          h(
            "tr",
            null,
            h("td", { class: "nowrap" }, timeCell(e.occurredAt)),
            h("td", null, h("code", null, e.action)),
            h("td", null, e.actorLabel),
            h("td", null, badge(e.source, "neutral")),
            h("td", null, e.changes ? h("details", null, h("summary", null, Object.keys(e.changes).join(", ") || "details"), json(e.changes)) : h("span", { class: "muted" }, "—")),
          ),
        ),
        empty: "No audit event.",
        hasNextPage: r.pageInfo.hasNextPage, endCursor: r.pageInfo.endCursor, count: r.nodes.length, totalCount: r.totalCount,
      };
    },
    10,
    "events",
  );
  replace(section, h("h2", { id: "history-title" }, "Audit history"), list.el, page.el);
  await page.reset();
}

/**
 * @param {HTMLElement} main
 * @param {string} id
 */
async function groupDetail(main, id) {
  const head = (await gql(`query($id: ID!) { group(id: $id) { id displayName externalId memberCount createdAt updatedAt } }`, { id })).group;
  if (!head) {
    replace(main, pageHeader("Group not found"), tabs("groups"), h("div", { class: "alert alert-error", role: "alert" }, `No group with id ${id} in this organisation.`), h("p", null, h("a", { href: "#/directory/groups" }, "← Back to groups")));
    return;
  }
  const list = table("Members", ["Member", "Type", "Status"]);
  const page = pager(
    list,
    async (after) => {
      const g = (await gql(`query($id: ID!, $after: String) { group(id: $id) { members(first: ${PAGE}, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id type display user { id userName displayName active } group { id displayName } } } } }`, { id, after })).group;
      const m = g.members;
      return {
        rows: m.nodes.map((/** @type {any} */ n) =>
          h(
            "tr",
            null,
            h(
              "th",
              { scope: "row" },
              n.user
                ? h("a", { href: `#/directory/users/${encodeURIComponent(n.user.id)}` }, n.user.displayName ?? n.user.userName)
                : n.group
                  ? h("a", { href: `#/directory/groups/${encodeURIComponent(n.group.id)}` }, n.group.displayName)
                  : (n.display ?? n.id),
            ),
            h("td", null, n.type),
            h("td", null, n.user ? activeBadge(n.user.active) : h("span", { class: "muted" }, "—")),
          ),
        ),
        empty: "This group has no member.",
        hasNextPage: m.pageInfo.hasNextPage, endCursor: m.pageInfo.endCursor, count: m.nodes.length, totalCount: m.totalCount,
      };
    },
    PAGE,
    "members",
  );
  const history = h("section", { class: "card", "aria-labelledby": "history-title" });
  replace(
    main,
    tabs("groups"),
    h("a", { href: "#/directory/groups", class: "back" }, "← Groups"),
    pageHeader(head.displayName),
    h("section", { class: "card", "aria-labelledby": "gattr-title" }, h("h2", { id: "gattr-title", class: "visually-hidden" }, "Group attributes"), dl([["External id", head.externalId], ["Members", head.memberCount.toLocaleString()], ["Created", timeCell(head.createdAt)], ["Updated", timeCell(head.updatedAt)]])),
    h("section", { class: "card", "aria-labelledby": "members-title" }, h("h2", { id: "members-title" }, "Members"), list.el, page.el),
    history,
  );
  await Promise.all([page.reset(), auditHistory(history, id)]);
}

/** @param {string} text */
const listOf = (text) =>
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * After a save refused because someone else changed the object (the form's version is stale): the
 * list again, and the form again on the object as it is now, with its version; closed if it is gone.
 * @param {{ status: { ok(t: string): void, error(e: unknown, d?: string): void, clear(): void }, noun: string, name: string, fresh: () => Promise<any>, load: () => Promise<void>, close: () => void, open: (now: any) => void, label: (now: any) => string }} o
 */
async function reloadForm(o) {
  o.status.clear();
  try {
    const now = await o.fresh();
    await o.load();
    if (!now) {
      o.close();
      o.status.error(new Error(`The ${o.noun} ${o.name} no longer exists: someone deleted it.`), `Could not reload the ${o.noun}`);
      return;
    }
    o.open(now);
    o.status.ok(`${o.noun[0].toUpperCase()}${o.noun.slice(1)} ${o.label(now)} reloaded (version ${now.version}).`);
  } catch (err) {
    o.status.error(err, `Could not reload the ${o.noun}`);
  }
}

const ROLE_FIELDS = "id name description permissions builtIn version";

/** @param {HTMLElement} main */
async function roles(main) {
  const status = statusLine();
  const list = table("Roles", ["Name", "Description", "Permissions", "", "Actions"]);
  const editSlot = h("div");
  /** The id of the role whose form is open, if any. */
  let editing = /** @type {string | null} */ (null);
  const close = () => {
    editing = null;
    replace(editSlot, newButton());
  };
  const load = async () => {
    list.loading();
    try {
      const r = (await gql(`{ roles { ${ROLE_FIELDS} } }`)).roles;
      list.rows(
        r.map((/** @type {any} */ role) =>
          h(
            "tr",
            null,
            h("th", { scope: "row" }, role.name),
            h("td", null, orDash(role.description)),
            h("td", null, role.permissions.length ? role.permissions.map((/** @type {string} */ p) => h("code", { class: "perm" }, p)) : h("span", { class: "muted" }, "—")),
            h("td", null, role.builtIn ? badge("built-in", "neutral") : null),
            h(
              "td",
              { class: "row-actions" },
              h("button", { type: "button", class: "btn btn-small", "aria-label": `Edit role ${role.name}`, onclick: () => editor(role) }, "Edit"),
              role.builtIn
                ? null
                : h(
                    "button",
                    {
                      type: "button",
                      class: "btn btn-small btn-danger",
                      "aria-label": `Delete role ${role.name}`,
                      onclick: (/** @type {Event} */ e) => {
                        if (!confirm(`Delete the role "${visibleBidi(role.name)}"? Users lose it.`)) return;
                        void busy(/** @type {HTMLButtonElement} */ (e.currentTarget), status, "Could not delete the role", async () => {
                          await gql(`mutation($id: ID!) { deleteRole(id: $id) }`, { id: role.id });
                          status.ok(`Role ${role.name} deleted.`);
                          if (editing === role.id) close();
                          await load();
                        });
                      },
                    },
                    "Delete",
                  ),
            ),
          ),
        ),
        "No role.",
      );
    } catch (err) {
      list.failed(err);
    }
  };
  /**
   * The role as it is now (a reload after a refused save), or null when it was deleted.
   * @param {string} id
   */
  const fresh = async (id) => (await gql(`{ roles { ${ROLE_FIELDS} } }`)).roles.find((/** @type {any} */ r) => r.id === id) ?? null;
  /** @param {any} [role] the role to edit, with the version its form sends back as expectedVersion */
  const editor = (role) => {
    editing = role?.id ?? null;
    const name = field("Name", { required: true, value: role?.name ?? "", id: "role-name" }, role?.builtIn ? "Built-in roles keep their name." : "Matched by the IdP's roles attribute (case-insensitive).");
    if (role?.builtIn) name.input.readOnly = true;
    const description = field("Description", { value: role?.description ?? "", id: "role-description" });
    const permissions = field("Permissions", { value: (role?.permissions ?? []).join(", "), id: "role-permissions", spellcheck: "false" }, "Comma-separated, e.g. courses:read, reports:write");
    const save = h("button", { type: "submit", class: "btn btn-primary" }, role ? "Save role" : "Create role");
    const cancel = h("button", { type: "button", class: "btn", onclick: close }, "Cancel");
    const title = h("h2", null, role ? `Edit role ${role.name}` : "New role");
    const reload = () => reloadForm({ status, noun: "role", name: role.name, fresh: () => fresh(role.id), load, close, open: editor, label: (now) => now.name });
    const form = h(
      "form",
      {
        class: "card stack",
        "aria-label": role ? `Edit role ${role.name}` : "New role",
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          void busy(save, status, role ? "Could not save the role" : "Could not create the role", async () => {
            const input = { name: role?.builtIn ? undefined : name.input.value.trim(), description: description.input.value.trim() || null, permissions: listOf(permissions.input.value) };
            if (!role) {
              await gql(`mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`, { input });
              status.ok(`Role ${input.name} created.`);
              close();
              await load();
              return;
            }
            const saved = await unlessStale(status, "role", reload, async () => (await gql(`mutation($id: ID!, $input: UpdateRoleInput!, $v: Int) { updateRole(id: $id, input: $input, expectedVersion: $v) { ${ROLE_FIELDS} } }`, { id: role.id, input, v: role.version })).updateRole);
            if (!saved) return;
            // The form stays open on the role as saved: its next save expects this version.
            role = saved;
            title.textContent = `Edit role ${saved.name}`;
            form.setAttribute("aria-label", `Edit role ${saved.name}`);
            status.ok(`Role ${saved.name} saved.`);
            await load();
          });
        },
      },
      title,
      h("div", { class: "grid-2" }, name.el, description.el),
      permissions.el,
      h("div", { class: "actions" }, save, cancel),
    );
    replace(editSlot, form);
    name.input.focus();
  };
  const newButton = () => h("button", { type: "button", class: "btn btn-primary", onclick: () => editor() }, "New role");
  replace(editSlot, newButton());
  replace(main, pageHeader("Directory"), tabs("roles"), h("p", { class: "muted" }, "Roles a user holds, from the IdP's roles attribute or assigned here. admin gives access to this console."), list.el, status.el, editSlot);
  await load();
}

const FIELD_FIELDS = "id key label type options multiValued managedBy version";

/** @param {HTMLElement} main */
async function fields(main) {
  const status = statusLine();
  const list = table("Custom fields", ["Key", "Label", "Type", "Options", "Multi-valued", "Actions"]);
  const editSlot = h("div");
  /** The key of the definition whose form is open, if any. */
  let editing = /** @type {string | null} */ (null);
  const close = () => {
    editing = null;
    replace(editSlot, newButton());
  };
  const load = async () => {
    list.loading();
    try {
      const defs = (await gql(`{ customFieldDefinitions { ${FIELD_FIELDS} } }`)).customFieldDefinitions;
      list.rows(
        defs.map((/** @type {any} */ d) =>
          h(
            "tr",
            null,
            h("th", { scope: "row", class: "mono" }, d.key),
            h("td", null, d.label),
            h("td", null, d.type),
            h("td", null, d.options?.length ? d.options.join(", ") : h("span", { class: "muted" }, "—")),
            h("td", null, d.multiValued ? "yes" : "no"),
            h(
              "td",
              { class: "row-actions" },
              h("button", { type: "button", class: "btn btn-small", "aria-label": `Edit field ${d.key}`, onclick: () => editor(d) }, "Edit"),
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn-small btn-danger",
                  "aria-label": `Delete field ${d.key}`,
                  onclick: (/** @type {Event} */ e) => {
                    if (!confirm(`Delete the field "${d.key}"? Every user's value of it is deleted too.`)) return;
                    void busy(/** @type {HTMLButtonElement} */ (e.currentTarget), status, "Could not delete the field", async () => {
                      await gql(`mutation($key: String!) { deleteCustomField(key: $key) }`, { key: d.key });
                      status.ok(`Field ${d.key} deleted.`);
                      if (editing === d.key) close();
                      await load();
                    });
                  },
                },
                "Delete",
              ),
            ),
          ),
        ),
        "No custom field. Define one to receive it from the IdP in the SCIM extension schema.",
      );
    } catch (err) {
      list.failed(err);
    }
  };
  /**
   * The definition as it is now (a reload after a refused save), or null when it was deleted.
   * @param {string} key
   */
  const fresh = async (key) => (await gql(`{ customFieldDefinitions { ${FIELD_FIELDS} } }`)).customFieldDefinitions.find((/** @type {any} */ d) => d.key === key) ?? null;
  /** @param {any} [def] the definition to edit, with the version its form sends back as expectedVersion */
  const editor = (def) => {
    editing = def?.key ?? null;
    const key = field("Key", { required: !def, value: def?.key ?? "", id: "field-key", spellcheck: "false", pattern: "[A-Za-z][A-Za-z0-9_]*" }, def ? "The key cannot change." : "The SCIM attribute name, e.g. area or custom_1");
    if (def) key.input.readOnly = true;
    const label = field("Label", { value: def?.label ?? "", id: "field-label" });
    const type = select("Type", [["string", "Text"], ["number", "Number"], ["boolean", "Yes/no"], ["date", "Date"], ["enum", "One of a list"]], { id: "field-type", value: def?.type ?? "string", disabled: !!def });
    const options = field("Options", { value: (def?.options ?? []).join(", "), id: "field-options" }, "For a list: the allowed values, comma-separated.");
    const multi = checkbox("Multi-valued", def?.multiValued ?? false, { id: "field-multi" });
    const managedBy = select("Managed by", [["identityProvider", "The identity provider (SCIM)"], ["product", "This product (SCIM leaves it as it is)"]], { id: "field-managed-by", value: def?.managedBy ?? "identityProvider" },
      "Okta's profile pushes replace the whole user: unless the field is managed here, values set here are removed by the next push when Okta sends none.");
    const save = h("button", { type: "submit", class: "btn btn-primary" }, def ? "Save field" : "Define field");
    const reload = () => reloadForm({ status, noun: "field", name: def.key, fresh: () => fresh(def.key), load, close, open: editor, label: (now) => now.key });
    replace(
      editSlot,
      h(
        "form",
        {
          class: "card stack",
          "aria-label": def ? `Edit field ${def.key}` : "New custom field",
          onsubmit: (/** @type {Event} */ e) => {
            e.preventDefault();
            void busy(save, status, def ? "Could not save the field" : "Could not define the field", async () => {
              const opts = listOf(options.input.value);
              if (!def) {
                await gql(`mutation($input: DefineCustomFieldInput!) { defineCustomField(input: $input) { id } }`, { input: { key: key.input.value.trim(), label: label.input.value.trim() || null, type: type.input.value, options: type.input.value === "enum" ? opts : null, multiValued: multi.input.checked, managedBy: managedBy.input.value } });
                status.ok(`Field ${key.input.value.trim()} defined.`);
                close();
                await load();
                return;
              }
              const input = { label: label.input.value.trim() || null, options: def.type === "enum" ? opts : null, multiValued: multi.input.checked, managedBy: managedBy.input.value };
              const saved = await unlessStale(status, "custom field", reload, async () => (await gql(`mutation($key: String!, $input: UpdateCustomFieldInput!, $v: Int) { updateCustomField(key: $key, input: $input, expectedVersion: $v) { ${FIELD_FIELDS} } }`, { key: def.key, input, v: def.version })).updateCustomField);
              if (!saved) return;
              // The form stays open on the definition as saved: its next save expects this version.
              def = saved;
              status.ok(`Field ${def.key} saved.`);
              await load();
            });
          },
        },
        h("h2", null, def ? `Edit field ${def.key}` : "New custom field"),
        h("div", { class: "grid-2" }, key.el, label.el, type.el, options.el),
        multi.el,
        managedBy.el,
        h("div", { class: "actions" }, save, h("button", { type: "button", class: "btn", onclick: close }, "Cancel")),
      ),
    );
    (def ? label.input : key.input).focus();
  };
  const newButton = () => h("button", { type: "button", class: "btn btn-primary", onclick: () => editor() }, "New field");
  replace(editSlot, newButton());
  replace(main, pageHeader("Directory"), tabs("fields"), h("p", { class: "muted" }, "Extension attributes of users, sent by the IdP in the SCIM extension schema and shown on each user."), list.el, status.el, editSlot);
  await load();
}
