// The operator's page: the nodes by status, adoption over time, why a node has its status,
// and the handoff's health, all read from the server's own API.
//
// Node names and keys come from radio packets: they go into the page as text (textContent,
// append of strings), never as markup, and the Content-Security-Policy runs nothing else.

const MAX_ROWS = 500;
const REFRESH_MS = 15_000;
const DAY_S = 86_400;

const $ = (id) => document.getElementById(id);

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

async function getJson(path) {
  try {
    const response = await fetch(path, { cache: 'no-store' });
    let body = null;
    try {
      body = await response.json();
    } catch {
      // A body that is not JSON: the status says enough
    }
    return { status: response.status, body };
  } catch (error) {
    return { status: 0, body: { error: `the server did not answer (${error.message})` } };
  }
}

// Times
const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

function duration(ms) {
  const s = Math.abs(ms) / 1000;
  if (s < 1) return `${Math.round(Math.abs(ms))} ms`;
  if (s < 90) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 2 * DAY_S) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / DAY_S)} days`;
}

function when(iso) {
  if (typeof iso !== 'string') return '—';
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  const ago = Date.now() - time;
  return `${iso.slice(0, 19).replace('T', ' ')} UTC (${ago >= 0 ? `${duration(ago)} ago` : `in ${duration(ago)}`})`;
}

/** '2026-12-06 03:26' from an ISO time; other text as it is. */
function shortTime(text) {
  if (typeof text !== 'string') return '';
  return /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(text) ? text.slice(0, 16).replace('T', ' ') : text;
}

// State
const state = { entries: [], names: { route: [], payload: [] }, openKey: null, chart: null, adoptionKey: '' };

// Health
/**
 * The writer's side of the handoff, as /healthz gives it in `handoff` (the ingestor's ledger
 * and refusals, read by the server); null from a server that does not report it.
 */
function writerSide(health) {
  const handoff = health.handoff;
  return handoff !== null && typeof handoff === 'object' ? handoff : null;
}

const ABSENT = 'not reported by this server (mbcap-ingestor status has it)';

function renderHealth(status, health) {
  const list = $('health-list');
  const rows = [];
  const add = (term, value, cls) => rows.push(el('dt', {}, term), el('dd', { class: cls }, value));
  if (health === null || typeof health !== 'object') {
    add('Server', `no answer from /healthz (${status || 'unreachable'})`, 'bad');
    list.replaceChildren(...rows);
    return;
  }
  add('Server', health.status ?? String(status), health.status === 'ok' ? undefined : 'bad');
  const publish = health.lastPublish;
  if (publish) {
    if (publish.error) add('Last publish', `failed ${when(publish.at)}: ${publish.error}`, 'bad');
    else
      add(
        'Last publish',
        `seq ${publish.seq}, ${when(publish.at)}; ${plural(publish.entries ?? 0, 'entry', 'entries')} in ${Math.round(publish.durationMs)} ms${publish.unchanged ? ' (unchanged: nothing written)' : ''}`,
      );
  } else add('Last publish', 'none yet', 'absent');

  const handoff = writerSide(health);
  if (handoff === null) {
    for (const term of ['Last apply', 'Publish → apply', 'Refused files']) add(term, ABSENT, 'absent');
  } else {
    const applied = handoff.lastApplied ?? null;
    if (applied === null) add('Last apply', 'none yet', 'absent');
    else add('Last apply', `${applied.seq === null ? '' : `seq ${applied.seq}, `}${when(applied.appliedAt)}`);

    // Waiting: how long the oldest publish not applied has waited; else how long the last one took
    if (handoff.waiting) {
      const waited = (handoff.lagSeconds ?? 0) * 1000;
      add('Publish → apply', `seq ${handoff.waiting.seq} waiting for ${duration(waited)}`, waited > 60_000 ? 'bad' : undefined);
    } else if (applied !== null && typeof applied.writtenAt === 'string') {
      // From the snapshot's writtenAt to the commit, as the ingestor measures it
      add('Publish → apply', `${duration(Math.max(0, Date.parse(applied.appliedAt) - Date.parse(applied.writtenAt)))} (seq ${applied.seq})`);
    } else add('Publish → apply', applied === null ? '—' : `nothing waiting: seq ${applied.seq} applied`);

    const refusals = handoff.refusals ?? null;
    if (refusals === null) add('Refused files', 'not recorded in this database', 'absent');
    else {
      const total = Object.values(refusals).reduce((n, count) => n + count, 0);
      const last = handoff.lastRefusal ?? null;
      const since = last !== null && (applied === null || Date.parse(last.at) > Date.parse(applied.appliedAt));
      add('Refused files', `${total}${last === null ? '' : ` (the last: ${last.code}, ${when(last.at)})`}`, since ? 'bad' : undefined);
    }
  }
  add('Publishes', String(health.publishes ?? '—'));
  add('Unchanged cycles', String(health.unchangedCycles ?? '—'));
  add('Failed cycles', String(health.failures ?? '—'), health.failures > 0 ? 'bad' : undefined);
  if (health.skippedRows?.count > 0) add('Rows left out', `${health.skippedRows.count}: ${health.skippedRows.reason}`, 'bad');
  if (health.schema && health.schema.ok === false) add('Schema', `missing ${(health.schema.missing ?? []).join(', ')}`, 'bad');
  list.replaceChildren(...rows);
}

// Adoption
function renderAdoption(status, adoption) {
  const note = $('adoption-note');
  if (status !== 200 || !adoption || !Array.isArray(adoption.days)) {
    note.textContent = status === 503 ? 'Waiting for the first analytics cycle…' : `No adoption data (${adoption?.error ?? status}).`;
    return;
  }
  const lastDay = adoption.days.length - 1;
  const since = adoption.windowStart === null ? 'in all the packets' : `in the window (${adoption.window}, since ${adoption.windowStart.slice(0, 10)})`;
  note.textContent = `Nodes confirmed and suspected at the end of each day (UTC), from each node's first multi-byte evidence ${since}. On ${adoption.days[lastDay]}: ${adoption.confirmed[lastDay]} confirmed, ${adoption.suspected[lastDay]} suspected.`;

  // Redraw only when the data changed
  const key = JSON.stringify([adoption.days, adoption.confirmed, adoption.suspected]);
  if (key === state.adoptionKey && state.chart !== null) return;
  state.adoptionKey = key;
  const xs = adoption.days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
  const data = [xs, adoption.confirmed, adoption.suspected];
  const holder = $('chart');
  const width = Math.max(300, holder.clientWidth || 600);
  state.chart?.destroy();
  state.chart = new uPlot(
    {
      width,
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [
        { label: 'day', value: (_u, ts) => (ts === null ? '—' : new Date(ts * 1000).toISOString().slice(0, 10)) },
        { label: 'confirmed', stroke: '#1a7f37', fill: 'rgba(26,127,55,0.12)', width: 2, points: { show: xs.length < 40 } },
        { label: 'suspected', stroke: '#b35900', fill: 'rgba(179,89,0,0.10)', width: 2, points: { show: xs.length < 40 } },
      ],
      axes: [{}, { label: 'nodes' }],
    },
    data,
    holder,
  );
}

