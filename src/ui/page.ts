// The live view's page: one self-contained HTML document (no CDN, no web fonts, works offline).
// The script builds every node with textContent / createElement, never innerHTML, so span data
// (names, attributes, status messages) is always inserted as text.
// STYLE and SCRIPT are kept apart so the handler can pin them with CSP hashes.
// Note: SCRIPT is a String.raw template: it must contain no backtick and no dollar-brace.

export const STYLE = String.raw`
:root{--bg:#f5f6f8;--panel:#fff;--fg:#1c2230;--muted:#667085;--faint:#98a2b3;--border:#e2e5ea;--row:#f0f3f8;
--accent:#2f6fed;--accent-bg:#e8effd;--ok:#18794e;--ok-bg:#e3f5ea;--err:#c62828;--err-bg:#fdecec;--warn:#a15c00;--warn-bg:#fff3dc;
--bar:#5b8def;--bar-err:#e5484d;--bar-warn:#e8a33d;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0e1117;--panel:#161b22;--fg:#e6e9ef;--muted:#9aa4b2;--faint:#6b7482;--border:#2a313c;--row:#1d2430;
--accent:#6d9eff;--accent-bg:#1c2a45;--ok:#4cc38a;--ok-bg:#12291e;--err:#ff7b7b;--err-bg:#3a1d20;--warn:#f0b454;--warn-bg:#37290f;--bar:#4f7fe0;--bar-err:#e5484d;--bar-warn:#d4943a}}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.mono,code{font-family:var(--mono);font-size:12.5px}
.muted{color:var(--muted)}
header{display:flex;align-items:center;gap:14px;padding:12px 22px;background:var(--panel);border-bottom:1px solid var(--border);position:sticky;top:0;z-index:5}
header h1{font-size:17px;margin:0;font-weight:650;letter-spacing:.2px}
header h1 small{font-weight:400;color:var(--muted);margin-left:8px;font-size:14px}
.pill{display:inline-flex;align-items:center;gap:6px;padding:2px 10px;border-radius:999px;font-size:12.5px;border:1px solid var(--border);color:var(--muted)}
.pill::before{content:"";width:8px;height:8px;border-radius:50%;background:var(--faint)}
.pill.live{color:var(--ok);border-color:var(--ok)}.pill.live::before{background:var(--ok)}
.pill.down{color:var(--warn);border-color:var(--warn)}.pill.down::before{background:var(--warn)}
header .spacer{flex:1}
main{padding:16px 22px 40px;display:grid;grid-template-columns:minmax(0,1fr) 470px;gap:16px;align-items:start}
@media (max-width:1100px){main{grid-template-columns:minmax(0,1fr)}}
.card{background:var(--panel);border:1px solid var(--border);border-radius:10px;overflow:hidden}
.card h2{font-size:13px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted);margin:0;padding:12px 16px;border-bottom:1px solid var(--border);font-weight:600}
form.filters{display:flex;flex-wrap:wrap;align-items:end;gap:10px 14px;padding:12px 16px;border-bottom:1px solid var(--border)}
form.filters label{display:flex;flex-direction:column;gap:3px;font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.4px}
select,input,button{font:inherit;font-size:13.5px;color:var(--fg);background:var(--panel);border:1px solid var(--border);border-radius:6px;padding:5px 8px}
select{min-width:130px;max-width:190px}input[type=number]{width:96px}
button{cursor:pointer}button:hover{border-color:var(--accent)}
.chip{display:inline-flex;align-items:center;gap:6px;background:var(--accent-bg);color:var(--accent);border-radius:999px;padding:3px 4px 3px 10px;font-size:12.5px;align-self:center}
.chip button{border:0;background:transparent;color:inherit;padding:0 6px;font-size:15px;line-height:1}
.count{margin-left:auto;align-self:center;color:var(--muted);font-size:12.5px}
table{width:100%;border-collapse:collapse}
th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.4px;color:var(--muted);font-weight:600;padding:8px 12px;border-bottom:1px solid var(--border);white-space:nowrap}
td{padding:7px 12px;border-bottom:1px solid var(--border);vertical-align:middle}
tr:last-child td{border-bottom:0}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
#ops tbody tr{cursor:pointer}
#ops tbody tr:hover,#ops tbody tr:focus{background:var(--row);outline:none}
#ops tr.error td:first-child{box-shadow:inset 3px 0 0 var(--err)}
#ops tr.error{background:var(--err-bg)}
#ops tr.cancelled td:first-child,#ops tr.warn td:first-child{box-shadow:inset 3px 0 0 var(--warn)}
#ops td.time{color:var(--muted);white-space:nowrap}
.method{color:var(--muted)}.target{font-weight:600;margin-left:2px}
.tag{display:inline-block;margin-left:8px;font-size:11px;padding:0 6px;border-radius:4px;background:var(--accent-bg);color:var(--accent);vertical-align:1px}
.badge{display:inline-block;font-size:11.5px;font-weight:650;letter-spacing:.3px;padding:1px 7px;border-radius:4px;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg)}
.badge.error{color:#fff;background:var(--err)}
.badge.cancelled,.badge.warn{color:var(--warn);background:var(--warn-bg)}
.detail{margin-left:8px;color:var(--muted);font-size:12.5px}
tr.error .detail{color:var(--err)}
td.status{width:100%;max-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#ops td.name,#ops td.client{white-space:nowrap}
button.link{border:0;background:transparent;padding:0;color:var(--accent);font-family:var(--mono);font-size:12.5px}
button.link:hover{text-decoration:underline}
.empty{padding:36px 16px;text-align:center;color:var(--muted)}
@keyframes flash{from{background:var(--accent-bg)}to{background:transparent}}
#ops tr.new:not(.error){animation:flash 1.6s ease-out}
#summary td,#summary th{padding:7px 10px}
#summary tbody tr{cursor:pointer}#summary tbody tr:hover{background:var(--row)}
#summary{position:sticky;top:64px}#summary table{table-layout:fixed}#summary th:nth-child(2){width:50px}#summary th:nth-child(3){width:60px}#summary th:nth-child(4),#summary th:nth-child(5){width:64px}
#summary th.cost{width:104px}#summary th.tok{width:84px}#summary td.cost{font-size:12.5px}#summary:not(.has-tokens) .tok{display:none}
#summary td.tool{font-weight:600;overflow-wrap:anywhere}
.rate.bad{color:var(--err);font-weight:650}
.foot{padding:10px 16px;border-top:1px solid var(--border);color:var(--muted);font-size:12.5px}
#backdrop{position:fixed;inset:0;background:rgba(10,14,22,.35);z-index:9}
#drawer{position:fixed;top:0;right:0;bottom:0;width:min(1000px,94vw);background:var(--panel);border-left:1px solid var(--border);box-shadow:-12px 0 32px rgba(0,0,0,.18);z-index:10;display:flex;flex-direction:column}
[hidden]{display:none!important}
.chart{padding:8px 14px 0}.chart svg{display:block;width:100%;height:90px;border-bottom:1px solid var(--border)}
.chart .legend{display:flex;gap:10px;align-items:center;font-size:12px;color:var(--muted)}.chart .legend .max{margin-left:auto}
.chart .legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
.line{fill:none;stroke-width:1.6}.line.ops,i.ops{stroke:var(--accent);background:var(--accent)}.line.errs,i.errs{stroke:var(--err);background:var(--err)}
.line.p50,i.p50{stroke:var(--ok);background:var(--ok)}.line.p95,i.p95{stroke:var(--warn);background:var(--warn)}circle.kept,i.kept{fill:var(--err);background:var(--err)}
#ops:not(.has-caller) .caller,#ops:not(.has-client) .client{display:none}
.drawer-head{display:flex;align-items:flex-start;gap:12px;padding:14px 20px;border-bottom:1px solid var(--border)}
.drawer-head h2{margin:0 0 2px;font-size:17px}
.drawer-head .close{margin-left:auto;font-size:18px;line-height:1;padding:4px 10px}
#t-body{overflow:auto;padding:14px 20px 30px}
.meta{display:flex;flex-wrap:wrap;gap:6px 18px;color:var(--muted);font-size:13px;margin-bottom:14px}
.meta b{color:var(--fg);font-weight:600}
.timeline{border:1px solid var(--border);border-radius:8px;overflow:hidden}
.tl-axis,.tl-row{display:grid;grid-template-columns:minmax(220px,36%) minmax(0,1fr) 84px;align-items:center}
.tl-axis{font-size:11px;color:var(--muted);border-bottom:1px solid var(--border);background:var(--bg);height:26px}
.tl-axis .ticks{position:relative;height:100%}
.tl-axis .ticks span{position:absolute;top:5px;transform:translateX(-50%);white-space:nowrap}
.tl-axis .ticks span:first-child{transform:none}.tl-axis .ticks span:last-child{transform:translateX(-100%)}
.tl-row{min-height:34px;border-bottom:1px solid var(--border);cursor:pointer}
.tl-row:last-child{border-bottom:0}
.tl-row:hover{background:var(--row)}.tl-row.sel{background:var(--accent-bg)}
.tl-label{padding:6px 10px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:13px}
.tl-track{position:relative;height:34px;margin:0 8px;background:repeating-linear-gradient(to right,transparent 0,transparent calc(25% - 1px),var(--border) calc(25% - 1px),var(--border) 25%)}
.bar{position:absolute;top:10px;height:14px;border-radius:3px;background:var(--bar);min-width:2px}
.bar.error{background:var(--bar-err)}.bar.cancelled,.bar.warn{background:var(--bar-warn)}
.ev{position:absolute;top:7px;width:9px;height:9px;margin-left:-4px;transform:rotate(45deg);background:var(--panel);border:2px solid var(--accent);border-radius:1px}
.ev.cancel{border-color:var(--err);background:var(--err)}.ev.log{border-color:var(--faint)}
.tl-dur{padding-right:10px}
.span-detail{margin-top:18px}
.span-detail h3{font-size:15px;margin:0 0 10px;display:flex;align-items:center;gap:10px}
.kv{display:grid;grid-template-columns:140px minmax(0,1fr);gap:4px 14px;font-size:13px;margin-bottom:16px}
.kv dt{color:var(--muted)}.kv dd{margin:0;word-break:break-all}
h4{font-size:12px;text-transform:uppercase;letter-spacing:.5px;color:var(--muted);margin:18px 0 6px}
table.attrs td{padding:5px 10px;font-family:var(--mono);font-size:12.5px;vertical-align:top;word-break:break-all}
table.attrs td:first-child{color:var(--muted);width:36%;white-space:nowrap;word-break:normal}
table.attrs{border:1px solid var(--border);border-radius:8px;border-collapse:separate;border-spacing:0;overflow:hidden}
ol.events{list-style:none;margin:0;padding:0;border:1px solid var(--border);border-radius:8px}
ol.events li{padding:6px 10px;border-bottom:1px solid var(--border);font-size:13px;display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
ol.events li:last-child{border-bottom:0}
ol.events .off{font-family:var(--mono);font-size:12.5px;color:var(--muted);min-width:80px;text-align:right}
ol.events .en{font-weight:600}ol.events li.cancel .en{color:var(--err)}
ol.events code{color:var(--muted)}
.note{color:var(--muted);font-size:13px;margin:8px 0}
.tabs{display:flex;gap:2px;padding:0 12px;border-bottom:1px solid var(--border)}
.tabs button{border:0;border-bottom:2px solid transparent;border-radius:0;background:transparent;padding:10px 12px 8px;color:var(--muted);font-weight:600}
.tabs button[aria-selected=true]{color:var(--accent);border-bottom-color:var(--accent)}
#sessions tbody tr{cursor:pointer}#sessions tbody tr:hover,#sessions tbody tr:focus{background:var(--row);outline:none}
#sessions tr.has-errors td:first-child{box-shadow:inset 3px 0 0 var(--err)}
#sessions td{white-space:nowrap}#sessions td.label{max-width:260px;overflow:hidden;text-overflow:ellipsis}
.tag.by{background:var(--row);color:var(--muted);margin:0 8px 0 0}
.tag.mrtr{background:var(--warn-bg);color:var(--warn)}
`;

