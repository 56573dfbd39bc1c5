// Small helpers of the admin console: DOM building, the GraphQL client, errors, copy buttons, paging.
// Plain ES modules served as they are (no bundler); type-checked by tsconfig.admin.json (checkJs).

/** @typedef {Node | string | number | null | undefined | false} Leaf */
/** @typedef {Leaf | Leaf[] | Leaf[][]} Child */
/** @typedef {Record<string, unknown>} Props */

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "indeterminate", "readOnly", "required"]);

/**
 * Builds an element: `h("button", { class: "x", onclick: fn }, "Label")`.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === "class") {
      el.className = String(value);
    } else if (PROPERTIES.has(key)) {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

// Explicit bidi formatting characters: embeddings, overrides and isolates (U+202A–202E, U+2066–2069).
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text with its explicit bidi formatting characters shown as code points: "\u202Eevil\u202C" would
 * read "live". For text shown outside the page (a confirm dialog); `append` applies it to all text.
 * @param {string} text
 */
export function visibleBidi(text) {
  return text.replace(BIDI_CONTROLS, (c) => `[U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()}]`);
}

/**
 * @param {Element | DocumentFragment} parent
 * @param {Child[]} children
 */
export function append(parent, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (typeof c === "string") {
      // Every text is a <bdi> of its own: names, paths and values from the directory (and its IdP)
      // take their direction from their own letters and never reorder the text around them.
      const bdi = document.createElement("bdi");
      bdi.textContent = visibleBidi(c);
      parent.append(bdi);
    } else parent.append(typeof c === "number" ? String(c) : c);
  }
}

/**
 * Replaces an element's content.
 * @param {Element} el
 * @param {...Child} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

let idCounter = 0;
/** @param {string} prefix */
export const uid = (prefix) => `${prefix}-${++idCounter}`;

// ---------------------------------------------------------------------------------------------
// GraphQL

const TOKEN_KEY = "roster.admin.token";

/** The admin token of a bootstrap sign-in (this tab only); null when the SSO session is used. */
export const auth = {
  /** @returns {string | null} */
  token: () => sessionStorage.getItem(TOKEN_KEY),
  /** @param {string | null} value */
  setToken(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** An error with the GraphQL code (or NETWORK_ERROR / HTTP_nnn) to show the administrator. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {string} code
   * @param {string} [field]
   * @param {{ reason?: string, currentVersion?: number, fields?: { field: string, message: string }[] }} [extensions] a CONFLICT's reason (VERSION_MISMATCH) and the version the object is at; BAD_USER_INPUT's every invalid field
   */
  constructor(message, code, field, extensions = {}) {
    super(message);
    this.code = code;
    this.field = field;
    this.reason = extensions.reason;
    this.currentVersion = extensions.currentVersion;
    /** Every invalid field the API named (at least `field`'s), for a form to mark them all. */
    this.fields = extensions.fields ?? (field ? [{ field, message }] : []);
  }
}

/** @type {((err: ApiError) => void) | null} */
let onSessionRefused = null;
/**
 * Called when the API refuses the caller rather than the request: UNAUTHENTICATED (no session or
 * token), or FORBIDDEN without a field (the admin role is missing: the session may not administer).
 * A FORBIDDEN that names a field is a rule about the data (a built-in role cannot be renamed).
 * @param {(err: ApiError) => void} fn
 */
export function whenSessionRefused(fn) {
  onSessionRefused = fn;
}

/**
 * Runs a GraphQL operation against /graphql (bearer token or the session cookie).
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @returns {Promise<any>}
 */
export async function gql(query, variables) {
  /** @type {Record<string, string>} */
  const headers = { "content-type": "application/json", accept: "application/json" };
  const token = auth.token();
  if (token) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch("/graphql", { method: "POST", headers, credentials: "same-origin", body: JSON.stringify({ query, variables }) });
  } catch (err) {
    throw new ApiError(`Roster could not be reached (${err instanceof Error ? err.message : String(err)}). Check your connection and try again.`, "NETWORK_ERROR");
  }
  /** @type {{ data?: any, errors?: { message: string, extensions?: { code?: string, field?: string, reason?: string, currentVersion?: number, fields?: { field: string, message: string }[] } }[] }} */
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`Roster answered HTTP ${res.status} ${res.statusText} without a GraphQL response.`, `HTTP_${res.status}`);
  }
  const first = body.errors?.[0];
  if (first) {
    const err = new ApiError(first.message, first.extensions?.code ?? "GRAPHQL_ERROR", first.extensions?.field, first.extensions);
    if ((err.code === "UNAUTHENTICATED" || (err.code === "FORBIDDEN" && !err.field)) && onSessionRefused) onSessionRefused(err);
    throw err;
  }
  if (!body.data) throw new ApiError(`Roster answered HTTP ${res.status} without data.`, `HTTP_${res.status}`);
  return body.data;
}

