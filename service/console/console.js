// The support console: plain JavaScript, no build step, no library. Every action is a call of the
// service's public API (README, "Customers"), with the key the person signed in with sent as
// `Authorization: Bearer`, never in a URL. The key lives in sessionStorage: this tab only.
// Every value from the API reaches the page through textContent, never as HTML.
"use strict";

const KEY_STORAGE = "identity-console-api-key";
const EVENTS_PAGE_SIZE = 20;
// Past this many contacts the picture would be unreadable; the table still lists them all.
const MOST_CONTACTS_DRAWN = 40;
const SVG = "http://www.w3.org/2000/svg";

const EVENT_KINDS = {
  created_primary: "created (primary)",
  created_secondary: "created (secondary)",
  merged: "merged",
  relinked: "relinked",
  identifier_removed: "identifier removed",
  contact_deleted: "contact deleted",
  erased: "erased",
};
const IDENTIFIER_NAMES = { email: "email", phoneNumber: "phone number" };

const page = {};
let scope = null;

// ---- talking to the API ----

class ApiError extends Error {}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY_STORAGE) || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(`The service could not be reached (${error.message}). Check that it is running, then try again.`);
  }
  let document = null;
  try {
    document = await response.json();
  } catch (error) {
    // Not JSON: a proxy's error page, say. The status alone is then the message.
  }
  if (!response.ok) {
    const problem = new ApiError(document && document.detail
      ? `${document.title}: ${document.detail}`
      : `The service answered ${response.status} ${response.statusText} without an explanation.`);
    problem.status = response.status;
    problem.type = document && document.type ? document.type.split(":").pop() : null;
    throw problem;
  }
  return document;
}

// Which scope the key has, from one request that needs admin and cannot change anything:
// erasing contact 0, an id no contact ever has. The key is checked before the request
// (README, "API keys"), so a read key gets 403, an admin key the 400 for the invalid id,
// and a wrong key its 401.
async function scopeOfKey() {
  try {
    await api("DELETE", "/customers/0");
  } catch (error) {
    if (error.status === 403) return "read";
    if (error.status === 400) return "admin";
    throw error;
  }
  throw new ApiError("The service accepted erasing contact 0, which no contact has; is this the identity service?");
}

