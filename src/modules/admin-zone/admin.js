// The /admin zone: a small page over the same API everyone uses, no framework, no inline script.
"use strict";

const main = document.getElementById("main");
const tokens = {
  get access() { return sessionStorage.getItem("authd.access"); },
  get refresh() { return sessionStorage.getItem("authd.refresh"); },
  set(pair) {
    sessionStorage.setItem("authd.access", pair.access_token);
    sessionStorage.setItem("authd.refresh", pair.refresh_token);
  },
  clear() {
    sessionStorage.removeItem("authd.access");
    sessionStorage.removeItem("authd.refresh");
  },
};
let me = null;

/** Builds an element: el("p", {class: "x"}, "text", child…). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** The API, with the access token, refreshed once on a 401. */
async function api(method, path, body) {
  const send = () =>
    fetch(path, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(tokens.access ? { authorization: `Bearer ${tokens.access}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let response = await send();
  if (response.status === 401 && tokens.refresh) {
    const refreshed = await fetch("/api/refresh/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh_token: tokens.refresh }) });
    if (refreshed.ok) {
      tokens.set(await refreshed.json());
      response = await send();
    }
  }
  if (response.status === 401) {
    tokens.clear();
    location.hash = "#/login";
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}

const canWrite = () => Boolean(me && me.is_superuser);
const notice = (text, bad = false) => el("p", { class: bad ? "notice bad" : "notice", role: "status" }, text);
const fieldError = (errors, name) => (errors && errors[name] ? el("div", { class: "error", "data-error-for": name }, errors[name].join(" ")) : null);

function render(...nodes) {
  main.replaceChildren(...nodes);
  document.getElementById("nav").hidden = !me;
  document.getElementById("who").textContent = me ? `${me.email} (${me.is_superuser ? "superuser" : "staff, read-only"})` : "";
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", location.hash.startsWith(link.getAttribute("href")));
}

function loginView(message) {
  const form = el(
    "form",
    { id: "login-form" },
    el("h1", {}, "Sign in"),
    message ? notice(message, true) : null,
    el("label", { for: "email" }, "Email"),
    el("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true }),
    el("label", { for: "password" }, "Password"),
    el("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    el("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/login/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: form.email.value, password: form.password.value }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) return loginView(data.detail || "Sign-in failed.");
    tokens.set(data);
    const profile = await api("GET", "/api/me/");
    if (!profile.ok || !(profile.data.is_staff || profile.data.is_superuser)) {
      await fetch("/api/logout/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh_token: tokens.refresh }) });
      tokens.clear();
      me = null;
      return loginView("This account is not staff: the admin zone is for staff and superusers.");
    }
    me = profile.data;
    location.hash = "#/settings";
    route();
  });
  render(el("section", {}, form));
}

async function settingsView(saved, errors) {
  const [current, spec] = await Promise.all([api("GET", "/api/admin/config/"), fetch("/api-doc/json").then((r) => r.json())]);
  if (!current.ok) return render(notice(current.data?.detail || "Only superusers may see the settings.", true));
  const schema = spec.paths["/api/admin/config/"].patch.requestBody.content["application/json"].schema.properties;
  // novalidate: the server's message, beside the field, says what is allowed.
  const form = el("form", { id: "settings-form", novalidate: true }, el("h1", {}, "Runtime settings"), saved ? notice("Saved. New tokens follow at once, on every instance within seconds.") : null);
  for (const [key, value] of Object.entries(current.data)) {
    const field = schema[key] || {};
    const bounds = field.type === "boolean" ? "true or false" : `${field.minimum} – ${field.maximum}`;
    const input =
      field.type === "boolean"
        ? el("input", { type: "checkbox", id: key, name: key, checked: value, disabled: !canWrite() })
        : el("input", { type: "number", id: key, name: key, value, min: field.minimum, max: field.maximum, step: 1, disabled: !canWrite() });
    const label = el("label", { for: key }, key, " ", el("span", { class: "hint" }, `(${bounds}) ${field.description || ""}`));
    form.append(...[label, input, fieldError(errors, key)].filter(Boolean));
  }
  if (canWrite()) form.append(el("button", { type: "submit" }, "Save settings"));
  else form.append(el("p", { class: "readonly" }, "Read-only: only superusers change settings."));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {};
    for (const [key, value] of Object.entries(current.data)) {
      const input = form.elements[key];
      const next = typeof value === "boolean" ? input.checked : input.value === "" ? input.value : Number(input.value);
      if (next !== value) changes[key] = next;
    }
    const response = await api("PATCH", "/api/admin/config/", changes);
    settingsView(response.ok, response.ok ? null : response.data?.fields || { [Object.keys(changes)[0] || "access_token_lifetime"]: [response.data?.detail] });
  });
  render(el("section", {}, form));
}

async function usersView(params) {
  const query = params.get("query") || "";
  const offset = Number(params.get("offset") || 0);
  const limit = 20;
  const response = await api("GET", `/api/admin/users/?query=${encodeURIComponent(query)}&limit=${limit}&offset=${offset}`);
  if (!response.ok) return render(notice(response.data?.detail || "Could not list users.", true));
  const search = el(
    "form",
    { id: "user-search", class: "row" },
    el("div", {}, el("label", { for: "query" }, "Search"), el("input", { type: "search", id: "query", name: "query", value: query, placeholder: "email, username or name" })),
    el("div", {}, el("button", { type: "submit" }, "Search")),
  );
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/users?query=${encodeURIComponent(search.query.value)}`;
  });
  const rows = response.data.results.map((user) =>
    el(
      "tr",
      { "data-user-id": user.id },
      el("td", {}, el("a", { href: `#/users/${user.id}` }, user.email)),
      el("td", { class: "wide" }, user.username || "—"),
      el("td", {}, user.is_active ? "active" : "inactive"),
      el("td", { class: "wide" }, user.is_superuser ? "superuser" : user.is_staff ? "staff" : ""),
    ),
  );
  const page = (to) => `#/users?query=${encodeURIComponent(query)}&offset=${to}`;
  const sections = [
    el("section", {}, el("h1", {}, "Users"), search),
    el(
      "section",
      {},
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Email"), el("th", { class: "wide" }, "Username"), el("th", {}, "Status"), el("th", { class: "wide" }, "Role"))), el("tbody", {}, rows)),
      el(
        "div",
        { class: "pager" },
        offset > 0 ? el("a", { href: page(Math.max(0, offset - limit)) }, "← Previous") : null,
        el("span", {}, `${response.data.count ? offset + 1 : 0}–${offset + rows.length} of ${response.data.count}`),
        offset + limit < response.data.count ? el("a", { href: page(offset + limit) }, "Next →") : null,
      ),
    ),
  ];
  if (canWrite()) sections.push(createUserSection());
  render(...sections);
}

function createUserSection(errors) {
  const form = el(
    "form",
    { id: "create-user", novalidate: true },
    el("h2", {}, "Create a user"),
    el("label", { for: "new-email" }, "Email"),
    el("input", { type: "email", id: "new-email", name: "email", required: true }),
    fieldError(errors, "email"),
    el("label", { for: "new-password" }, "Password ", el("span", { class: "hint" }, "(8 – 128 characters)")),
    el("input", { type: "password", id: "new-password", name: "password", required: true, autocomplete: "new-password" }),
    fieldError(errors, "password"),
    el("label", {}, el("input", { type: "checkbox", name: "is_staff" }), "Staff"),
    el("label", {}, el("input", { type: "checkbox", name: "is_superuser" }), "Superuser"),
    el("button", { type: "submit" }, "Create"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await api("POST", "/api/admin/users/", {
      email: form.email.value,
      password: form.password.value,
      is_staff: form.is_staff.checked,
      is_superuser: form.is_superuser.checked,
    });
    if (response.ok) location.hash = `#/users/${response.data.id}`;
    else form.replaceWith(createUserSection(response.data?.fields || { email: [response.data?.detail] }));
  });
  return el("section", {}, form);
}

async function userView(id, message, errors) {
  const [user, sessions, lockout] = await Promise.all([
    api("GET", `/api/admin/users/${id}/`),
    api("GET", `/api/admin/users/${id}/sessions/?limit=500`),
    api("GET", `/api/admin/users/${id}/lockout/`),
  ]);
  if (!user.ok) return render(notice(user.data?.detail || "No such user.", true));
  const u = user.data;
  const writable = canWrite();
  const text = (name, label, type = "text") => [
    el("label", { for: name }, label),
    el("input", { type, id: name, name, value: u[name] ?? "", disabled: !writable }),
    fieldError(errors, name),
  ];
  const flag = (name, label) => el("label", {}, el("input", { type: "checkbox", name, checked: u[name], disabled: !writable }), label);
  const form = el(
    "form",
    { id: "user-form", novalidate: true },
    el("h1", {}, u.email),
    message ? notice(message) : null,
    text("email", "Email", "email"),
    text("username", "Username"),
    text("first_name", "First name"),
    text("last_name", "Last name"),
    flag("is_active", "Active"),
    flag("is_staff", "Staff"),
    flag("is_superuser", "Superuser"),
    flag("email_verified", "Email verified"),
    fieldError(errors, "non_field_errors"),
    el("p", { class: "hint" }, `Joined ${u.date_joined}; last login ${u.last_login || "never"}.`),
    writable ? el("button", { type: "submit" }, "Save") : el("p", { class: "readonly" }, "Read-only: only superusers change users."),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    for (const name of ["email", "username", "first_name", "last_name"]) if (form.elements[name].value !== (u[name] ?? "")) body[name] = form.elements[name].value;
    for (const name of ["is_active", "is_staff", "is_superuser", "email_verified"]) if (form.elements[name].checked !== u[name]) body[name] = form.elements[name].checked;
    const response = await api("PATCH", `/api/admin/users/${id}/`, body);
    userView(id, response.ok ? "Saved." : null, response.ok ? null : response.data?.fields || { non_field_errors: [response.data?.detail] });
  });

  const sections = [el("section", {}, form)];
  if (writable) {
    const password = el(
      "form",
      { id: "set-password", novalidate: true },
      el("h2", {}, "Set a password"),
      el("label", { for: "set-password-input" }, "New password ", el("span", { class: "hint" }, "(8 – 128 characters; ends the user's sessions)")),
      el("input", { type: "password", id: "set-password-input", name: "password", autocomplete: "new-password" }),
      fieldError(errors, "password"),
      el("button", { type: "submit" }, "Set password"),
    );
    password.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await api("PATCH", `/api/admin/users/${id}/`, { password: password.password.value });
      userView(id, response.ok ? "Password set; the user's sessions have ended." : null, response.ok ? null : response.data?.fields);
    });
    const remove = el("button", { type: "button", class: "danger", id: "delete-user" }, "Delete user…");
    remove.addEventListener("click", () => {
      const confirmDelete = el("button", { type: "button", class: "danger", id: "confirm-delete" }, `Really delete ${u.email}`);
      confirmDelete.addEventListener("click", async () => {
        const response = await api("DELETE", `/api/admin/users/${id}/`);
        if (response.ok) location.hash = "#/users";
        else userView(id, null, { non_field_errors: [response.data?.detail] });
      });
      remove.replaceWith(confirmDelete);
    });
    sections.push(el("section", {}, password), el("section", {}, el("h2", {}, "Delete"), el("p", { class: "hint" }, "Deleting ends every token of the user. It cannot be undone."), remove));
  }
  const sessionRows = (sessions.data || []).map((session) =>
    el("tr", {}, el("td", {}, session.user_agent || "—"), el("td", {}, session.ip || "—"), el("td", { class: "wide" }, session.last_used_at)),
  );
  const sessionSection = el(
    "section",
    { id: "sessions" },
    el("h2", {}, `Sessions (${sessionRows.length})`),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Device"), el("th", {}, "IP"), el("th", { class: "wide" }, "Last used"))), el("tbody", {}, sessionRows)),
  );
  if (writable && sessionRows.length) {
    const revoke = el("button", { type: "button", class: "secondary", id: "revoke-sessions" }, "Revoke all sessions");
    revoke.addEventListener("click", async () => {
      await api("DELETE", `/api/admin/users/${id}/sessions/`);
      userView(id, "Every session has been revoked.");
    });
    sessionSection.append(revoke);
  }
  sections.push(sessionSection, lockoutSection(id, lockout.data, writable));
  render(...sections);
}