// ---------------------------------------------------------------------------------------------
// Messages

/**
 * A clear error: the message, the code (and the field when the API names one).
 * @param {unknown} err
 * @param {string} [doing] what failed, e.g. "Could not create the token"
 */
export function errorBox(err, doing) {
  const e = err instanceof ApiError ? err : new ApiError(err instanceof Error ? err.message : String(err), "CLIENT_ERROR");
  return h(
    "div",
    { class: "alert alert-error", role: "alert" },
    h("strong", null, doing ? `${doing}: ` : "Error: "),
    // Several invalid fields: one line each, so none hides in a long sentence.
    e.fields.length > 1 ? h("span", { class: "alert-message" }, `${e.fields.length} fields are invalid`) : h("span", { class: "alert-message" }, e.message),
    " ",
    h("code", { class: "alert-code" }, e.code),
    e.fields.length > 1
      ? h("ul", { class: "alert-fields" }, e.fields.map((f) => h("li", null, h("span", { class: "alert-field" }, f.field), `: ${f.message}`)))
      : e.field
        ? h("span", { class: "alert-field" }, ` (field: ${e.field})`)
        : null,
  );
}

/**
 * Whether a write was refused because the object changed since the form read its version
 * (CONFLICT, reason VERSION_MISMATCH): someone else saved it in between.
 * @param {unknown} err
 * @returns {err is ApiError}
 */
const isStale = (err) => err instanceof ApiError && err.reason === "VERSION_MISMATCH";

/**
 * A stale write, in the error style: what happened, the version the object is at now, and a button
 * that reloads it (the form keeps what the administrator typed until then).
 * @param {ApiError} err
 * @param {string} what e.g. "role", "custom field", "organisation"
 * @param {() => Promise<void> | void} reload
 */
function staleBox(err, what, reload) {
  const now = err.currentVersion != null ? ` (now version ${err.currentVersion})` : "";
  const button = h("button", { type: "button", class: "btn btn-small" }, `Reload the ${what}`);
  button.addEventListener("click", () => void reload());
  return h(
    "div",
    { class: "alert alert-error", role: "alert" },
    h("strong", null, "Not saved: "),
    h("span", { class: "alert-message" }, `This ${what} was changed by someone else since you opened it${now}. Reload to see the change; what you entered here is kept until you do.`),
    " ",
    h("code", { class: "alert-code" }, err.code),
    " ",
    button,
  );
}

/**
 * Runs a write that sends the form's version; refused as stale, it shows so on the status line (with
 * a button that reloads) and answers undefined, leaving the form as the administrator left it.
 * Other errors are thrown.
 * @template T
 * @param {{ stale(err: ApiError, what: string, reload: () => Promise<void> | void): void }} status
 * @param {string} what
 * @param {() => Promise<void> | void} reload
 * @param {() => Promise<T>} write
 * @returns {Promise<T | undefined>}
 */
export async function unlessStale(status, what, reload, write) {
  try {
    return await write();
  } catch (err) {
    if (!isStale(err)) throw err;
    status.stale(err, what, reload);
    return undefined;
  }
}

/** A status line that screen readers announce; keeps its height so nothing jumps. */
export function statusLine() {
  const el = h("div", { class: "status-line", role: "status", "aria-live": "polite" });
  return {
    el,
    /** @param {string} text */
    ok(text) {
      replace(el, h("span", { class: "alert-ok" }, text));
    },
    /** @param {unknown} err @param {string} [doing] */
    error(err, doing) {
      replace(el, errorBox(err, doing));
    },
    /** @param {ApiError} err @param {string} what @param {() => Promise<void> | void} reload */
    stale(err, what, reload) {
      replace(el, staleBox(err, what, reload));
    },
    clear() {
      el.replaceChildren();
    },
  };
}