// ---- small DOM helpers ----

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function svgElement(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function showMessage(text, kind = "error") {
  page.message.textContent = text;
  page.message.className = `message ${kind}`;
  page.message.hidden = false;
}

function clearMessage() {
  page.message.hidden = true;
  page.message.textContent = "";
}

// Runs an action, showing any error as a message instead of leaving the page half-done.
async function guarded(action) {
  clearMessage();
  try {
    await action();
  } catch (error) {
    showMessage(error instanceof ApiError ? error.message : `Something went wrong in the page: ${error.message}`);
    if (error.status === 401) signOut({ keepMessage: true });
  }
}

function formatTime(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

function contactLabel(contact) {
  return `#${contact.id}`;
}

// ---- signing in ----

async function signIn(secret) {
  sessionStorage.setItem(KEY_STORAGE, secret);
  try {
    scope = await scopeOfKey();
  } catch (error) {
    sessionStorage.removeItem(KEY_STORAGE);
    throw error;
  }
  page.keyStatus.textContent = scope === "admin"
    ? "Signed in with an admin key: you can look customers up, remove identifiers and erase customers."
    : "Signed in with a read key: you can look customers up, but not change them.";
  page.keyStatus.className = `key-status ${scope}`;
  page.signIn.hidden = true;
  page.workspace.hidden = false;
  page.searchValue.focus();
}

function signOut({ keepMessage = false } = {}) {
  sessionStorage.removeItem(KEY_STORAGE);
  scope = null;
  page.keyStatus.textContent = "Not signed in.";
  page.keyStatus.className = "key-status";
  page.workspace.hidden = true;
  page.signIn.hidden = false;
  page.results.replaceChildren();
  page.outcome.replaceChildren();
  page.apiKey.value = "";
  if (!keepMessage) clearMessage();
  page.apiKey.focus();
}

// ---- searching ----

async function search(kind, value) {
  const trimmed = value.trim();
  if (kind === "contactId") {
    if (!/^[0-9]+$/.test(trimmed)) throw new ApiError("A contact id is a whole number, such as 42.");
    return [await api("GET", `/customers/${trimmed}`)];
  }
  const query = new URLSearchParams({ [kind]: trimmed });
  return (await api("GET", `/customers?${query}`)).customers;
}

function showCustomers(customers, summary) {
  page.outcome.replaceChildren(element("p", { class: "summary" }, summary));
  page.results.replaceChildren(...customers.map(renderCustomer));
}

function countCustomers(customers) {
  return customers.length === 1 ? "1 customer" : `${customers.length} customers`;
}

// ---- one customer ----

function renderCustomer(customer) {
  const primaryId = customer.contact.primaryContactId;
  const card = element("article", { class: "customer", "aria-labelledby": `customer-${primaryId}` });
  const graph = renderGraph(customer.contacts, primaryId);
  card.append(
    element("h3", { id: `customer-${primaryId}` }, `Customer ${primaryId}`),
    renderSummary(customer),
    renderContactsTable(customer.contacts),
    element("h4", {}, "How the contacts are linked"),
    graph.figure,
  );
  // Why two contacts are linked only means something when there are two.
  if (customer.contacts.length > 1) card.append(renderExplain(customer, graph));
  card.append(renderHistory(primaryId));
  if (scope === "admin") card.append(renderActions(customer));
  return card;
}

function renderSummary(customer) {
  const { primaryContactId, emails, phoneNumbers, secondaryContactIds } = customer.contact;
  const list = element("dl", { class: "summary-list" });
  const add = (term, description) => list.append(element("dt", {}, term), element("dd", {}, description));
  add("Primary contact", `#${primaryContactId}`);
  add("Emails", emails.join(", ") || "none");
  add("Phone numbers", phoneNumbers.join(", ") || "none");
  add("Secondary contacts", secondaryContactIds.map((id) => `#${id}`).join(", ") || "none");
  return list;
}

function renderContactsTable(contacts) {
  const head = element("tr", {}, ...["Id", "Email", "Phone number", "Created", "Role"].map(
    (title) => element("th", { scope: "col" }, title)));
  const rows = contacts.map((contact) => element("tr", { class: contact.linkPrecedence },
    element("th", { scope: "row" }, contactLabel(contact)),
    element("td", {}, contact.email ?? "—"),
    element("td", {}, contact.phoneNumber ?? "—"),
    element("td", {}, element("time", { datetime: contact.createdAt }, formatTime(contact.createdAt))),
    element("td", {}, contact.linkPrecedence === "primary" ? "primary" : `secondary of #${contact.linkedId}`)));
  return element("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Contacts" },
    element("table", { class: "contacts" },
      element("caption", {}, "Contacts, the primary first"),
      element("thead", {}, head), element("tbody", {}, ...rows)));
}

// The picture: contacts on a circle, the primary on top; an edge between two contacts for
// each email or phone number they share, labelled with it.
function sharedValueEdges(contacts) {
  const edges = new Map();
  for (let i = 0; i < contacts.length; i++) {
    for (let j = i + 1; j < contacts.length; j++) {
      const [a, b] = [contacts[i], contacts[j]];
      const shared = [];
      if (a.email !== null && a.email === b.email) shared.push(a.email);
      if (a.phoneNumber !== null && a.phoneNumber === b.phoneNumber) shared.push(a.phoneNumber);
      if (shared.length) edges.set(edgeKey(a.id, b.id), { from: a, to: b, label: shared.join(" · ") });
    }
  }
  return edges;
}

function edgeKey(a, b) {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

function renderGraph(contacts, primaryId) {
  const figure = element("figure", { class: "graph" });
  const nodes = new Map();
  const lines = new Map();
  if (contacts.length > MOST_CONTACTS_DRAWN) {
    figure.append(element("p", {}, `${contacts.length} contacts are too many to draw; the table lists them all.`));
    return { figure, nodes, lines };
  }
  const size = 360;
  const center = size / 2;
  const radius = contacts.length === 1 ? 0 : 120;
  const svg = svgElement("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", class: "graph-picture" });
  const description = `Contacts ${contacts.map(contactLabel).join(", ")}; the primary is #${primaryId}.`;
  svg.append(svgElement("title", {}, `How the contacts of customer ${primaryId} are linked`),
    svgElement("desc", {}, description));
  const position = new Map(contacts.map((contact, index) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * index) / contacts.length;
    return [contact.id, { x: center + radius * Math.cos(angle), y: center + radius * Math.sin(angle) }];
  }));
  const edgeLayer = svgElement("g", { class: "edges" });
  const labelLayer = svgElement("g", { class: "edge-labels" });
  for (const [key, edge] of sharedValueEdges(contacts)) {
    const from = position.get(edge.from.id);
    const to = position.get(edge.to.id);
    const line = svgElement("line", { x1: from.x, y1: from.y, x2: to.x, y2: to.y, class: "edge", "data-edge": key });
    const label = svgElement("text", { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 - 4, class: "edge-label",
      "text-anchor": "middle" }, edge.label);
    edgeLayer.append(line);
    labelLayer.append(label);
    lines.set(key, [line, label]);
  }
  const nodeLayer = svgElement("g", { class: "nodes" });
  for (const contact of contacts) {
    const { x, y } = position.get(contact.id);
    const isPrimary = contact.id === primaryId;
    const group = svgElement("g", { class: isPrimary ? "node primary" : "node", "data-contact": contact.id });
    group.append(svgElement("circle", { cx: x, cy: y, r: isPrimary ? 22 : 18 }),
      svgElement("text", { x, y: y + 5, "text-anchor": "middle", class: "node-label" }, contactLabel(contact)));
    if (isPrimary) {
      group.append(svgElement("text", { x, y: y - 28, "text-anchor": "middle", class: "primary-label" }, "primary"));
    }
    nodeLayer.append(group);
    nodes.set(contact.id, group);
  }
  // Trimmed to the nodes (with room for their labels): three contacts leave the circle's bottom empty.
  const ys = [...position.values()].map((point) => point.y);
  const top = Math.min(...ys) - 50;
  svg.setAttribute("viewBox", `0 ${top} ${size} ${Math.max(...ys) + 30 - top}`);
  svg.append(edgeLayer, nodeLayer, labelLayer);
  figure.append(svg, element("figcaption", {},
    "Circles are contacts, the primary ringed; a line joins two contacts sharing the email or phone number on it."));
  return { figure, nodes, lines };
}