// Nodes
function filters() {
  return {
    query: $('search').value.trim().toLowerCase(),
    status: $('status').value,
    role: $('role').value,
    table: $('table').value,
  };
}

function matches(entry, f) {
  if (f.status !== '' && entry.status !== f.status) return false;
  if (f.role !== '' && (entry.role ?? '(none)') !== f.role) return false;
  if (f.table !== '' && entry.table !== f.table) return false;
  if (f.query === '') return true;
  return entry.public_key.toLowerCase().startsWith(f.query) || (entry.name ?? '').toLowerCase().includes(f.query);
}

function renderRoles() {
  const select = $('role');
  const chosen = select.value;
  const roles = [...new Set(state.entries.map((e) => e.role ?? '(none)'))].sort();
  if (chosen !== '' && !roles.includes(chosen)) roles.push(chosen);
  select.replaceChildren(el('option', { value: '' }, 'all'), ...roles.map((role) => el('option', { value: role }, role)));
  select.value = chosen;
}

function renderNodes() {
  const f = filters();
  const found = state.entries.filter((entry) => matches(entry, f));
  const shown = found.slice(0, MAX_ROWS);
  const filtered = f.query !== '' || f.status !== '' || f.role !== '' || f.table !== '';
  const total = state.entries.length;
  let count = filtered ? `${found.length.toLocaleString('en')} of ${plural(total, 'node')}` : plural(total, 'node');
  if (found.length > shown.length) count += ` (the first ${MAX_ROWS} shown: narrow the search)`;
  $('count').textContent = count;

  $('node-rows').replaceChildren(
    ...shown.map((entry) => {
      const open = () => openNode(entry.public_key);
      const row = el(
        'tr',
        { 'data-key': entry.public_key, class: entry.public_key === state.openKey ? 'open' : undefined },
        el('td', {}, el('span', { class: `status ${entry.status}` }, entry.status)),
        el('td', { class: 'name' }, el('button', { type: 'button', class: 'link' }, entry.name ?? '(no name)')),
        el('td', { class: 'key', title: entry.public_key }, entry.public_key.length > 16 ? `${entry.public_key.slice(0, 16)}…` : entry.public_key),
        el('td', {}, entry.role ?? ''),
        el('td', {}, entry.table ?? ''),
        el('td', {}, `${entry.maxHashSize}-byte`),
        el('td', { title: entry.lastSeen ?? undefined }, shortTime(entry.lastSeen)),
      );
      row.addEventListener('click', open);
      return row;
    }),
  );
}