/** @param {string} text */
export function announce(text) {
  const live = document.getElementById("announcer");
  if (live) {
    live.textContent = "";
    setTimeout(() => (live.textContent = text), 30);
  }
}

// ---------------------------------------------------------------------------------------------
// Copy

/**
 * A read-only value with a Copy button.
 * @param {string} label
 * @param {string} value
 * @param {{ id?: string, secret?: boolean }} [opts]
 */
export function copyField(label, value, opts = {}) {
  const id = opts.id ?? uid("copy");
  const input = h("input", { id, class: "copy-input mono", type: "text", readonly: true, value, spellcheck: "false", "data-copy-value": true });
  input.addEventListener("focus", () => input.select());
  const button = copyButton(() => input.value, label);
  return h("div", { class: "field" }, h("label", { for: id }, label), h("div", { class: "copy-row" }, input, button));
}

/**
 * @param {() => string} read
 * @param {string} what
 */
export function copyButton(read, what) {
  const button = h("button", { type: "button", class: "btn btn-small", "aria-label": `Copy ${what}` }, "Copy");
  button.addEventListener("click", async () => {
    const text = read();
    let ok;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      // Clipboard API refused (http, permissions): fall back to a selection copy.
      const area = h("textarea", { class: "visually-hidden", "aria-hidden": "true" });
      area.value = text;
      document.body.append(area);
      area.select();
      ok = document.execCommand("copy");
      area.remove();
    }
    button.textContent = ok ? "Copied" : "Select and copy";
    announce(ok ? `${what} copied to the clipboard` : `Could not copy ${what}: select it and press Ctrl+C`);
    setTimeout(() => (button.textContent = "Copy"), 2000);
  });
  return button;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** @param {string | null | undefined} iso */
export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** @param {string | null | undefined} iso */
export function timeCell(iso) {
  return iso ? h("time", { datetime: iso, title: iso }, dateTime(iso)) : h("span", { class: "muted" }, "—");
}

/**
 * @param {string} text
 * @param {"ok" | "bad" | "warn" | "neutral"} kind
 */
export function badge(text, kind) {
  return h("span", { class: `badge badge-${kind}` }, text);
}

/** @param {unknown} value */
export function json(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

// ---------------------------------------------------------------------------------------------
// Forms

/**
 * A labelled input.
 * @param {string} label
 * @param {Props} [props]
 * @param {string} [hint]
 */
export function field(label, props = {}, hint) {
  const id = /** @type {string} */ (props.id ?? uid("f"));
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h("input", { type: "text", ...props, id, "aria-describedby": hintId });
  return {
    input,
    el: h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "hint", id: hintId }, hint) : null),
  };
}

/**
 * A labelled select.
 * @param {string} label
 * @param {[string, string][]} options value, text
 * @param {Props} [props]
 * @param {string} [hint]
 */
export function select(label, options, props = {}, hint) {
  const id = /** @type {string} */ (props.id ?? uid("s"));
  const hintId = hint ? `${id}-hint` : undefined;
  const sel = h("select", { ...props, id, "aria-describedby": hintId }, options.map(([v, t]) => h("option", { value: v }, t)));
  if (props.value != null) sel.value = String(props.value);
  return { input: sel, el: h("div", { class: "field" }, h("label", { for: id }, label), sel, hint ? h("p", { class: "hint", id: hintId }, hint) : null) };
}

/**
 * A labelled checkbox (role=switch when `asSwitch`).
 * @param {string} label
 * @param {boolean} checked
 * @param {{ asSwitch?: boolean, hint?: string, id?: string }} [opts]
 */
export function checkbox(label, checked, opts = {}) {
  const id = opts.id ?? uid("c");
  const input = h("input", { type: "checkbox", id, checked, role: opts.asSwitch ? "switch" : undefined, "aria-describedby": opts.hint ? `${id}-hint` : undefined });
  return {
    input,
    el: h("div", { class: opts.asSwitch ? "check switch" : "check" }, input, h("label", { for: id }, label), opts.hint ? h("p", { class: "hint", id: `${id}-hint` }, opts.hint) : null),
  };
}

/**
 * Runs an action while its button is busy; errors go to the status line.
 * @param {HTMLButtonElement} button
 * @param {{ error(err: unknown, doing?: string): void, clear(): void }} status
 * @param {string} doing
 * @param {() => Promise<void>} action
 */