// ---- why are these linked? ----

function renderExplain(customer, graph) {
  const primaryId = customer.contact.primaryContactId;
  const section = element("section", { class: "explain", "aria-label": `Why are contacts of customer ${primaryId} linked` });
  const ids = customer.contacts.map((contact) => contact.id);
  const picker = (name, label, selected) => {
    const select = element("select", { id: `${name}-${primaryId}` },
      ...ids.map((id) => element("option", { value: id }, `#${id}`)));
    select.value = String(selected);
    return [element("label", { for: select.id }, label), select];
  };
  const [fromLabel, from] = picker("explain-from", "From contact", ids[0]);
  const [toLabel, to] = picker("explain-to", "to contact", ids[ids.length - 1]);
  const button = element("button", { type: "submit" }, "Why are these linked?");
  const answer = element("div", { class: "explain-answer", "aria-live": "polite" });
  const form = element("form", { class: "row" }, fromLabel, from, toLabel, to, button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      clearHighlight(graph);
      answer.replaceChildren();
      if (from.value === to.value) {
        answer.append(element("p", {}, "Pick two different contacts."));
        return;
      }
      const explanation = await api("GET", `/customers/${from.value}/explain?to=${to.value}`);
      showChain(explanation, graph, answer);
    });
  });
  section.append(element("h4", {}, "Why are these linked?"), form, answer);
  return section;
}