// Why
const keyList = (keys) => (keys.length === 0 ? 'no other node' : keys.map((key) => (key.length > 16 ? `${key.slice(0, 16)}…` : key)).join(', '));
const routeName = (n) => state.names.route[n] ?? `route ${n}`;
const payloadName = (n) => state.names.payload[n] ?? `type ${n}`;
const STORED = ['unknown', 'suspected', 'confirmed'];

function whyParts(x) {
  const why = x.why;
  const parts = [];
  if (x.status === 'confirmed') {
    parts.push(
      el(
        'p',
        { class: 'why-text' },
        `Confirmed: it sent ${plural(why.adverts, 'advert')} with a ${x.maxHashSize}-byte path hash in the window; an advert carries its sender's own setting. The newest:`,
      ),
      el('ul', {}, ...why.newest.map((a) => el('li', {}, `${a.first_seen}  ${a.hashSize}-byte  ${routeName(a.routeType)}  ${a.hash}`))),
    );
  } else if (x.status === 'suspected') {
    parts.push(
      el(
        'p',
        { class: 'why-text' },
        `Suspected: ${plural(why.packets, 'packet')} with multi-byte paths named its key prefix as a hop, so it relays at that width; it sent no multi-byte advert in the window. The newest:`,
      ),
      el('ul', {}, ...why.newest.map((p) => el('li', {}, `${p.first_seen}  hop ${p.hop}  ${p.hashSize}-byte  ${payloadName(p.payloadType)}  ${p.hash}`))),
      el('p', {}, 'Prefixes shared (every node sharing a matched prefix is suspected):'),
      el('ul', {}, ...why.sharing.map((s) => el('li', {}, `${s.hop}: ${keyList(s.nodes)}`))),
    );
  } else {
    const sizes = why.bySize ?? {};
    parts.push(
      el(
        'p',
        { class: 'why-text' },
        `Unknown: no multi-byte advert from it and no multi-byte hop naming it in the window. Its adverts: ${why.adverts} (1-byte ${sizes['1'] ?? 0}, 2-byte ${sizes['2'] ?? 0}, 3-byte ${sizes['3'] ?? 0}; zero-hop direct, which say nothing: ${why.zeroHopDirect ?? 0}).`,
      ),
    );
  }
  return parts;
}