export async function busy(button, status, doing, action) {
  if (button.disabled) return;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  status.clear();
  try {
    await action();
  } catch (err) {
    status.error(err, doing);
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------------
// Tables and cursor paging

/**
 * A table whose body is replaced page by page; the loading state keeps the previous rows' height.
 * @param {string} caption
 * @param {string[]} headings
 */
export function table(caption, headings) {
  const tbody = h("tbody");
  const el = h(
    "div",
    { class: "table-wrap" },
    h("table", null, h("caption", { class: "visually-hidden" }, caption), h("thead", null, h("tr", null, headings.map((t) => h("th", { scope: "col" }, t)))), tbody),
  );
  return {
    el,
    tbody,
    /** @param {HTMLTableRowElement[]} rows @param {string} empty */
    rows(rows, empty) {
      if (!rows.length) replace(tbody, h("tr", null, h("td", { colspan: String(headings.length), class: "empty" }, empty)));
      else replace(tbody, rows);
      el.removeAttribute("aria-busy");
    },
    loading() {
      el.setAttribute("aria-busy", "true");
      if (!tbody.children.length) replace(tbody, h("tr", null, h("td", { colspan: String(headings.length), class: "empty" }, "Loading…")));
    },
    /** @param {unknown} err */
    failed(err) {
      el.removeAttribute("aria-busy");
      replace(tbody, h("tr", null, h("td", { colspan: String(headings.length) }, errorBox(err, "Could not load the list"))));
    },
  };
}

/**
 * Forward-only cursors with a stack for "Previous": every page is one indexed keyset query,
 * as fast on page 4,000 as on page 1.
 * The pager owns the list's rendering: only the answer to the latest request is shown, so a
 * slower answer to an earlier filter never overwrites a newer one.
 * @param {ReturnType<typeof table>} list
 * @param {(after: string | null) => Promise<{ rows: HTMLTableRowElement[], empty: string, count: number, hasNextPage: boolean, endCursor: string | null, totalCount: number }>} load rows to show (count: the items among them) and the page's cursor
 * @param {number} pageSize
 * @param {string} noun plural, e.g. "users"
 */
export function pager(list, load, pageSize, noun) {
  /** @type {(string | null)[]} */
  let stack = [null];
  let next = /** @type {string | null} */ (null);
  const prev = h("button", { type: "button", class: "btn btn-small", disabled: true }, "← Previous");
  const nextBtn = h("button", { type: "button", class: "btn btn-small", disabled: true }, "Next →");
  const info = h("span", { class: "pager-info", "aria-live": "polite" }, " ");
  const el = h("nav", { class: "pager", "aria-label": `Pages of ${noun}` }, prev, info, nextBtn);
  let seq = 0;
  const run = async () => {
    const mine = ++seq;
    prev.disabled = true;
    nextBtn.disabled = true;
    const page = stack.length - 1;
    list.loading();
    try {
      const r = await load(stack[page]);
      if (mine !== seq) return;
      list.rows(r.rows, r.empty);
      next = r.hasNextPage ? r.endCursor : null;
      const from = page * pageSize + (r.count ? 1 : 0);
      info.textContent = r.totalCount || page ? `${from.toLocaleString()}–${(page * pageSize + r.count).toLocaleString()} of ${r.totalCount.toLocaleString()} ${noun}` : `No ${noun}`;
      prev.disabled = page === 0;
      nextBtn.disabled = !next;
    } catch (err) {
      if (mine === seq) {
        list.failed(err);
        info.textContent = " ";
        prev.disabled = page === 0;
      }
    }
  };
  prev.addEventListener("click", () => {
    if (stack.length > 1) stack.pop();
    void run();
  });
  nextBtn.addEventListener("click", () => {
    if (next) stack.push(next);
    void run();
  });
  return {
    el,
    /** Back to the first page (new filter). */
    reset() {
      stack = [null];
      return run();
    },
    /** Reloads the current page. */
    reload: run,
  };
}

/**
 * @param {(...args: any[]) => void} fn
 * @param {number} ms
 */
export function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let t;
  return (/** @type {any[]} */ ...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/**
 * A page heading that takes focus after navigation (keyboard and screen-reader users land on it).
 * @param {string} text
 * @param {...Child} extra
 */
export function pageHeader(text, ...extra) {
  return h("div", { class: "page-header" }, h("h1", { tabindex: "-1", id: "page-title" }, text), ...extra);
}
