// crucible dashboard: one page, no framework, no network beyond its own server.
// In a static report (crucible report) the API answers are embedded in the
// page (#crucible-data) and nothing is fetched at all.
(function () {
  'use strict';
  const embedded = document.getElementById('crucible-data');
  const DATA = embedded ? JSON.parse(embedded.textContent) : null;
  const POLL_MS = 2000;
  const OUTCOME_COLOURS = {
    ok: '#4e79a7', invalid: '#f28e2b', compile_error: '#e15759', runtime_error: '#b07aa1',
    timeout: '#edc948', memory_limit: '#9c755f', evaluator_error: '#ff9da7',
    duplicate: '#bab0ac', rejected: '#76b7b2', pending: '#999999'
  };

  async function api(path) {
    if (DATA) {
      if (Object.prototype.hasOwnProperty.call(DATA, path)) return DATA[path];
      throw new Error('not included in this static report (crucible serve shows everything)');
    }
    const r = await fetch(path, { cache: 'no-store' });
    const type = r.headers.get('content-type') || '';
    const body = type.includes('json') ? await r.json() : await r.text();
    if (!r.ok) throw new Error((body && body.error) || ('HTTP ' + r.status));
    return body;
  }

  // --- tiny DOM helpers (all text goes through textContent: no injection) ---
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'on') { for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn); }
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      e.appendChild(typeof kid === 'string' || typeof kid === 'number' ? document.createTextNode(String(kid)) : kid);
    }
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '-';
    if (typeof v !== 'number') return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    return Number(v.toPrecision(6)).toString();
  }
  function pct(a, b) { return b ? (100 * a / b).toFixed(1) + '%' : '-'; }
  function pill(outcome) {
    return el('span', { class: 'pill', style: 'background:' + (OUTCOME_COLOURS[outcome] || '#888') }, outcome || 'pending');
  }
  function svgBox(svgText, runIndex) {
    const box = el('div', { class: 'panel chart' });
    box.innerHTML = svgText;  // generated and escaped by the server
    box.addEventListener('click', (ev) => {
      const t = ev.target.closest('[data-id]');
      if (t) location.hash = '#/run/' + runIndex + '/cand/' + t.getAttribute('data-id');
    });
    box.addEventListener('mousemove', (ev) => {
      const t = ev.target.closest('[data-v]');
      const tip = document.getElementById('tip');
      if (!t) { tip.style.display = 'none'; return; }
      tip.textContent = '#' + t.getAttribute('data-id') + '  ' + t.getAttribute('data-v');
      tip.style.left = (ev.clientX + 12) + 'px';
      tip.style.top = (ev.clientY + 12) + 'px';
      tip.style.display = 'block';
    });
    box.addEventListener('mouseleave', () => { document.getElementById('tip').style.display = 'none'; });
    return box;
  }
  function errorBox(e) { return el('div', { class: 'error', text: String(e.message || e) }); }

  // --- state ---
  const state = { route: null, runs: [], lastSig: '', table: { offset: 0, limit: 50, sort: 'id', order: 'desc', outcome: '', proposer: '', island: '' } };
  const app = document.getElementById('app');

  function header() {
    const links = state.runs.map((r, i) => el('a', { href: '#/run/' + i }, '#' + i + ' ' + (r.name || r.run_dir)));
    return el('header', {},
      el('a', { href: '#/', class: 'brand' }, 'crucible'),
      ...links,
      el('span', { id: 'live', class: 'live' + (DATA ? '' : ' on') }, DATA ? 'static report' : 'live'));
  }

  function parseRoute() {
    const h = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    if (h[0] === 'run' && h.length >= 2) {
      const run = Number(h[1]);
      if (h[2] === 'cand' && h[3] !== undefined) return { view: 'cand', run, id: Number(h[3]) };
      return { view: 'run', run, tab: h[2] || 'score' };
    }
    return { view: 'home' };
  }

  async function render() {
    state.route = parseRoute();
    try { state.runs = await api('/api/runs'); } catch (e) { app.replaceChildren(errorBox(e)); return; }
    state.lastSig = signature(state.runs);
    if (state.route.view === 'home' && state.runs.length === 1 && !state.runs[0].error) {
      history.replaceState(null, '', '#/run/0');  // no hashchange: render it now
      state.route = parseRoute();
    }
    const main = el('main', { id: 'main' });
    app.replaceChildren(header(), main, el('div', { id: 'tip' }));
    try {
      if (state.route.view === 'home') await renderHome(main);
      else if (state.route.view === 'run') await renderRun(main, state.route.run, state.route.tab);
      else await renderCandidate(main, state.route.run, state.route.id);
    } catch (e) { main.appendChild(errorBox(e)); }
  }

  function signature(runs) { return runs.map(r => (r.done || 0) + ':' + (r.pending || 0) + ':' + (r.error || '')).join(','); }

  function runCard(r) {
    if (r.error) return el('div', { class: 'card' }, el('h3', {}, '#' + r.index + ' ' + r.run_dir), errorBox({ message: r.error }));
    const b = r.best;
    return el('div', { class: 'card' },
      el('h3', {}, el('a', { href: '#/run/' + r.index }, '#' + r.index + ' ' + r.name)),
      el('div', {}, 'problem ', el('b', {}, r.problem), ' · ', r.objective.key, r.objective.maximize ? ' (max)' : ' (min)'),
      el('div', {}, fmt(r.total), ' candidates (', fmt(r.pending), ' pending)'),
      el('div', {}, 'best ', el('b', {}, b ? fmt(b.value) : '-'), b ? ' (#' + b.id + ')' : '',
        b && b.heldout !== undefined ? ' · held-out ' + fmt(b.heldout) : ''));
  }

  async function renderHome(main) {
    main.append(el('h1', {}, 'Runs'), el('div', { class: 'cards' }, state.runs.map(runCard)));
    if (state.runs.length > 1) {
      main.append(el('h2', {}, 'Running best, side by side'), svgBox(await api('/api/compare.svg'), 0));
      const rows = state.runs.filter(r => !r.error).map(r => el('tr', {},
        el('td', {}, el('a', { href: '#/run/' + r.index }, '#' + r.index + ' ' + r.name)), el('td', {}, r.problem),
        el('td', { class: 'num' }, fmt(r.total)), el('td', { class: 'num' }, fmt((r.outcomes || {}).ok || 0)),
        el('td', { class: 'num' }, r.best ? fmt(r.best.value) : '-'), el('td', { class: 'num' }, r.best && r.best.heldout !== undefined ? fmt(r.best.heldout) : '-')));
      main.append(el('h2', {}, 'Comparison'), el('div', { class: 'panel' }, el('table', {},
        el('thead', {}, el('tr', {}, ['run', 'problem', 'candidates', 'ok', 'best', 'held-out'].map(h => el('th', {}, h)))), el('tbody', {}, rows))));
    }
  }

  function statsStrip(s) {
    const b = s.best;
    const outcomes = Object.entries(s.outcomes || {}).map(([k, v]) => el('span', {}, pill(k), ' ', fmt(v), '  '));
    return el('div', { class: 'stats', id: 'stats' },
      el('div', { class: 'stat' }, el('div', { class: 'k' }, 'candidates'), el('div', { class: 'v', id: 'stat-total' }, fmt(s.total))),
      el('div', { class: 'stat' }, el('div', { class: 'k' }, 'best ' + s.objective.key), el('div', { class: 'v', id: 'stat-best' }, b ? fmt(b.value) : '-')),
      el('div', { class: 'stat' }, el('div', { class: 'k' }, 'best candidate'), el('div', { class: 'v' }, b ? el('a', { href: '#/run/' + s.index + '/cand/' + b.id, id: 'stat-best-id' }, '#' + b.id) : '-')),
      el('div', { class: 'stat' }, el('div', { class: 'k' }, 'held-out'), el('div', { class: 'v' }, b && b.heldout !== undefined ? fmt(b.heldout) : '-')),
      el('div', { class: 'stat' }, el('div', { class: 'k' }, 'pending'), el('div', { class: 'v' }, fmt(s.pending))),
      el('div', { class: 'stat' }, el('div', { class: 'k' }, 'outcomes'), el('div', {}, outcomes)));
  }

  async function renderRun(main, i, tab) {
    // /api/runs already holds every run's summary; an unreadable run has an error instead.
    const s = state.runs[i] && !state.runs[i].error ? state.runs[i] : await api('/api/runs/' + i + '/summary');
    main.append(el('h1', {}, '#' + i + ' ' + s.name + ' — ' + s.problem),
      el('div', { class: 'muted' }, s.run_dir + ' · ' + s.objective.key + (s.objective.maximize ? ', higher is better' : ', lower is better') + ' · ' + s.islands + ' islands'),
      statsStrip(s));
    const tabs = [['score', 'Score'], ['lineage', 'Lineage'], ['grid', 'MAP-Elites grid'], ['table', 'Candidates'], ['proposers', 'Proposers'], ['scratchpad', 'Scratchpad'], ['front', 'Front']];
    main.append(el('nav', { class: 'tabs' }, tabs.map(([k, label]) => el('a', { href: '#/run/' + i + '/' + k, class: k === tab ? 'active' : '' }, label))));
    const view = el('div', { id: 'view' });
    main.append(view);
    if (tab === 'score') view.append(svgBox(await api('/api/runs/' + i + '/score.svg'), i),
      el('p', { class: 'muted' }, 'Every finished candidate is a point coloured by outcome (failures in the strip below the axis); thick line: running best; thin lines: running best per island; diamonds: held-out results. Click a point to open the candidate.'));
    else if (tab === 'lineage') view.append(svgBox(await api('/api/runs/' + i + '/lineage.svg'), i));
    else if (tab === 'grid') view.append(svgBox(await api('/api/runs/' + i + '/grid.svg'), i));
    else if (tab === 'table') await renderTable(view, i, s);
    else if (tab === 'proposers') await renderProposers(view, i);
    else if (tab === 'scratchpad') await renderScratchpad(view, i);
    else if (tab === 'front') await renderFronts(view, i);
  }

  async function tableData(i) {
    const t = state.table;
    if (DATA) {
      const all = (await api('/api/runs/' + i + '/table'));
      let rows = all.rows.filter(r => (!t.outcome || r.outcome === t.outcome) && (!t.proposer || r.proposer === t.proposer) && (t.island === '' || String(r.island) === t.island));
      const key = t.sort, dir = t.order === 'desc' ? -1 : 1;
      rows.sort((a, b) => {
        const x = a[key], y = b[key];
        if (x === y) return a.id - b.id;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * dir;
      });
      return { total: rows.length, rows: rows.slice(t.offset, t.offset + t.limit), note: all.note };
    }
    const q = new URLSearchParams({ offset: t.offset, limit: t.limit, sort: t.sort, order: t.order });
    if (t.outcome) q.set('outcome', t.outcome);
    if (t.proposer) q.set('proposer', t.proposer);
    if (t.island !== '') q.set('island', t.island);
    return api('/api/runs/' + i + '/candidates?' + q.toString());
  }

  async function renderTable(view, i, s) {
    const t = state.table;
    const data = await tableData(i);
    const outcomes = ['', 'pending', ...Object.keys(OUTCOME_COLOURS).filter(k => k !== 'pending')];
    const sel = (name, values, current) => el('select', { 'data-filter': name, on: { change: (e) => { t[name] = e.target.value; t.offset = 0; rerender(); } } },
      values.map(v => { const o = el('option', { value: v }, v === '' ? 'any ' + name : String(v)); if (String(v) === String(current)) o.selected = true; return o; }));
    const islands = [''].concat(Array.from({ length: s.islands || 1 }, (_, k) => String(k)));
    let proposers = [''];
    try { const p = await api('/api/runs/' + i + '/proposers'); proposers = proposers.concat([...new Set(p.operators.map(o => o.proposer))]); } catch (e) { /* optional */ }
    if (t.proposer && !proposers.includes(t.proposer)) proposers.push(t.proposer);
    const last = Math.min(t.offset + data.rows.length, data.total);
    view.append(el('div', { class: 'controls' }, sel('outcome', outcomes, t.outcome), sel('proposer', proposers, t.proposer), sel('island', islands, t.island),
      el('button', { on: { click: () => { t.offset = Math.max(0, t.offset - t.limit); rerender(); } }, disabled: t.offset === 0 }, '‹ prev'),
      el('span', { id: 'table-range' }, (data.total ? t.offset + 1 : 0) + '–' + last + ' of ' + data.total),
      el('button', { on: { click: () => { t.offset += t.limit; rerender(); } }, disabled: last >= data.total }, 'next ›'),
      data.note ? el('span', { class: 'muted' }, data.note) : null));
    const cols = [['id', 'id'], ['parent', null], ['island', 'island'], ['generation', 'generation'], ['outcome', 'outcome'], [s.objective.key, 'value'], ['proposer', 'proposer'], ['operators', null], ['eval s', null]];
    const head = el('tr', {}, cols.map(([label, key]) => el('th', {
      class: key ? 'sortable' : '', 'data-sort': key,
      on: key ? { click: () => { if (t.sort === key) t.order = t.order === 'asc' ? 'desc' : 'asc'; else { t.sort = key; t.order = key === 'value' ? (s.objective.maximize ? 'desc' : 'asc') : 'asc'; } t.offset = 0; rerender(); } } : {}
    }, label + (t.sort === key ? (t.order === 'asc' ? ' ▲' : ' ▼') : ''))));
    const body = data.rows.map(r => el('tr', { class: 'click', 'data-id': r.id, on: { click: () => { location.hash = '#/run/' + i + '/cand/' + r.id; } } },
      el('td', { class: 'num' }, '#' + r.id), el('td', { class: 'num' }, r.parent_id === null ? '-' : '#' + r.parent_id),
      el('td', { class: 'num' }, fmt(r.island)), el('td', { class: 'num' }, fmt(r.generation)), el('td', {}, pill(r.outcome)),
      el('td', { class: 'num' }, fmt(r.value)), el('td', {}, r.proposer), el('td', {}, (r.operators || []).join(' + ')), el('td', { class: 'num' }, fmt(r.eval_seconds))));
    view.append(el('div', { class: 'panel' }, el('table', { id: 'candidate-table' }, el('thead', {}, head), el('tbody', {}, body))));
  }

  async function renderProposers(view, i) {
    const p = await api('/api/runs/' + i + '/proposers');
    const rows = p.operators.map(o => el('tr', {}, el('td', {}, o.proposer), el('td', {}, o.operator || '-'), el('td', { class: 'num' }, fmt(o.children)),
      el('td', { class: 'num' }, pct(o.valid, o.children)), el('td', { class: 'num' }, pct(o.improved, o.children)), el('td', { class: 'num' }, fmt(o.improved))));
    view.append(el('h2', {}, 'Operators'), el('p', { class: 'muted' }, 'A child counts once per operator it applied. valid: the child has a value; improved: better than its parent by the objective.'),
      el('div', { class: 'panel' }, el('table', { id: 'operator-table' }, el('thead', {}, el('tr', {}, ['proposer', 'operator', 'children', 'valid', 'improved', 'improvements'].map(h => el('th', {}, h)))), el('tbody', {}, rows))));
    view.append(el('h2', {}, 'Models'));
    if (!p.has_llm_calls) { view.append(el('p', { class: 'muted' }, 'No LLM calls recorded in this run (no llm_calls table: the run used no LLM proposer, or was written by a crucible before schema version 2).')); return; }
    const mrows = p.models.map(m => el('tr', {}, el('td', {}, m.model), el('td', { class: 'num' }, fmt(m.calls)), el('td', { class: 'num' }, pct(m.applied, m.calls)),
      el('td', { class: 'num' }, fmt(m.children)), el('td', { class: 'num' }, pct(m.valid, m.children)), el('td', { class: 'num' }, pct(m.improved, m.children)),
      el('td', { class: 'num' }, fmt(m.prompt_tokens)), el('td', { class: 'num' }, fmt(m.completion_tokens)), el('td', { class: 'num' }, m.cost === null ? '-' : m.cost.toFixed(4)),
      el('td', { class: 'num' }, m.children && m.cost !== null ? (m.cost / Math.max(m.improved, 1)).toFixed(4) : '-'), el('td', { class: 'num' }, fmt(m.mean_latency_seconds))));
    view.append(el('div', { class: 'panel' }, el('table', { id: 'model-table' }, el('thead', {}, el('tr', {}, ['model', 'calls', 'applied', 'children', 'valid', 'improved', 'prompt tokens', 'completion tokens', 'cost', 'cost / improvement', 'mean latency s'].map(h => el('th', {}, h)))), el('tbody', {}, mrows))));
  }

  // Several objectives (docs/search.md): the Pareto front over time, from the
  // run's "front" events. The first two objectives are the axes; older fronts
  // are drawn lighter, the newest in full with its members clickable; beside
  // it, the hypervolume (the run's progress figure) against evaluations.
  function esc(t) { return String(t).replace(/[&<>"']/g, c => '&#' + c.charCodeAt(0) + ';'); }
  function scale(lo, hi, a, b) { const d = hi > lo ? hi - lo : 1; return v => a + (v - lo) / d * (b - a); }
  function axes(W, H, P, xlab, ylab, xr, yr) {
    return `<line x1="${P}" y1="${H - P}" x2="${W - 10}" y2="${H - P}" stroke="#888"/>` +
      `<line x1="${P}" y1="10" x2="${P}" y2="${H - P}" stroke="#888"/>` +
      `<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(xlab)} (${esc(fmt(xr[0]))} … ${esc(fmt(xr[1]))})</text>` +
      `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${esc(ylab)} (${esc(fmt(yr[0]))} … ${esc(fmt(yr[1]))})</text>`;
  }
  function frontSvg(p) {
    const W = 640, H = 420, P = 48, fronts = p.fronts, ob = p.objectives;
    const pts = fronts.flatMap(f => f.members.map(m => m.values));
    const xr = [Math.min(...pts.map(v => v[0])), Math.max(...pts.map(v => v[0]))];
    const yr = [Math.min(...pts.map(v => v[1])), Math.max(...pts.map(v => v[1]))];
    const X = scale(xr[0], xr[1], P, W - 20), Y = scale(yr[0], yr[1], H - P, 20);
    let out = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" id="front-svg">` +
      axes(W, H, P, ob[0].key + ' (' + ob[0].direction + ')', ob[1].key + ' (' + ob[1].direction + ')', xr, yr);
    fronts.forEach((f, k) => {
      const last = k === fronts.length - 1, op = last ? 1 : 0.15 + 0.5 * k / fronts.length;
      const ms = f.members.slice().sort((a, b) => a.values[0] - b.values[0]);
      out += `<polyline fill="none" stroke="${last ? '#e15759' : '#4e79a7'}" stroke-opacity="${op}" points="${ms.map(m => X(m.values[0]) + ',' + Y(m.values[1])).join(' ')}"/>`;
      for (const m of ms) {
        out += last ? `<circle class="front-member" cx="${X(m.values[0])}" cy="${Y(m.values[1])}" r="5" fill="#e15759" data-id="${esc(m.id)}" data-v="${esc(m.values.map(fmt).join(', '))}"/>`
          : `<circle cx="${X(m.values[0])}" cy="${Y(m.values[1])}" r="2.5" fill="#4e79a7" fill-opacity="${op}"/>`;
      }
    });
    return out + '</svg>';
  }
  function hypervolumeSvg(fronts) {
    const W = 640, H = 220, P = 48;
    const e = fronts.map(f => f.evaluations || 0), h = fronts.map(f => f.hypervolume || 0);
    const xr = [Math.min(...e), Math.max(...e)], yr = [Math.min(...h), Math.max(...h)];
    const X = scale(xr[0], xr[1], P, W - 20), Y = scale(yr[0], yr[1], H - P, 20);
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" id="hypervolume-svg">` +
      axes(W, H, P, 'evaluations', 'hypervolume', xr, yr) +
      `<polyline fill="none" stroke="#4e79a7" points="${fronts.map((f, k) => X(e[k]) + ',' + Y(h[k])).join(' ')}"/></svg>`;
  }
  async function renderFronts(view, i) {
    const p = await api('/api/runs/' + i + '/fronts');
    if (!p.total || !p.fronts.length) {
      view.append(el('p', { class: 'muted', id: 'front-none' }, 'No Pareto front in this run: it has one objective (problem.yaml objectives: lists two or more), or none of its candidates has every objective yet.'));
      return;
    }
    const last = p.fronts[p.fronts.length - 1];
    view.append(el('p', {}, `${p.total} changes of the front; ${p.fronts.length} shown (older lighter). Newest: ${last.members.length} members, hypervolume ${fmt(last.hypervolume)} at ${fmt(last.evaluations)} evaluations.`));
    if (p.objectives.length > 2) view.append(el('p', { class: 'muted' }, `Plotted: the first two of ${p.objectives.length} objectives; the table has them all.`));
    view.append(svgBox(frontSvg(p), i), svgBox(hypervolumeSvg(p.fronts), i));
    const rows = last.members.map(m => el('tr', {}, el('td', {}, el('a', { href: '#/run/' + i + '/cand/' + m.id }, '#' + m.id)), m.values.map(v => el('td', { class: 'num' }, fmt(v)))));
    view.append(el('div', { class: 'panel' }, el('table', { id: 'front-table' }, el('thead', {}, el('tr', {}, el('th', {}, 'candidate'), p.objectives.map(o => el('th', {}, o.key + ' (' + o.direction + ')')))), el('tbody', {}, rows))));
  }

  // The LLM proposer's meta-scratchpad: the note later prompts show, and its
  // earlier versions (docs/llm.md, "The meta-scratchpad").
  async function renderScratchpad(view, i) {
    const p = await api('/api/runs/' + i + '/scratchpad');
    if (!p.current) {
      view.append(el('p', { class: 'muted', id: 'scratchpad-none' }, 'No scratchpad note in this run (the LLM proposer writes one every llm.scratchpad.every evaluated children when it is on; runs before schema version 4 have none).'));
      return;
    }
    const when = (n) => 'version ' + n.id + ' · after ' + fmt(n.evaluated) + ' evaluated children · ' + n.model + ' · call ' + n.call_id + ' · ' + new Date(n.created_unix * 1000).toLocaleString();
    view.append(el('h2', {}, 'Current note'), el('div', { class: 'muted' }, when(p.current)),
      el('pre', { class: 'panel', id: 'scratchpad-current' }, p.current.note));
    const older = p.versions.slice(1);
    view.append(el('h2', {}, 'History (' + fmt(p.total) + ' versions' + (p.total > p.versions.length ? ', the ' + p.versions.length + ' newest shown' : '') + ')'));
    if (!older.length) { view.append(el('p', { class: 'muted' }, 'No earlier version.')); return; }
    view.append(el('div', { id: 'scratchpad-history' }, older.map(n => el('details', { class: 'note' }, el('summary', {}, when(n)), el('pre', {}, n.note)))));
  }

  function diffView(patch) {
    const pre = el('pre', { class: 'diff', id: 'diff' });
    for (const line of patch.split('\n')) {
      const cls = line.startsWith('+++') || line.startsWith('---') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : null;
      pre.appendChild(cls ? el('span', { class: cls }, line) : document.createTextNode(line + '\n'));
    }
    return pre;
  }
  function kvTable(obj, id) {
    const entries = Object.entries(obj || {});
    if (!entries.length) return el('p', { class: 'muted' }, 'none');
    return el('table', { class: 'kv', id }, el('tbody', {}, entries.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', { class: 'num' }, typeof v === 'object' ? JSON.stringify(v) : fmt(v))))));
  }

  async function renderCandidate(main, i, id) {
    const c = await api('/api/runs/' + i + '/candidates/' + id);
    const link = (x) => x === null || x === undefined ? '-' : el('a', { href: '#/run/' + i + '/cand/' + x }, '#' + x);
    const delta = c.value !== null && c.parent_value !== null ? c.value - c.parent_value : null;
    main.append(el('p', {}, el('a', { href: '#/run/' + i + '/table' }, '← candidates of run #' + i)),
      el('h1', { id: 'cand-title' }, 'Candidate #' + c.id, ' ', pill(c.status === 'pending' ? 'pending' : c.outcome)));
    const meta = {
      [c.objective.key]: c.value, 'parent': null, 'change vs parent': delta === null ? '-' : (delta >= 0 ? '+' : '') + fmt(delta),
      island: c.island, generation: c.generation, proposer: c.proposer + (c.operators.length ? ' (' + c.operators.join(', ') + ')' : ''),
      'propose s': c.propose_seconds, 'evaluate s': c.eval_seconds, stage: c.stage || '-', seed: c.seed, 'source hash': c.source_hash
    };
    if (c.duplicate_of !== null) meta['duplicate of'] = '#' + c.duplicate_of;
    const metaTable = kvTable(meta, 'cand-meta');
    // parent as a link
    metaTable.querySelectorAll('tr').forEach(tr => { if (tr.firstChild.textContent === 'parent') tr.lastChild.replaceChildren(link(c.parent_id)); });
    const left = el('div', {}, el('h2', {}, 'Summary'), el('div', { class: 'panel' }, metaTable),
      el('h2', {}, 'Metrics'), el('div', { class: 'panel' }, kvTable(c.metrics, 'cand-metrics')),
      el('h2', {}, 'Features'), el('div', { class: 'panel' }, kvTable(c.features)));
    if (c.heldout) left.append(el('h2', {}, 'Held-out'), el('div', { class: 'panel' }, kvTable(Object.assign({ score: c.heldout.score }, c.heldout.metrics || {}))));
    if (c.inspiration_ids.length) left.append(el('h2', {}, 'Inspirations'), el('div', { class: 'panel' }, c.inspiration_ids.map(x => [link(x), ' '])));
    const right = el('div', {}, el('h2', {}, c.parent_id === null ? 'Diff' : 'Diff against #' + c.parent_id),
      c.parent_id === null ? el('p', { class: 'muted', id: 'diff' }, 'The initial program (no parent).') : c.patch ? diffView(c.patch) : el('p', { class: 'muted', id: 'diff' }, 'No change against its parent.'),
      el('h2', {}, 'Feedback'), c.feedback ? el('pre', {}, c.feedback) : el('p', { class: 'muted' }, 'none'));
    main.append(el('div', { class: 'grid2' }, left, right));
    main.append(el('h2', {}, 'Code'));
    for (const f of c.program) {
      main.append(el('details', { open: c.program.length === 1 }, el('summary', {}, f.path), el('pre', { class: 'code' }, f.content !== undefined ? f.content : '(binary, base64) ' + f.content_base64)));
    }
    const arts = Object.entries(c.artifacts || {});
    main.append(el('h2', {}, 'Artifacts'), arts.length ? arts.map(([k, v]) => el('details', {}, el('summary', {}, k), el('pre', {}, typeof v === 'string' ? v : JSON.stringify(v)))) : el('p', { class: 'muted' }, 'none'));
    if (c.llm_calls.length) {
      main.append(el('h2', {}, 'LLM calls'));
      for (const call of c.llm_calls) {
        const msgs = Array.isArray(call.prompt) ? call.prompt.map(m => el('div', { class: 'msg' }, el('div', { class: 'role' }, m.role), el('pre', {}, m.content))) : [el('pre', {}, String(call.prompt))];
        main.append(el('details', { class: 'llm-call' }, el('summary', {}, 'call ' + call.id + ' · ' + call.model + ' · ' + call.mode + ' · attempt ' + call.attempt + ' · ' + call.outcome +
          ' · ' + fmt(call.prompt_tokens) + '+' + fmt(call.completion_tokens) + ' tokens · cost ' + (call.cost === null ? '-' : call.cost.toFixed(5)) + ' · ' + fmt(call.latency_seconds) + ' s'),
          call.error ? el('div', { class: 'error' }, call.error) : null, el('h3', {}, 'Prompt'), msgs, el('h3', {}, 'Response'), el('pre', { class: 'response' }, call.response)));
      }
    }
    if (c.proposal_detail) main.append(el('h2', {}, 'Proposal record'), el('pre', {}, JSON.stringify(c.proposal_detail, null, 2)));
  }

  function rerender() { render(); }

  async function poll() {
    if (DATA) return;
    try {
      const runs = await api('/api/runs');
      const live = document.getElementById('live');
      if (live) { live.textContent = 'live · updated ' + new Date().toLocaleTimeString(); live.className = 'live on'; }
      const sig = signature(runs);
      if (sig !== state.lastSig) {
        state.lastSig = sig;
        // A candidate page changes only while the candidate is pending.
        const route = parseRoute();
        if (route.view !== 'cand' || document.querySelector('#cand-title .pill').textContent === 'pending') {
          const y = window.scrollY;
          await render();
          window.scrollTo(0, y);
        }
      }
    } catch (e) {
      const live = document.getElementById('live');
      if (live) { live.textContent = 'server unreachable: ' + e.message; live.className = 'live'; }
    }
    setTimeout(poll, POLL_MS);
  }

  window.addEventListener('hashchange', () => { if (parseRoute().view === 'run' && state.route && state.route.view === 'run' && state.route.run !== parseRoute().run) state.table.offset = 0; render(); });
  render().then(() => { if (!DATA) setTimeout(poll, POLL_MS); });
})();