export const SCRIPT = String.raw`
'use strict';
(function () {
  const MAX_ROWS = 500;
  const FETCH_LIMIT = 200;
  const MAX_OPTIONS = 200;
  const $ = (id) => document.getElementById(id);
  const state = { rows: [], ids: new Set(), methods: new Set(), tools: new Set(), tenants: new Set(), users: new Set(), clients: new Set(), session: '', trace: null, span: null, es: null, capacity: 0,
    tab: 'ops', sessionView: null };
  // Caller attributes (--attribute-header, --attribute-jwt-claim, clientInfo): columns and filters appear once seen.
  const CALLER = [['tenants', 'f-tenant', 'tenant.id', 'all tenants'], ['users', 'f-user', 'enduser.id', 'all users'], ['clients', 'f-client', 'mcp.client.name', 'all clients']];

  // Builds an element; strings become text nodes, so span data is never parsed as HTML.
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) for (const k of Object.keys(props)) {
      const v = props[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'style') Object.assign(e.style, v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(4)) {
      if (kid === undefined || kid === null || kid === false) continue;
      e.append(kid instanceof Node ? kid : String(kid));
    }
    return e;
  }

  const pad = (n, w) => String(n).padStart(w || 2, '0');
  function fmtTime(ms) {
    const d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }
  function fmtDur(ms) {
    if (!(ms >= 0)) return '';
    if (ms === 0) return '0 ms';
    if (ms < 1) return ms.toFixed(2) + ' ms';
    if (ms < 100) return ms.toFixed(1) + ' ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    return (ms / 60000).toFixed(1) + ' min';
  }
  const short = (s, n) => (s ? String(s).slice(0, n || 8) : '');
  function fmtBytes(n) {
    if (typeof n !== 'number') return '';
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KiB';
    return (n / 1048576).toFixed(1) + ' MiB';
  }
  function fmtCount(n) {
    return typeof n !== 'number' ? '' : n < 1000 ? String(n) : n < 1e6 ? (n / 1000).toFixed(n < 1e4 ? 1 : 0) + 'k' : (n / 1e6).toFixed(1) + 'M';
  }
  const pair = (a, b, fmt) => (a === null || a === undefined ? '—' : fmt(a) + ' / ' + fmt(b));
  const fmtVal = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  const attrText = (a) => (a ? Object.keys(a).map((k) => k + '=' + fmtVal(a[k])).join('  ') : '');

  function parts(s) {
    const method = s.attributes['mcp.method.name'] || s.name;
    const target = s.name.startsWith(method) ? s.name.slice(method.length).trim() : '';
    return { method: target || s.name === method ? method : s.name, target };
  }

  function statusOf(s) {
    const a = s.attributes;
    const outcome = a['mcp_trace_proxy.outcome'];
    if (s.status.code === 'error') {
      return { cls: 'error', label: 'ERROR', detail: [a['error.type'], s.status.message].filter(Boolean).join(': ') };
    }
    if (outcome === 'cancelled' || outcome === 'client_abort') {
      const ev = s.events.find((e) => e.name === 'mcp.cancelled');
      const reason = ev && ev.attributes && ev.attributes['mcp.cancel.reason'];
      return { cls: 'cancelled', label: 'CANCELLED', detail: reason ? String(reason) : outcome === 'client_abort' ? 'client hung up' : '' };
    }
    if (outcome) return { cls: 'warn', label: String(outcome).toUpperCase().replace('_', ' '), detail: '' };
    const rt = a['mcp.result.type'];
    return { cls: 'ok', label: 'OK', detail: rt ? 'result: ' + rt : '' };
  }

  // ---- filters ----
  function filters() {
    return { method: $('f-method').value, tool: $('f-tool').value, status: $('f-status').value, min: $('f-min').value, session: state.session,
      tenant: $('f-tenant').value, user: $('f-user').value, client: $('f-client').value };
  }
  function passes(s, f) {
    const a = s.attributes;
    if (f.method && a['mcp.method.name'] !== f.method) return false;
    if (f.tool && a['gen_ai.tool.name'] !== f.tool) return false;
    if (f.session && a['mcp.session.id'] !== f.session) return false;
    if (f.tenant && a['tenant.id'] !== f.tenant) return false;
    if (f.user && a['enduser.id'] !== f.user) return false;
    if (f.client && a['mcp.client.name'] !== f.client) return false;
    if (f.status && (s.status.code === 'error') !== (f.status === 'error')) return false;
    if (f.min !== '' && !(s.durationMs >= Number(f.min))) return false;
    return true;
  }
  function query(f) {
    const q = new URLSearchParams();
    if (f.method) q.set('method', f.method);
    if (f.tool) q.set('tool', f.tool);
    if (f.status) q.set('status', f.status);
    if (f.session) q.set('session', f.session);
    for (const k of ['tenant', 'user', 'client']) if (f[k]) q.set(k, f[k]);
    if (f.min !== '' && Number(f.min) >= 0) q.set('min_duration_ms', String(Number(f.min)));
    q.set('limit', String(FETCH_LIMIT));
    return q.toString();
  }
  function fillSelect(sel, values, allLabel) {
    const cur = sel.value;
    const list = [...values].sort();
    if (cur && !values.has(cur)) list.unshift(cur);
    const want = [''].concat(list).join('\n');
    if (sel.dataset.opts === want) return;
    sel.dataset.opts = want;
    sel.replaceChildren(el('option', { value: '' }, allLabel), ...list.map((v) => el('option', { value: v }, v)));
    sel.value = cur;
  }
  function learn(s) {
    const m = s.attributes['mcp.method.name'];
    const t = s.attributes['gen_ai.tool.name'];
    let changed = false;
    // Bounded: a client calling made-up tool names must not grow the menus without end.
    if (typeof m === 'string' && !state.methods.has(m) && state.methods.size < MAX_OPTIONS) { state.methods.add(m); changed = true; }
    if (typeof t === 'string' && !state.tools.has(t) && state.tools.size < MAX_OPTIONS) { state.tools.add(t); changed = true; }
    for (const [set, , key] of CALLER) {
      const v = s.attributes[key];
      if (typeof v === 'string' && !state[set].has(v) && state[set].size < MAX_OPTIONS) { state[set].add(v); changed = true; }
    }
    return changed;
  }
  function refreshSelects() {
    fillSelect($('f-method'), state.methods, 'all methods');
    fillSelect($('f-tool'), state.tools, 'all tools');
    for (const [set, id, , all] of CALLER) {
      fillSelect($(id), state[set], all);
      $(id).closest('label').hidden = state[set].size === 0 && !$(id).value;
    }
    $('ops').classList.toggle('has-caller', state.tenants.size + state.users.size > 0);
    $('ops').classList.toggle('has-client', state.clients.size > 0);
  }
  function callerText(a) {
    return [a['tenant.id'], a['enduser.id']].filter((v) => typeof v === 'string').join(' / ');
  }
  function clientText(a) {
    const n = a['mcp.client.name'];
    return typeof n === 'string' ? n + (typeof a['mcp.client.version'] === 'string' ? ' ' + a['mcp.client.version'] : '') : '';
  }

  // ---- operations table ----
  function row(s, isNew) {
    const st = statusOf(s);
    const p = parts(s);
    const session = s.attributes['mcp.session.id'];
    return el('tr', { class: 'op ' + st.cls + (isNew ? ' new' : ''), tabindex: 0, 'data-trace': s.traceId, 'data-span': s.spanId, title: 'Open trace ' + s.traceId },
      el('td', { class: 'time mono' }, fmtTime(s.startMs)),
      el('td', { class: 'name' }, el('span', { class: 'method' }, p.method), p.target ? [' ', el('span', { class: 'target' }, p.target)] : null,
        s.kind === 'client' ? el('span', { class: 'tag', title: 'a request from the server to the client' }, 'server → client') : null),
      el('td', { class: 'session' }, typeof session === 'string'
        ? el('button', { class: 'link', type: 'button', 'data-session': session, title: 'Show only session ' + session }, short(session))
        : el('span', { class: 'muted' }, '—')),
      el('td', { class: 'caller' }, callerText(s.attributes) || el('span', { class: 'muted' }, '—')),
      el('td', { class: 'client' }, clientText(s.attributes) || el('span', { class: 'muted' }, '—')),
      el('td', { class: 'num' }, fmtDur(s.durationMs)),
      el('td', { class: 'status', title: st.detail || st.label }, el('span', { class: 'badge ' + st.cls }, st.label), st.detail ? el('span', { class: 'detail' }, st.detail) : null),
      el('td', { class: 'mono muted' }, short(s.traceId)));
  }
  function renderRows() {
    const body = $('ops-body');
    body.replaceChildren(...state.rows.map((s) => row(s, false)));
    updateCount();
  }
  function updateCount() {
    const f = filters();
    const filtered = f.method || f.tool || f.status || f.min !== '' || f.session || f.tenant || f.user || f.client;
    $('count').textContent = state.rows.length + (state.rows.length === 1 ? ' operation' : ' operations') + (filtered ? ' (filtered)' : '');
    $('empty').hidden = state.rows.length > 0;
    $('empty').textContent = filtered ? 'No operation matches these filters.'
      : 'No operations yet. Send MCP traffic through the proxy: each operation appears here when it finishes.';
  }
  function addLive(s) {
    if (learn(s)) refreshSelects();
    scheduleSummary();
    scheduleChart();
    if (state.trace === s.traceId) scheduleTrace();
    if (state.tab === 'sessions' || state.sessionView) scheduleSessions();
    if (state.ids.has(s.spanId) || !passes(s, filters())) return;
    state.ids.add(s.spanId);
    state.rows.unshift(s);
    const body = $('ops-body');
    body.prepend(row(s, true));
    while (state.rows.length > MAX_ROWS) {
      state.ids.delete(state.rows.pop().spanId);
      if (body.lastElementChild) body.lastElementChild.remove();
    }
    updateCount();
  }
  let loadSeq = 0;
  async function loadRows() {
    const seq = ++loadSeq;
    const f = filters();
    try {
      const r = await fetch('api/operations?' + query(f), { cache: 'no-store' });
      const data = await r.json();
      if (seq !== loadSeq) return;
      if (!r.ok) throw new Error(data.error || r.statusText);
      // Spans that arrived on the stream meanwhile are kept, in front.
      const fresh = state.rows.filter((s) => !data.operations.some((o) => o.spanId === s.spanId) && passes(s, f));
      state.rows = fresh.concat(data.operations).slice(0, MAX_ROWS);
      state.ids = new Set(state.rows.map((s) => s.spanId));
      let changed = false;
      for (const s of state.rows) changed = learn(s) || changed;
      if (changed) refreshSelects();
      state.capacity = data.capacity;
      showBuffer(data.buffered);
      renderRows();
    } catch (e) {
      $('empty').hidden = false;
      $('empty').textContent = 'Could not load operations: ' + e.message;
    }
  }

  function showBuffer(n) {
    $('buffer').textContent = n + (n === 1 ? ' span' : ' spans') + ' in memory' + (state.capacity ? ' (keeps the last ' + state.capacity + ')' : '');
  }

  // ---- summary ----
  let summaryTimer = null;
  function scheduleSummary() {
    if (summaryTimer) return;
    summaryTimer = setTimeout(() => { summaryTimer = null; loadSummary(); }, 700);
  }
  async function loadSummary() {
    try {
      const r = await fetch('api/summary', { cache: 'no-store' });
      const data = await r.json();
      let changed = false;
      for (const t of data.tools) if (!state.tools.has(t.tool) && state.tools.size < MAX_OPTIONS) { state.tools.add(t.tool); changed = true; }
      if (changed) refreshSelects();
      const body = $('sum-body');
      body.replaceChildren(...data.tools.map((t) => el('tr', { 'data-tool': t.tool, title: 'Show only ' + t.tool },
        el('td', { class: 'tool' }, t.tool),
        el('td', { class: 'num' }, t.count),
        el('td', { class: 'num rate' + (t.errors > 0 ? ' bad' : '') }, t.errors > 0 ? (t.errorRate * 100).toFixed(t.errorRate < 0.1 ? 1 : 0) + '%' : '0%'),
        el('td', { class: 'num' }, fmtDur(t.p50Ms)),
        el('td', { class: 'num' }, fmtDur(t.p95Ms)),
        el('td', { class: 'num cost' }, pair(t.resultP50Bytes, t.resultP95Bytes, fmtBytes)),
        el('td', { class: 'num tok' }, pair(t.resultP50Tokens, t.resultP95Tokens, fmtCount)))));
      $('summary').classList.toggle('has-tokens', data.tools.some((t) => t.resultP50Tokens !== null));
      $('sum-empty').hidden = data.tools.length > 0;
      showBuffer(data.spans);
      $('sum-foot').textContent = 'Over the ' + data.spans + ' spans in memory (' + data.errors + (data.errors === 1 ? ' error).' : ' errors).') + ' Click a tool to filter.';
    } catch (e) {
      $('sum-foot').textContent = 'Could not load the summary: ' + e.message;
    }
  }

  // ---- chart: the last 15 minutes of every operation, sampled or not (inline SVG) ----
  let chartTimer = null;
  function scheduleChart() {
    if (chartTimer) return;
    chartTimer = setTimeout(() => { chartTimer = null; loadChart(); }, 1000);
  }
  // One dimension at a time, as the API takes it: the tool if one is picked, else the tenant, else the client.
  function chartPick(f) {
    return f.tool ? ['tool', f.tool] : f.tenant ? ['tenant', f.tenant] : f.client ? ['client', f.client] : null;
  }
  async function loadChart() {
    const pick = chartPick(filters());
    try {
      const r = await fetch('api/series' + (pick ? '?' + pick[0] + '=' + encodeURIComponent(pick[1]) : ''), { cache: 'no-store' });
      const data = await r.json();
      if (!r.ok) throw new Error(data.error || r.statusText);
      $('chart-title').textContent = 'Last 15 minutes · ' + (pick ? pick[0] + ' ' + pick[1] : 'all operations');
      drawChart('chart-rate', data.points, ['opsPerS', 'errorsPerS'], ['ops', 'errs'], (v) => v.toFixed(v < 10 ? 2 : 0) + '/s', true);
      drawChart('chart-lat', data.points, ['p50Ms', 'p95Ms'], ['p50', 'p95'], fmtDur, false);
      const ops = data.points.reduce((a, p) => a + p.ops, 0);
      const kept = data.points.reduce((a, p) => a + p.kept, 0);
      $('chart-foot').textContent = Math.round(ops) + ' operations in 15 min' + (kept ? ', ' + kept + ' kept although sampled out' : '') + '. Every operation counts, sampled or not.';
    } catch (e) {
      $('chart-foot').textContent = 'Could not load the chart: ' + e.message;
    }
  }
  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function drawChart(id, points, keys, classes, fmt, marks) {
    const W = 360, H = 90, P = 4;
    let max = 0;
    for (const p of points) for (const k of keys) if (p[k] > max) max = p[k];
    const x = (i) => (P + (i * (W - 2 * P)) / Math.max(points.length - 1, 1)).toFixed(1);
    const y = (v) => (H - P - (max > 0 ? (v / max) * (H - 2 * P) : 0)).toFixed(1);
    const kids = keys.map((k, j) => {
      let d = '';
      points.forEach((p, i) => {
        if (p[k] === null) return;
        d += (i > 0 && points[i - 1][k] !== null ? 'L' : 'M') + x(i) + ' ' + y(p[k]);
      });
      return svgEl('path', { d, class: 'line ' + classes[j], 'data-series': k });
    });
    // Kept spans (sampled out, kept for their error or slowness) as dots on the error line.
    if (marks) points.forEach((p, i) => { if (p.kept > 0) kids.push(svgEl('circle', { cx: x(i), cy: y(p.errorsPerS), r: 2.5, class: 'kept' })); });
    $(id).replaceChildren(...kids);
    $(id + '-max').textContent = 'max ' + fmt(max);
  }

  // ---- live stream ----
  function setConn(cls, text) {
    const c = $('conn');
    c.className = 'pill ' + cls;
    c.textContent = text;
  }
  function connect() {
    const es = new EventSource('api/stream');
    state.es = es;
    setConn('', 'connecting…');
    es.onopen = () => {
      setConn('live', 'live');
      loadRows(); // fills any gap while disconnected
      loadSummary();
      loadChart();
    };
    es.onmessage = (m) => {
      try { addLive(JSON.parse(m.data)); } catch (e) { /* ignore a bad event */ }
    };
    es.onerror = () => {
      setConn('down', 'reconnecting…');
      if (es.readyState === EventSource.CLOSED) setTimeout(() => { if (state.es === es) connect(); }, 3000);
    };
  }

  // ---- sessions: sessions, connections and runs, each a waterfall of its operations ----
  let sessionsTimer = null;
  function scheduleSessions() {
    if (sessionsTimer) return;
    sessionsTimer = setTimeout(() => {
      sessionsTimer = null;
      if (state.tab === 'sessions') loadSessions();
      if (state.sessionView) loadSession(state.sessionView, true);
    }, 500);
  }
  function showTab(tab) {
    state.tab = tab;
    $('tab-ops').setAttribute('aria-selected', String(tab === 'ops'));
    $('tab-sessions').setAttribute('aria-selected', String(tab === 'sessions'));
    $('ops-panel').hidden = tab !== 'ops';
    $('sessions-panel').hidden = tab !== 'sessions';
    if (tab === 'sessions') loadSessions();
  }
  const BY = { session: 'session', connection: 'connection', run: 'run' };
  function sessionRow(x) {
    return el('tr', { class: x.errors > 0 ? 'has-errors' : '', tabindex: 0, 'data-sid': x.id, title: 'Open the ' + BY[x.by] + "'s timeline" },
      el('td', { class: 'label' }, el('span', { class: 'tag by' }, BY[x.by] || x.by), el('span', { class: 'mono' }, x.label)),
      el('td', null, x.client || el('span', { class: 'muted' }, '—')),
      el('td', null, x.tenant || el('span', { class: 'muted' }, '—')),
      el('td', { class: 'num' }, x.calls),
      el('td', { class: 'num rate' + (x.errors > 0 ? ' bad' : '') }, x.errors),
      el('td', { class: 'num' }, fmtDur(x.durationMs)),
      el('td', { class: 'num' }, fmtBytes(x.bytesIn)),
      el('td', { class: 'num' }, fmtBytes(x.bytesOut)),
      el('td', { class: 'mono muted' }, fmtTime(x.endMs)));
  }
  async function loadSessions() {
    try {
      const r = await fetch('api/sessions', { cache: 'no-store' });
      const data = await r.json();
      if (!r.ok) throw new Error(data.error || r.statusText);
      $('sessions-body').replaceChildren(...data.sessions.map(sessionRow));
      $('sessions-empty').hidden = data.sessions.length > 0;
      $('tab-sessions').textContent = 'Sessions (' + data.sessions.length + ')';
      $('sessions-foot').textContent = 'The ' + data.capacity + ' most recently active sessions, connections and runs are kept, with their last '
        + data.maxOperations + ' operations' + (data.evicted ? '; ' + data.evicted + ' older ones evicted.' : '.')
        + ' A stateless run groups one client\'s operations by propagated trace, or until a 30 s pause.';
    } catch (e) {
      $('sessions-empty').hidden = false;
      $('sessions-empty').textContent = 'Could not load sessions: ' + e.message;
    }
  }
  function openSession(id) {
    location.hash = 'session=' + id;
  }
  async function loadSession(id, refresh) {
    state.sessionView = id;
    state.trace = null;
    $('drawer').hidden = false;
    $('backdrop').hidden = false;
    if (!refresh) { $('t-title').textContent = 'Session'; $('t-id').textContent = ''; $('t-body').replaceChildren(el('p', { class: 'note' }, 'Loading…')); $('t-close').focus(); }
    try {
      const r = await fetch('api/sessions/' + id, { cache: 'no-store' });
      const data = await r.json();
      if (state.sessionView !== id) return;
      if (!r.ok) {
        $('t-title').textContent = 'Session not in memory';
        $('t-body').replaceChildren(el('p', { class: 'note' }, data.error || r.statusText));
        return;
      }
      renderSession(data.session, data.operations);
    } catch (e) {
      $('t-body').replaceChildren(el('p', { class: 'note' }, 'Could not load the session: ' + e.message));
    }
  }
  function renderSession(x, ops) {
    $('t-title').textContent = (BY[x.by] || x.by).replace(/^./, (c) => c.toUpperCase()) + ' ' + x.label;
    $('t-id').textContent = [x.client, x.tenant, x.user].filter(Boolean).join(' · ');
    const meta = el('div', { class: 'meta' },
      el('span', null, el('b', null, String(x.calls)), x.calls === 1 ? ' call' : ' calls'),
      x.errors ? el('span', { style: { color: 'var(--err)' } }, el('b', null, String(x.errors)), x.errors === 1 ? ' error' : ' errors') : el('span', null, el('b', null, '0'), ' errors'),
      el('span', null, 'total ', el('b', null, fmtDur(x.durationMs))),
      el('span', null, 'started ', el('b', null, fmtTime(x.startMs))),
      el('span', null, 'in ', el('b', null, fmtBytes(x.bytesIn)), ' · out ', el('b', null, fmtBytes(x.bytesOut))),
      x.tokens ? el('span', null, el('b', null, fmtCount(x.tokens)), ' result tokens (est.)') : null,
      x.dropped ? el('span', null, el('b', null, String(x.dropped)), ' older operations not shown') : null);
    if (ops.length === 0) return void $('t-body').replaceChildren(meta);
    const rows = order(ops);
    const t0 = Math.min(...ops.map((o) => o.startMs));
    const total = Math.max(Math.max(...ops.map((o) => o.endMs)) - t0, 0.001);
    const pct = (t) => Math.min(100, Math.max(0, ((t - t0) / total) * 100));
    const ticks = el('div', { class: 'ticks' }, [0, 25, 50, 75, 100].map((p) => el('span', { style: { left: p + '%' } }, fmtDur((total * p) / 100))));
    const timeline = el('div', { class: 'timeline', id: 's-waterfall' },
      el('div', { class: 'tl-axis' }, el('div', { class: 'tl-label' }, 'operation'), ticks, el('div', { class: 'num tl-dur' }, 'duration')),
      rows.map(({ s: o, depth }) => {
        const cls = o.error ? 'error' : o.outcome ? 'warn' : 'ok';
        const left = pct(o.startMs);
        const width = Math.max(pct(o.endMs) - left, 0.25);
        const cost = [o.argumentsBytes !== undefined ? 'arguments ' + fmtBytes(o.argumentsBytes) : '', o.resultBytes !== undefined ? 'result ' + fmtBytes(o.resultBytes) : '',
          o.resultTokens !== undefined ? fmtCount(o.resultTokens) + ' tokens' : '', o.errorType ? 'error ' + o.errorType : '', o.outcome || ''].filter(Boolean).join(', ');
        return el('div', { class: 'tl-row', 'data-trace': o.traceId, 'data-span': o.spanId, 'data-depth': depth, title: o.name + ' — ' + fmtDur(o.durationMs) + (cost ? ' — ' + cost : '') + '. Click to open its trace.' },
          el('div', { class: 'tl-label', style: { paddingLeft: 10 + depth * 16 + 'px' } }, depth ? '└ ' : '', o.name,
            o.kind === 'client' ? el('span', { class: 'tag' }, 'server → client') : null,
            o.resultType === 'input_required' ? el('span', { class: 'tag mrtr', title: 'an interim answer: the client is asked for input and calls again' }, 'input required') : null),
          el('div', { class: 'tl-track' }, el('div', { class: 'bar ' + cls, style: { left: left + '%', width: width + '%' } })),
          el('div', { class: 'num tl-dur' }, fmtDur(o.durationMs)));
      }));
    $('t-body').replaceChildren(meta, timeline, el('p', { class: 'note' }, 'One row per operation, by start time; server → client requests are nested under the call that carried them. Click a row to open its trace.'));
  }

  // ---- trace view ----
  let traceTimer = null;
  function scheduleTrace() {
    if (traceTimer) return;
    traceTimer = setTimeout(() => { traceTimer = null; if (state.trace) loadTrace(state.trace, state.span, true); }, 300);
  }
  function openTrace(traceId, spanId) {
    location.hash = 'trace=' + traceId + (spanId ? '/' + spanId : '');
  }
  function closeTrace() {
    state.trace = null;
    state.sessionView = null;
    $('drawer').hidden = true;
    $('backdrop').hidden = true;
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  }
  function fromHash() {
    const sm = /^#session=(s[0-9]+)$/.exec(location.hash);
    if (sm) return void loadSession(sm[1], false);
    const m = /^#trace=([0-9a-f]{32})(?:\/([0-9a-f]{16}))?$/.exec(location.hash);
    if (!m) { if (state.trace || state.sessionView) closeTrace(); return; }
    state.sessionView = null;
    loadTrace(m[1], m[2] || null, false);
  }
  async function loadTrace(traceId, spanId, refresh) {
    state.trace = traceId;
    state.span = spanId;
    $('drawer').hidden = false;
    $('backdrop').hidden = false;
    $('t-id').textContent = 'trace ' + traceId;
    if (!refresh) { $('t-title').textContent = 'Trace'; $('t-body').replaceChildren(el('p', { class: 'note' }, 'Loading…')); $('t-close').focus(); }
    try {
      const r = await fetch('api/traces/' + traceId, { cache: 'no-store' });
      const data = await r.json();
      if (state.trace !== traceId) return;
      renderTrace(data.spans || []);
    } catch (e) {
      $('t-body').replaceChildren(el('p', { class: 'note' }, 'Could not load the trace: ' + e.message));
    }
  }
  const byStart = (a, b) => a.startMs - b.startMs || b.endMs - a.endMs;
  function order(spans) {
    const ids = new Set(spans.map((s) => s.spanId));
    const kids = new Map();
    const roots = [];
    for (const s of spans) {
      if (s.parentSpanId && ids.has(s.parentSpanId)) {
        if (!kids.has(s.parentSpanId)) kids.set(s.parentSpanId, []);
        kids.get(s.parentSpanId).push(s);
      } else roots.push(s);
    }
    const out = [];
    const walk = (s, depth) => {
      out.push({ s, depth });
      for (const c of (kids.get(s.spanId) || []).sort(byStart)) walk(c, depth + 1);
    };
    for (const r of roots.sort(byStart)) walk(r, 0);
    return out;
  }
  function renderTrace(spans) {
    const body = $('t-body');
    if (spans.length === 0) {
      $('t-title').textContent = 'Trace not in memory';
      body.replaceChildren(el('p', { class: 'note' }, 'This trace is no longer in the buffer: the view keeps only the most recent spans.'));
      return;
    }
    const rows = order(spans);
    const t0 = Math.min(...spans.map((s) => s.startMs));
    const t1 = Math.max(...spans.map((s) => s.endMs));
    const total = Math.max(t1 - t0, 0.001);
    const pct = (t) => Math.min(100, Math.max(0, ((t - t0) / total) * 100));
    const root = rows[0].s;
    const sel = spans.find((s) => s.spanId === state.span) || root;
    state.span = sel.spanId;
    $('t-title').textContent = root.name;
    const session = root.attributes['mcp.session.id'];
    const errors = spans.filter((s) => s.status.code === 'error').length;
    const meta = el('div', { class: 'meta' },
      el('span', null, el('b', null, String(spans.length)), spans.length === 1 ? ' span' : ' spans'),
      el('span', null, 'total ', el('b', null, fmtDur(t1 - t0))),
      el('span', null, 'started ', el('b', null, fmtTime(t0))),
      errors ? el('span', { style: { color: 'var(--err)' } }, el('b', null, String(errors)), errors === 1 ? ' error' : ' errors') : null,
      typeof session === 'string' ? el('span', null, 'session ', el('code', null, session)) : null);
    const ticks = el('div', { class: 'ticks' }, [0, 25, 50, 75, 100].map((p) => el('span', { style: { left: p + '%' } }, fmtDur((total * p) / 100))));
    const timeline = el('div', { class: 'timeline' },
      el('div', { class: 'tl-axis' }, el('div', { class: 'tl-label' }, 'span'), ticks, el('div', { class: 'num tl-dur' }, 'duration')),
      rows.map(({ s, depth }) => {
        const st = statusOf(s);
        const left = pct(s.startMs);
        const width = Math.max(pct(s.endMs) - left, 0.25);
        return el('div', { class: 'tl-row' + (s === sel ? ' sel' : ''), 'data-span': s.spanId, title: s.name + ' — ' + fmtDur(s.durationMs) },
          el('div', { class: 'tl-label', style: { paddingLeft: 10 + depth * 16 + 'px' } }, depth ? '└ ' : '', s.name,
            s.kind === 'client' ? el('span', { class: 'tag' }, 'server → client') : null),
          el('div', { class: 'tl-track' },
            el('div', { class: 'bar ' + st.cls, style: { left: left + '%', width: width + '%' } }),
            s.events.map((e) => el('div', {
              class: 'ev' + (e.name === 'mcp.cancelled' ? ' cancel' : e.name === 'mcp.log_message' ? ' log' : ''),
              style: { left: pct(e.timeMs) + '%' },
              title: e.name + ' +' + fmtDur(e.timeMs - s.startMs) + (e.attributes ? '  ' + attrText(e.attributes) : ''),
            }))),
          el('div', { class: 'num tl-dur' }, fmtDur(s.durationMs)));
      }));
    body.replaceChildren(meta, timeline, spanDetail(sel, spans));
  }
  function spanDetail(s, spans) {
    const st = statusOf(s);
    const parent = s.parentSpanId ? spans.find((p) => p.spanId === s.parentSpanId) : null;
    const keys = Object.keys(s.attributes).sort();
    return el('section', { class: 'span-detail', id: 't-detail' },
      el('h3', null, s.name, el('span', { class: 'badge ' + st.cls }, st.label)),
      el('dl', { class: 'kv' },
        el('dt', null, 'span id'), el('dd', { class: 'mono' }, s.spanId),
        el('dt', null, 'parent'), el('dd', { class: 'mono' }, s.parentSpanId ? s.parentSpanId + (parent ? '  (' + parent.name + ')' : '  (remote: the caller\'s span)') : '— (root)'),
        el('dt', null, 'kind'), el('dd', null, s.kind),
        el('dt', null, 'start'), el('dd', null, fmtTime(s.startMs) + '  ' + new Date(s.startMs).toISOString().slice(0, 10)),
        el('dt', null, 'duration'), el('dd', null, fmtDur(s.durationMs)),
        el('dt', null, 'status'), el('dd', null, s.status.code === 'unset' ? 'unset (not an error)' : s.status.code + (s.status.message ? ': ' + s.status.message : ''))),
      el('h4', null, 'Events (' + s.events.length + ')'),
      s.events.length
        ? el('ol', { class: 'events', id: 't-events' }, s.events.map((e) => el('li', { class: e.name === 'mcp.cancelled' ? 'cancel' : '' },
          el('span', { class: 'off' }, '+' + fmtDur(e.timeMs - s.startMs)), el('span', { class: 'en' }, e.name),
          e.attributes ? el('code', null, attrText(e.attributes)) : null)))
        : el('p', { class: 'note' }, 'No events (progress, log messages and cancellations appear here).'),
      el('h4', null, 'Attributes (' + keys.length + ')'),
      el('table', { class: 'attrs' }, el('tbody', null, keys.map((k) => el('tr', null, el('td', null, k), el('td', null, fmtVal(s.attributes[k])))))),
      s.links.length ? [el('h4', null, 'Links'), el('table', { class: 'attrs' }, el('tbody', null, s.links.map((l) =>
        el('tr', null, el('td', null, 'trace ' + l.traceId), el('td', null, 'span ' + l.spanId + (l.attributes ? '  ' + attrText(l.attributes) : ''))))))] : null);
  }

  // ---- wiring ----
  function onFilterChange() {
    loadRows();
    loadChart();
  }
  function setSession(id) {
    state.session = id;
    $('f-session').hidden = !id;
    $('f-session-id').textContent = short(id, 12);
    loadRows();
  }
  let minTimer = null;
  document.addEventListener('DOMContentLoaded', () => {
    $('f-method').addEventListener('change', onFilterChange);
    $('f-tool').addEventListener('change', onFilterChange);
    $('f-status').addEventListener('change', onFilterChange);
    for (const [, id] of CALLER) $(id).addEventListener('change', onFilterChange);
    $('f-min').addEventListener('input', () => { clearTimeout(minTimer); minTimer = setTimeout(onFilterChange, 300); });
    $('f-session-x').addEventListener('click', () => setSession(''));
    $('filters').addEventListener('submit', (e) => { e.preventDefault(); onFilterChange(); });
    $('f-clear').addEventListener('click', () => {
      $('f-method').value = ''; $('f-tool').value = ''; $('f-status').value = ''; $('f-min').value = '';
      for (const [, id] of CALLER) $(id).value = '';
      setSession('');
    });
    $('ops-body').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-session]');
      if (b) { e.stopPropagation(); setSession(b.dataset.session); return; }
      const tr = e.target.closest('tr[data-trace]');
      if (tr) openTrace(tr.dataset.trace, tr.dataset.span);
    });
    $('ops-body').addEventListener('keydown', (e) => {
      const tr = e.target.closest('tr[data-trace]');
      if (tr && e.key === 'Enter') openTrace(tr.dataset.trace, tr.dataset.span);
    });
    $('sum-body').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-tool]');
      if (!tr) return;
      $('f-tool').value = tr.dataset.tool;
      onFilterChange();
    });
    $('t-body').addEventListener('click', (e) => {
      const r = e.target.closest('.tl-row[data-span]');
      if (r && r.dataset.trace) openTrace(r.dataset.trace, r.dataset.span);
      else if (r && state.trace) openTrace(state.trace, r.dataset.span);
    });
    $('tab-ops').addEventListener('click', () => showTab('ops'));
    $('tab-sessions').addEventListener('click', () => showTab('sessions'));
    $('sessions-body').addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-sid]');
      if (tr) openSession(tr.dataset.sid);
    });
    $('sessions-body').addEventListener('keydown', (e) => {
      const tr = e.target.closest('tr[data-sid]');
      if (tr && e.key === 'Enter') openSession(tr.dataset.sid);
    });
    $('t-close').addEventListener('click', closeTrace);
    $('backdrop').addEventListener('click', closeTrace);
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && (state.trace || state.sessionView)) closeTrace(); });
    window.addEventListener('hashchange', fromHash);
    connect();
    setInterval(loadChart, 10000); // the window slides even when nothing happens
    fromHash();
  });
})();
`;

const FAVICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%232f6fed'/%3E%3Crect x='3' y='4' width='8' height='2' fill='white'/%3E%3Crect x='5' y='7' width='8' height='2' fill='white'/%3E%3Crect x='4' y='10' width='5' height='2' fill='white'/%3E%3C/svg%3E";

export function renderPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mcp-trace-proxy · live traces</title>
<link rel="icon" href="${FAVICON}">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>mcp-trace-proxy<small>live trace view</small></h1>
  <span id="conn" class="pill">connecting…</span>
  <span class="spacer"></span>
  <span id="buffer" class="muted"></span>
</header>
<main>
  <section class="card" aria-label="Recent operations and sessions">
    <nav class="tabs" role="tablist">
      <button type="button" role="tab" id="tab-ops" aria-selected="true" aria-controls="ops-panel">Operations</button>
      <button type="button" role="tab" id="tab-sessions" aria-selected="false" aria-controls="sessions-panel">Sessions</button>
    </nav>
    <div id="ops-panel" role="tabpanel">
    <form id="filters" class="filters">
      <label>Method <select id="f-method"><option value="">all methods</option></select></label>
      <label>Tool <select id="f-tool"><option value="">all tools</option></select></label>
      <label hidden>Tenant <select id="f-tenant"><option value="">all tenants</option></select></label>
      <label hidden>User <select id="f-user"><option value="">all users</option></select></label>
      <label hidden>Client <select id="f-client"><option value="">all clients</option></select></label>
      <label>Status <select id="f-status"><option value="">any</option><option value="ok">ok</option><option value="error">errors only</option></select></label>
      <label>Min duration (ms) <input id="f-min" type="number" min="0" step="1" placeholder="0"></label>
      <span id="f-session" class="chip" hidden>session <code id="f-session-id"></code><button type="button" id="f-session-x" title="Remove the session filter" aria-label="Remove the session filter">×</button></span>
      <button type="button" id="f-clear">Clear filters</button>
      <span id="count" class="count"></span>
    </form>
    <table id="ops">
      <thead><tr><th>Time</th><th>Operation</th><th>Session</th><th class="caller">Tenant / user</th><th class="client">Client</th><th class="num">Duration</th><th>Status</th><th>Trace</th></tr></thead>
      <tbody id="ops-body"></tbody>
    </table>
    <div id="empty" class="empty">Loading…</div>
    </div>
    <div id="sessions-panel" role="tabpanel" hidden>
      <table id="sessions">
        <thead><tr><th>Session</th><th>Client</th><th>Tenant</th><th class="num">Calls</th><th class="num">Errors</th><th class="num">Duration</th><th class="num" title="Raw JSON bytes of the arguments sent">In</th><th class="num" title="Raw JSON bytes of the results returned">Out</th><th>Last active</th></tr></thead>
        <tbody id="sessions-body"></tbody>
      </table>
      <div id="sessions-empty" class="empty">No sessions yet.</div>
      <div id="sessions-foot" class="foot"></div>
    </div>
  </section>
  <aside class="card" id="summary" aria-label="Per-tool summary">
    <h2 id="chart-title">Last 15 minutes</h2>
    <div class="chart"><div class="legend"><span><i class="ops"></i>ops/s</span><span><i class="errs"></i>errors/s</span><span><i class="kept"></i>kept</span><span id="chart-rate-max" class="max"></span></div>
      <svg id="chart-rate" viewBox="0 0 360 90" preserveAspectRatio="none" role="img" aria-label="Operations and errors per second, last 15 minutes"></svg></div>
    <div class="chart"><div class="legend"><span><i class="p50"></i>p50</span><span><i class="p95"></i>p95</span><span id="chart-lat-max" class="max"></span></div>
      <svg id="chart-lat" viewBox="0 0 360 90" preserveAspectRatio="none" role="img" aria-label="p50 and p95 latency, last 15 minutes"></svg></div>
    <div id="chart-foot" class="foot"></div>
    <h2>Tools</h2>
    <table>
      <thead><tr><th>Tool</th><th class="num">Calls</th><th class="num">Errors</th><th class="num">p50</th><th class="num">p95</th><th class="num cost" title="Raw JSON size of the results, p50 / p95">Result</th><th class="num tok" title="Estimated tokens of the results, p50 / p95 (--estimate-tokens)">Tokens</th></tr></thead>
      <tbody id="sum-body"></tbody>
    </table>
    <div id="sum-empty" class="empty">No tool calls yet.</div>
    <div id="sum-foot" class="foot"></div>
  </aside>
</main>
<div id="backdrop" hidden></div>
<div id="drawer" role="dialog" aria-modal="true" aria-labelledby="t-title" hidden>
  <div class="drawer-head">
    <div><h2 id="t-title">Trace</h2><div id="t-id" class="mono muted"></div></div>
    <button id="t-close" class="close" type="button" aria-label="Close the trace">×</button>
  </div>
  <div id="t-body"></div>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