function clearHighlight(graph) {
  for (const node of graph.nodes.values()) node.classList.remove("in-chain");
  for (const parts of graph.lines.values()) parts.forEach((part) => part.classList.remove("in-chain"));
}

function showChain(explanation, graph, answer) {
  const steps = explanation.chain.map((link) => {
    graph.nodes.get(link.from)?.classList.add("in-chain");
    graph.nodes.get(link.to)?.classList.add("in-chain");
    (graph.lines.get(edgeKey(link.from, link.to)) || []).forEach((part) => part.classList.add("in-chain"));
    return element("li", {}, `#${link.from} and #${link.to} share the ${IDENTIFIER_NAMES[link.via]} ${link.value}`);
  });
  answer.append(
    element("p", {}, `#${explanation.from} and #${explanation.to} are linked in ${steps.length} ` +
      `step${steps.length === 1 ? "" : "s"} (highlighted in the picture):`),
    element("ol", { class: "chain" }, ...steps));
}

// ---- the history ----

function renderHistory(primaryId) {
  const section = element("section", { class: "history", "aria-label": `History of customer ${primaryId}` });
  const list = element("ol", { class: "timeline" });
  const more = element("button", { type: "button", class: "secondary", hidden: "" }, "Show more events");
  let after = 0;
  const showNextPage = () => guarded(async () => {
    const query = new URLSearchParams({ after, limit: EVENTS_PAGE_SIZE });
    const events = await api("GET", `/customers/${primaryId}/events?${query}`);
    list.append(...events.events.map(renderEvent));
    if (!list.children.length) list.append(element("li", { class: "empty" }, "No events recorded."));
    more.hidden = events.next === null;
    if (events.next !== null) after = events.next;
  });
  more.addEventListener("click", showNextPage);
  section.append(element("h4", {}, `History, oldest first (${EVENTS_PAGE_SIZE} events a page)`), list, more);
  showNextPage();
  return section;
}

function renderEvent(event) {
  return element("li", { class: `event ${event.kind}` },
    element("time", { datetime: event.occurredAt }, formatTime(event.occurredAt)),
    element("span", { class: "event-kind" }, EVENT_KINDS[event.kind] || event.kind),
    element("span", {}, `contacts ${event.contactIds.map((id) => `#${id}`).join(", ")}; customer #${event.customerId}`),
    element("span", { class: "request-id" }, `request ${event.requestId}`));
}

// ---- admin actions ----

function confirmAction(text, actionLabel) {
  page.confirmText.textContent = text;
  page.confirmGo.textContent = actionLabel;
  page.confirm.showModal();
  return new Promise((resolve) => {
    const finish = (confirmed) => {
      page.confirmGo.removeEventListener("click", go);
      page.confirmCancel.removeEventListener("click", cancel);
      page.confirm.removeEventListener("cancel", cancel);
      page.confirm.close();
      resolve(confirmed);
    };
    const go = () => finish(true);
    const cancel = (event) => { event.preventDefault(); finish(false); };
    page.confirmGo.addEventListener("click", go);
    page.confirmCancel.addEventListener("click", cancel);
    page.confirm.addEventListener("cancel", cancel);
  });
}

function renderActions(customer) {
  const primaryId = customer.contact.primaryContactId;
  const section = element("section", { class: "actions", "aria-label": `Change customer ${primaryId}` });
  const identifiers = [
    ...customer.contact.emails.map((value) => ({ field: "email", value })),
    ...customer.contact.phoneNumbers.map((value) => ({ field: "phoneNumber", value })),
  ];
  const select = element("select", { id: `remove-${primaryId}` }, ...identifiers.map((identifier, index) =>
    element("option", { value: index }, `${IDENTIFIER_NAMES[identifier.field]} ${identifier.value}`)));
  const remove = element("button", { type: "submit", class: "danger" }, "Remove identifier…");
  const removeForm = element("form", { class: "row" },
    element("label", { for: select.id }, "Identifier"), select, remove);
  removeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const { field, value } = identifiers[Number(select.value)];
    const holders = customer.contacts.filter((contact) => contact[field] === value).map(contactLabel);
    guarded(async () => {
      const confirmed = await confirmAction(
        `Remove the ${IDENTIFIER_NAMES[field]} ${value} from customer ${primaryId}: contacts ${holders.join(", ")} ` +
        "lose it. A contact left with nothing new is deleted, and the customer splits if nothing else joins " +
        "its contacts. The audit trail records it.", "Remove it");
      if (!confirmed) return;
      const result = await api("POST", `/customers/${primaryId}/remove-identifier`, { [field]: value });
      showCustomers(result.customers,
        `Removed the ${IDENTIFIER_NAMES[field]} ${value}. The contacts now form ${countCustomers(result.customers)}:`);
      showMessage(`Removed the ${IDENTIFIER_NAMES[field]} ${value} from customer ${primaryId}.`, "success");
    });
  });
  const ids = customer.contacts.map(contactLabel).join(", ");
  const erase = element("button", { type: "button", class: "danger" }, `Erase customer ${primaryId}…`);
  erase.addEventListener("click", () => guarded(async () => {
    const confirmed = await confirmAction(
      `Erase customer ${primaryId} for good: contacts ${ids} and every email and phone number they hold are ` +
      "deleted from the database. Only the ids in the audit trail and keyed hashes of the values stay. " +
      "This cannot be undone.", `Erase customer ${primaryId}`);
    if (!confirmed) return;
    const result = await api("DELETE", `/customers/${primaryId}`);
    await showWhatIsLeft(result.erased);
  }));
  if (identifiers.length) section.append(element("h4", {}, "Remove an identifier"), removeForm);
  section.append(element("h4", {}, "Erase"), erase);
  return section;
}