function renderWhy(key, status, x) {
  const body = $('why-body');
  $('why').hidden = false;
  if (status !== 200 || x === null) {
    $('why-title').textContent = 'Why';
    const message =
      status === 404
        ? `No node has the key ${key}.`
        : status === 503
          ? 'No analytics cycle has finished yet; try again in a few seconds.'
          : (x?.error ?? `error ${status}`);
    body.replaceChildren(el('p', { class: 'bad' }, message));
    return;
  }
  $('why-title').textContent = `Why ${x.name ?? '(no name)'} is ${x.status}`;
  const stored = x.stored ?? {};
  const storedStatus = STORED[stored.multibyte_sup] ?? 'unknown';
  body.replaceChildren(
    el('p', { class: 'key' }, x.public_key),
    el(
      'p',
      {},
      `Status ${x.status}${x.evidence ? ` (evidence ${x.evidence})` : ''}, largest path hash ${x.maxHashSize}-byte; role ${x.role ?? '—'}; packets ${x.window?.start ? `since ${shortTime(x.window.start)}` : 'of all time'}, as of ${shortTime(x.window?.computedAt)} UTC.`,
    ),
    ...whyParts(x),
    el(
      'p',
      {},
      `The database holds ${storedStatus}${stored.multibyte_evidence ? ` (${stored.multibyte_evidence})` : ''} in ${stored.table ?? '—'}.`,
      x.storedHigher ? ' That is higher than computed and stays: a stored value only rises (mbcap-ingestor reset clears it).' : '',
    ),
  );
}

async function openNode(key) {
  state.openKey = key;
  history.replaceState(null, '', `#node=${encodeURIComponent(key)}`);
  for (const row of $('node-rows').children) row.classList.toggle('open', row.dataset.key === key);
  const { status, body } = await getJson(`/api/nodes/${encodeURIComponent(key)}/capability`);
  if (state.openKey === key) renderWhy(key, status, body);
}

// Loading
async function refresh() {
  const [nodes, health, adoption] = await Promise.all([getJson('/api/multibyte-capability'), getJson('/healthz'), getJson('/api/adoption')]);
  renderHealth(health.status, health.body);
  renderAdoption(adoption.status, adoption.body);
  if (nodes.status === 200 && Array.isArray(nodes.body?.entries)) {
    const c = nodes.body;
    state.entries = c.entries;
    $('summary').textContent =
      c.computedAt === null
        ? 'Waiting for the first analytics cycle…'
        : `${plural(c.entries.length, 'node')}: ${c.counts.confirmed} confirmed, ${c.counts.suspected} suspected, ${c.counts.unknown} unknown; computed ${when(c.computedAt)} over ${c.window === 'all' ? 'all packets' : `the last ${c.window}`}, snapshot seq ${c.seq}.`;
    renderRoles();
    renderNodes();
  } else {
    $('summary').textContent = `The node list could not be read (${nodes.body?.error ?? nodes.status}).`;
  }
}

async function start() {
  const names = await getJson('/page/names.json');
  if (names.status === 200 && names.body) state.names = names.body;
  for (const id of ['search', 'status', 'role', 'table']) $(id).addEventListener('input', renderNodes);
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  $('why-close').addEventListener('click', () => {
    state.openKey = null;
    $('why').hidden = true;
    history.replaceState(null, '', location.pathname);
    renderNodes();
  });
  await refresh();
  const wanted = /^#node=([0-9a-fA-F]{2,64})$/.exec(location.hash);
  if (wanted) openNode(wanted[1]);
  setInterval(refresh, REFRESH_MS);
}

start();