/** Failed sign-ins counted against the user, the lock-out they caused, and (superusers) a way to lift it. */
function lockoutSection(id, lockout, writable) {
  if (!lockout) return null;
  const state = lockout.locked_until
    ? `Signing in is refused until ${lockout.locked_until}: ${lockout.failures} failed sign-ins, from ${lockout.networks_with_failures} network(s).`
    : lockout.failures || lockout.networks_with_failures
      ? `Not locked out; ${lockout.failures} failed sign-ins in the current window.`
      : "Not locked out; no failed sign-ins in the current window.";
  const section = el("section", { id: "lockout" }, el("h2", {}, "Sign-in lock-out"), el("p", { id: "lockout-state" }, state));
  if (writable && (lockout.locked_until || lockout.failures || lockout.networks_with_failures)) {
    const lift = el("button", { type: "button", class: "secondary", id: "lift-lockout" }, "Lift lock-out");
    lift.addEventListener("click", async () => {
      const response = await api("DELETE", `/api/admin/users/${id}/lockout/`);
      userView(id, response.ok ? "Lock-out lifted: the user can sign in again." : null, response.ok ? null : { non_field_errors: [response.data?.detail] });
    });
    section.append(lift);
  }
  return section;
}

async function auditView(params) {
  const offset = Number(params.get("offset") || 0);
  const limit = 25;
  const response = await api("GET", `/api/admin/audit/?limit=${limit}&offset=${offset}`);
  if (!response.ok) return render(notice(response.data?.detail || "Could not read the audit log.", true));
  const rows = response.data.results.map((entry) =>
    el(
      "tr",
      {},
      el("td", {}, entry.at),
      el("td", {}, entry.action, el("br"), el("span", { class: "hint" }, entry.target)),
      el("td", { class: "wide" }, entry.actor_id ?? "—", el("br"), el("span", { class: "hint" }, entry.ip || "")),
      el("td", { class: "wide" }, el("pre", {}, JSON.stringify({ before: entry.before, after: entry.after }, null, 1))),
    ),
  );
  render(
    el(
      "section",
      {},
      el("h1", {}, "Audit log"),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "When"), el("th", {}, "Action"), el("th", { class: "wide" }, "Who"), el("th", { class: "wide" }, "Change"))), el("tbody", {}, rows)),
      el(
        "div",
        { class: "pager" },
        offset > 0 ? el("a", { href: `#/audit?offset=${Math.max(0, offset - limit)}` }, "← Newer") : null,
        el("span", {}, `${response.data.count} entries`),
        offset + limit < response.data.count ? el("a", { href: `#/audit?offset=${offset + limit}` }, "Older →") : null,
      ),
    ),
  );
}

async function route() {
  const [path, search = ""] = location.hash.slice(1).split("?");
  const params = new URLSearchParams(search);
  if (!tokens.access || path === "/login") return loginView();
  if (!me) {
    const profile = await api("GET", "/api/me/");
    if (!profile.ok || !(profile.data.is_staff || profile.data.is_superuser)) {
      tokens.clear();
      return loginView();
    }
    me = profile.data;
  }
  const user = path.match(/^\/users\/(\d+)$/);
  if (user) return userView(user[1]);
  if (path === "/users") return usersView(params);
  if (path === "/audit") return auditView(params);
  return settingsView();
}

document.getElementById("sign-out").addEventListener("click", async () => {
  if (tokens.refresh) await fetch("/api/logout/", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh_token: tokens.refresh }) });
  tokens.clear();
  me = null;
  location.hash = "#/login";
});
window.addEventListener("hashchange", route);
route();