// After an erasure, asks the API again for the erased customer and shows what it answers.
async function showWhatIsLeft(erased) {
  const ids = erased.contactIds.map((id) => `#${id}`).join(", ");
  let left;
  try {
    await api("GET", `/customers/${erased.primaryContactId}`);
    left = `Customer ${erased.primaryContactId} can still be found; search again.`;
  } catch (error) {
    if (error.type !== "contact-not-found") throw error;
    left = `Nothing is left: looking up contact #${erased.primaryContactId} now answers "${error.message}"`;
  }
  page.results.replaceChildren();
  page.outcome.replaceChildren(element("p", { class: "summary" }, `Erased customer ${erased.primaryContactId} ` +
    `(contacts ${ids}).`), element("p", { class: "nothing-left" }, left));
  showMessage(`Erased customer ${erased.primaryContactId}.`, "success");
}

// ---- wiring ----

function start() {
  for (const [name, id] of Object.entries({
    message: "message", keyStatus: "key-status", signIn: "sign-in", signInForm: "sign-in-form", apiKey: "api-key",
    workspace: "workspace", signOutButton: "sign-out", searchForm: "search-form", searchKind: "search-kind",
    searchValue: "search-value", outcome: "outcome", results: "results", confirm: "confirm",
    confirmText: "confirm-text", confirmGo: "confirm-go", confirmCancel: "confirm-cancel",
  })) page[name] = document.getElementById(id);

  page.signInForm.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(() => signIn(page.apiKey.value.trim()));
  });
  page.signOutButton.addEventListener("click", () => signOut());
  page.searchKind.addEventListener("change", () => {
    page.searchValue.placeholder = { email: "jennifer@hillvalley.edu", phoneNumber: "555 1234", contactId: "42" }[
      page.searchKind.value];
  });
  page.searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    page.outcome.replaceChildren();
    page.results.replaceChildren();
    guarded(async () => {
      const customers = await search(page.searchKind.value, page.searchValue.value);
      showCustomers(customers, `Found ${countCustomers(customers)}.`);
    });
  });
  const remembered = sessionStorage.getItem(KEY_STORAGE);
  if (remembered) guarded(() => signIn(remembered));
}

document.addEventListener("DOMContentLoaded", start);
