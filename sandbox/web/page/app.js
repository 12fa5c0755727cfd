/**
 * The sandbox page (plain browser JS, no build step): polls /api/snapshot and /api/alerts every
 * second and updates the page in place. Every text from the sandbox goes in
 * through textContent or an attribute, never through innerHTML. uPlot (served from
 * node_modules) draws the graph panels; a chart is updated with setData while its shape holds.
 */
(() => {
  'use strict';

  const POLL_MS = 1000;
  const HOUR_MS = 3600_000;
  /** Pixels per row of the dashboards' 24-column grid (CloudWatch's unit height). */
  const ROW_PX = 40;
  const MAX_NOTIFICATIONS = 100;
  const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
  const TIMELINE_KINDS = new Set(['routed', 'escalation', 'notification', 'ack', 'silence']);
  /** Routed outcomes that repeat for an alert already open: only the first of each shows. */
  const FOLDED_OUTCOMES = new Set(['duplicate', 'grouped', 'inhibited', 'silenced']);
  const STATUS_ORDER = { firing: 0, acked: 1, resolved: 2 };
  const number = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });
  const integer = new Intl.NumberFormat('en-US');

  const state = {
    /** The last snapshot and the wall-clock time it arrived (to estimate the simulated now). */
    snapshot: undefined,
    receivedAt: 0,
    activeDashboard: undefined,
    /** dashboard name -> { tab, section, panels: Map<key, panel view> } */
    dashboards: new Map(),
    /** fingerprint -> row view */
    alerts: new Map(),
    /** The last GET /api/alerts failed (its message is showing). */
    alertsUnreachable: false,
    /** traceId -> row view */
    traces: new Map(),
    expandedTraces: new Set(),
    /** element -> the key it was last rendered with (skips unchanged lists) */
    rendered: new WeakMap(),
  };

  // ---- DOM helpers --------------------------------------------------------------------------

  const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

  /**
   * Creates an element. `props`: class, testid, text, title, hidden, type, data (data-* attributes),
   * attrs (other attributes), on (event listeners). Children: nodes or strings (as text).
   */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    if (props.class) node.className = props.class;
    if (props.testid) node.setAttribute('data-testid', props.testid);
    if (props.text !== undefined) node.textContent = String(props.text);
    if (props.title !== undefined) node.title = String(props.title);
    if (props.hidden) node.hidden = true;
    if (props.type) node.setAttribute('type', props.type);
    for (const [k, v] of Object.entries(props.data ?? {})) node.dataset[k] = String(v);
    for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, String(v));
    for (const [k, f] of Object.entries(props.on ?? {})) node.addEventListener(k, f);
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      node.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  function setText(node, text) {
    const value = String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  /** Runs `render` only when `key` differs from the last one rendered into `node`. */
  function renderIfChanged(node, key, render) {
    if (state.rendered.get(node) === key) return;
    state.rendered.set(node, key);
    render();
  }

  // ---- time and numbers ---------------------------------------------------------------------

  const pad = (n) => String(n).padStart(2, '0');

  /** HH:MM:SS of a simulated epoch ms, UTC. */
  function clockTime(ms) {
    return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 19) : '--:--:--';
  }

  /** +mm:ss since the scenario started. */
  function sinceStart(ms) {
    const start = state.snapshot?.clock?.simStartMs ?? ms;
    const s = Math.round((ms - start) / 1000);
    const abs = Math.abs(s);
    return `${s < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }

  const when = (ms) => `${sinceStart(ms)} (${clockTime(ms)})`;

  /** The simulated now, moved on from the last snapshot by the clock's speed. */
  function simNow() {
    const snap = state.snapshot;
    if (!snap) return Date.now();
    return snap.now + (snap.finished ? 0 : (Date.now() - state.receivedAt) * (snap.clock?.speed ?? 1));
  }

  const formatValue = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : number.format(v));

  // ---- network ------------------------------------------------------------------------------

  async function request(method, path, body) {
    const init = { method, headers: { accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data;
    try {
      data = await response.json();
    } catch {
      data = undefined;
    }
    return { ok: response.ok, status: response.status, data };
  }

  async function getJson(path) {
    const r = await request('GET', path);
    if (!r.ok) throw new Error(r.data?.error ?? `${path} answered ${r.status}`);
    return r.data;
  }

  // ---- header -------------------------------------------------------------------------------

  function renderHeader(snap) {
    setText(byTestId('service'), snap.service);
    setText(byTestId('environment'), snap.environment);
    setText(byTestId('scenario'), snap.scenario.name);
    setText(byTestId('scenario-description'), snap.scenario.description);
    setText(byTestId('phase'), snap.finished ? 'finished' : snap.phase ? `phase ${snap.phase}` : 'starting');
    byTestId('phase').dataset.finished = String(snap.finished);
    setText(byTestId('sim-clock'), clockTime(snap.now));
    byTestId('sim-clock').dataset.now = String(snap.now);
    setText(byTestId('elapsed'), sinceStart(snap.now));
    setText(byTestId('speed'), `${integer.format(snap.clock.speed)}× speed`);
    const elapsed = snap.now - snap.clock.simStartMs;
    const fraction = snap.finished ? 1 : Math.min(1, Math.max(0, elapsed / Math.max(1, snap.scenario.durationMs)));
    byTestId('progress-bar').style.width = `${(fraction * 100).toFixed(1)}%`;
    setText(byTestId('progress'), `${Math.floor(fraction * 100)}%${snap.finished ? ' · finished' : ''}`);
    const s = snap.stats;
    const counters = {
      'counter-invocations': s.invocations,
      'counter-server-errors': s.serverErrors,
      'counter-errors': s.invocationErrors,
      'counter-cold-starts': s.coldStarts,
      'counter-log-events': s.logEvents,
      'counter-segments': s.segments,
      'counter-alarms': s.alarmsInAlarm,
      'counter-notifications': s.notifications,
      'counter-dead-lettered': s.deadLettered,
    };
    for (const [id, value] of Object.entries(counters)) setText(byTestId(id), integer.format(value));
    document.title = `${snap.scenario.name} · ${clockTime(snap.now)} · MAIF sandbox`;
  }

  // ---- dashboards ---------------------------------------------------------------------------

  function selectDashboard(name) {
    state.activeDashboard = name;
    for (const [n, view] of state.dashboards) {
      const active = n === name;
      view.tab.setAttribute('aria-selected', String(active));
      view.section.hidden = !active;
    }
  }

  function renderDashboards(list) {
    const tabs = byTestId('dashboard-tabs');
    const host = byTestId('dashboards');
    for (const d of list) {
      let view = state.dashboards.get(d.name);
      if (!view) {
        const tab = el('button', {
          class: 'tab',
          testid: 'dashboard-tab',
          text: d.title,
          type: 'button',
          data: { name: d.name },
          attrs: { role: 'tab', 'aria-selected': 'false' },
          on: { click: () => selectDashboard(d.name) },
        });
        const section = el('section', {
          class: 'grid',
          testid: 'dashboard',
          hidden: true,
          data: { name: d.name },
          attrs: { role: 'tabpanel', 'aria-label': d.title },
        });
        tabs.append(tab);
        host.append(section);
        view = { tab, section, panels: new Map() };
        state.dashboards.set(d.name, view);
      }
      d.panels.forEach((panel, i) => {
        const key = `${i}\u0000${panel.title}\u0000${panel.type}`;
        let pv = view.panels.get(key);
        if (!pv) {
          pv = createPanel(panel);
          view.panels.set(key, pv);
          view.section.append(pv.root);
        }
        updatePanel(pv, panel, d.periodSeconds);
      });
    }
    if (!state.activeDashboard || !state.dashboards.has(state.activeDashboard)) {
      if (list.length > 0) selectDashboard(list[0].name);
    }
  }

  function createPanel(panel) {
    const root = el('article', { class: `panel panel-${panel.type}`, testid: 'panel', data: { type: panel.type } });
    // Position on the 24-column grid, as custom properties (CSSOM, allowed by the page's CSP) so
    // the narrow-screen rule can stack the panels instead.
    root.style.setProperty('--grid-column', `${panel.x + 1} / span ${panel.width}`);
    root.style.setProperty('--grid-row', `${panel.y + 1} / span ${panel.height}`);
    const title = el('h3', { class: 'panel-title', text: panel.title, title: panel.title });
    const error = el('div', { class: 'panel-error', testid: 'panel-error', hidden: true });
    const body = el('div', { class: 'panel-body' });
    root.append(title, error, body);
    return { root, error, body, chart: undefined, shape: '', stats: [] };
  }

  function updatePanel(pv, panel, periodSeconds) {
    pv.error.hidden = !panel.error;
    setText(pv.error, panel.error ?? '');
    switch (panel.type) {
      case 'graph':
        return updateChart(pv, panel, periodSeconds);
      case 'singlestat':
      case 'gauge':
        return updateStats(pv, panel);
      case 'table':
        return updateTable(pv, panel);
      default:
        return undefined;
    }
  }

  /** uPlot's aligned data: x in seconds (the union of the series' period starts), then one array per series. */
  function alignedData(series) {
    const times = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const ys = series.map((s) => {
      const ys = new Array(times.length).fill(null);
      for (const [t, v] of s.points) ys[index.get(t)] = v;
      return ys;
    });
    return [times.map((t) => t / 1000), ...ys];
  }

  function chartSize(pv, panel) {
    const width = Math.max(160, pv.body.clientWidth || 320);
    const height = Math.max(100, panel.height * ROW_PX - 90);
    return { width, height };
  }

  function updateChart(pv, panel, periodSeconds) {
    if (!pv.container) {
      pv.container = el('div', { class: 'chart', testid: 'chart', data: { points: 0 } });
      pv.body.append(pv.container);
      // Resize with the panel, and when a hidden tab becomes visible (its width goes from 0).
      pv.observer = new ResizeObserver(() => {
        const width = pv.container.clientWidth;
        if (pv.chart && width > 0 && Math.abs(width - pv.chart.width) > 1) {
          pv.chart.setSize({ width, height: pv.chart.height });
        }
      });
      pv.observer.observe(pv.container);
    }
    const data = alignedData(panel.series);
    const drawn = data.slice(1).reduce((n, ys) => n + ys.filter((v) => v !== null).length, 0);
    pv.container.dataset.points = String(drawn);
    pv.container.dataset.period = String(periodSeconds);
    const shape = JSON.stringify(panel.series.map((s) => s.label));
    if (pv.chart && pv.shape === shape) {
      pv.chart.setData(data);
      return;
    }
    pv.chart?.destroy();
    pv.shape = shape;
    const size = chartSize(pv, panel);
    const options = {
      ...size,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true } },
      axes: [{ stroke: '#64748b' }, { stroke: '#64748b', size: 56, values: (_u, ticks) => ticks.map(formatValue) }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: 'time (UTC)' },
        ...panel.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          value: (_u, v) => formatValue(v),
          points: { show: true, size: 4 },
        })),
      ],
    };
    pv.chart = new uPlot(options, data, pv.container);
  }

  function updateStats(pv, panel) {
    if (pv.stats.length !== panel.series.length) {
      pv.body.replaceChildren();
      pv.stats = panel.series.map(() => {
        const value = el('div', { class: 'stat-value', testid: 'stat' });
        const label = el('div', { class: 'stat-label' });
        const fill = el('div', { class: 'gauge-fill' });
        const gauge = panel.type === 'gauge' ? el('div', { class: 'gauge' }, fill) : undefined;
        pv.body.append(el('div', { class: 'stat' }, value, gauge, label));
        return { value, label, fill };
      });
    }
    panel.series.forEach((s, i) => {
      const v = panel.latest[i];
      const view = pv.stats[i];
      setText(view.value, formatValue(v));
      view.value.dataset.value = v === null ? '' : String(v);
      setText(view.label, s.label);
      if (panel.type === 'gauge') view.fill.style.width = `${Math.min(100, Math.max(0, v ?? 0))}%`;
    });
  }

  function updateTable(pv, panel) {
    renderIfChanged(pv.body, JSON.stringify([panel.series.map((s) => s.label), panel.latest]), () => {
      const rows = panel.series.map((s, i) =>
        el('tr', {}, el('td', { text: s.label }), el('td', { class: 'num', text: formatValue(panel.latest[i]) })),
      );
      pv.body.replaceChildren(el('table', { class: 'list' }, el('tbody', {}, ...rows)));
    });
  }

  // ---- alerts, their timelines, silences ----------------------------------------------------

  function showAlertError(message) {
    const box = byTestId('alert-error');
    box.hidden = !message;
    setText(box, message ?? '');
  }

  const MAX_TIMELINE_ENTRIES = 25;

  /** The alert's entries in one pass; `silenceIds`: the silences the server matched to the alert. */
  function timelineEntries(alert, journal, silenceIds) {
    const folded = new Set();
    return journal.filter((e) => {
      if (!TIMELINE_KINDS.has(e.kind)) return false;
      if (e.kind === 'silence') return silenceIds.has(e.id);
      if (e.fingerprint !== alert.fingerprint) return false;
      // repeated events of an alert already open (one per log line for log-based alerts) say nothing new
      if (e.kind === 'routed' && FOLDED_OUTCOMES.has(e.outcome)) {
        if (folded.has(e.outcome)) return false;
        folded.add(e.outcome);
      }
      return true;
    });
  }

  function describe(e) {
    switch (e.kind) {
      case 'routed':
        return `Routed (${e.source}): ${e.outcome}${e.episode !== undefined ? `, episode ${e.episode}` : ''}${e.reason ? ` (${e.reason})` : ''}`;
      case 'escalation':
        if (!e.detail) return e.state;
        return e.detail.startsWith(e.state) ? e.detail : `${e.state} ${e.detail}`;
      case 'notification': {
        const level = e.level !== undefined ? ` level ${e.level}${e.levelName ? ` (${e.levelName})` : ''}` : '';
        return `${e.channel} got ${e.notificationKind}${level}: ${e.summary}`;
      }
      case 'ack':
        return `acknowledged by ${e.by}`;
      case 'silence':
        return `silenced by ${e.by} until ${clockTime(Date.parse(e.endsAt))} (${e.matchers})`;
      default:
        return e.kind;
    }
  }

  function createAlertRow(alert) {
    const name = el('span', { class: 'alert-name' });
    const severity = el('span', { class: 'badge' });
    const status = el('span', { class: 'badge' });
    const since = el('span', { class: 'since' });
    const labels = el('span', { class: 'labels' });
    const ack = el('button', { class: 'button primary', testid: 'ack', type: 'button', text: 'Acknowledge' });
    const silence = el('button', { class: 'button', testid: 'silence', type: 'button', text: 'Silence 1h' });
    const timeline = el('ol', { class: 'timeline', testid: 'timeline', data: { fingerprint: alert.fingerprint } });
    const root = el(
      'div',
      { class: 'alert-row', testid: 'alert-row', data: { fingerprint: alert.fingerprint } },
      el('div', { class: 'alert-head' }, name, severity, status, since, labels),
      el('div', { class: 'actions' }, ack, silence),
      timeline,
    );
    const row = { root, name, severity, status, since, labels, ack, silence, timeline, alert, busy: false };
    ack.addEventListener('click', () => acknowledge(row));
    silence.addEventListener('click', () => silenceAlert(row));
    return row;
  }

  function updateAlertRow(row, alert, journal, silenceIds) {
    row.alert = alert;
    row.root.dataset.status = alert.status;
    row.root.dataset.severity = alert.severity;
    row.root.dataset.alertname = alert.alertName;
    setText(row.name, alert.alertName);
    setText(row.severity, alert.severity);
    row.severity.className = `badge severity-${alert.severity}`;
    setText(row.status, alert.status);
    row.status.className = `badge status-${alert.status}`;
    setText(row.since, `since ${when(Date.parse(alert.startsAt))}`);
    renderIfChanged(row.labels, JSON.stringify(alert.labels), () => {
      row.labels.replaceChildren(
        ...Object.entries(alert.labels).map(([k, v]) => el('span', { class: 'chip', text: `${k}=${v}` })),
      );
    });
    row.ack.disabled = row.busy || alert.status !== 'firing';
    row.silence.disabled = row.busy;
    const all = timelineEntries(alert, journal, silenceIds);
    const hidden = Math.max(0, all.length - MAX_TIMELINE_ENTRIES);
    const entries = all.slice(hidden);
    renderIfChanged(row.timeline, `${all.length}:${all.at(-1)?.at}`, () => {
      row.timeline.replaceChildren(
        ...(hidden > 0 ? [el('li', { class: 'empty', text: `${hidden} earlier entries not shown` })] : []),
        ...(entries.length === 0
          ? [el('li', { class: 'empty', text: 'Nothing routed yet.' })]
          : entries.map((e) =>
              el(
                'li',
                { class: `entry entry-${e.kind}`, data: { kind: e.kind } },
                el('span', { class: 'entry-time', text: when(e.at) }),
                el('span', { class: 'entry-kind', text: e.kind }),
                el('span', { class: 'entry-text', text: describe(e) }),
              ),
            )),
      );
    });
  }

  function renderAlerts(alerts) {
    const host = byTestId('alerts');
    const journal = state.snapshot?.journal ?? [];
    const silences = state.snapshot?.silences ?? {};
    const sorted = [...alerts].sort(
      (a, b) =>
        (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3) ||
        Date.parse(b.startsAt) - Date.parse(a.startsAt),
    );
    const seen = new Set();
    const rows = sorted.map((alert) => {
      seen.add(alert.fingerprint);
      let row = state.alerts.get(alert.fingerprint);
      if (!row) {
        row = createAlertRow(alert);
        state.alerts.set(alert.fingerprint, row);
      }
      updateAlertRow(row, alert, journal, new Set(silences[alert.fingerprint] ?? []));
      return row.root;
    });
    for (const [fp, row] of state.alerts) {
      if (!seen.has(fp)) {
        row.root.remove();
        state.alerts.delete(fp);
      }
    }
    if (rows.length === 0) {
      renderIfChanged(host, 'empty', () => host.replaceChildren(el('p', { class: 'empty', text: 'No alert yet.' })));
      return;
    }
    // Re-append only when the order changed (keeps focus and hover on unchanged rows).
    const order = rows.map((r) => r.dataset.fingerprint).join(',');
    renderIfChanged(host, order, () => host.replaceChildren(...rows));
  }

  async function act(row, run) {
    row.busy = true;
    row.ack.disabled = true;
    row.silence.disabled = true;
    try {
      const r = await run();
      if (!r.ok) {
        const why =
          r.data?.error ?? (r.status === 409 ? `already ${r.data?.status ?? 'handled'}` : `status ${r.status}`);
        showAlertError(`${row.alert.alertName}: ${why}`);
      } else {
        showAlertError(undefined);
      }
    } catch (error) {
      showAlertError(`${row.alert.alertName}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      row.busy = false;
      await refreshAlerts();
    }
  }

  function acknowledge(row) {
    return act(row, () => request('POST', `/api/alerts/${encodeURIComponent(row.alert.fingerprint)}/ack`, {}));
  }

  function silenceAlert(row) {
    const a = row.alert;
    const matchers = [
      { name: 'alertname', value: a.alertName },
      ...Object.entries(a.labels).map(([name, value]) => ({ name, value })),
    ];
    const body = {
      matchers,
      endsAt: new Date(simNow() + HOUR_MS).toISOString(),
      comment: `Silenced for 1h from the sandbox page (${a.alertName})`,
    };
    return act(row, () => request('POST', '/api/silences', body));
  }

  async function refreshAlerts() {
    try {
      const data = await getJson('/api/alerts');
      renderAlerts(Array.isArray(data?.alerts) ? data.alerts : []);
    } catch (error) {
      showAlertError(`alerts: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // ---- alarms, notifications, traces, logs --------------------------------------------------

  function renderAlarms(alarms) {
    const body = byTestId('alarms').tBodies[0];
    renderIfChanged(body, JSON.stringify(alarms), () => {
      const rows = [...alarms]
        .sort((a, b) => (a.state === 'ALARM' ? 0 : 1) - (b.state === 'ALARM' ? 0 : 1) || a.alarm.localeCompare(b.alarm))
        .map((a) =>
          el(
            'tr',
            { testid: 'alarm-row', data: { alarm: a.alarm, state: a.state } },
            el('td', { class: 'mono', text: a.alarm, title: a.alarm }),
            el('td', { text: a.rule }),
            el('td', {}, el('span', { class: `badge severity-${a.severity}`, text: a.severity })),
            el('td', {}, el('span', { class: `badge state state-${a.state}`, text: a.state })),
          ),
        );
      body.replaceChildren(
        ...(rows.length
          ? rows
          : [el('tr', {}, el('td', { class: 'empty', text: 'No alarm.', attrs: { colspan: 4 } }))]),
      );
    });
  }

  function renderNotifications(journal) {
    const body = byTestId('notifications').tBodies[0];
    const list = journal.filter((e) => e.kind === 'notification');
    renderIfChanged(body, `${list.length}:${list.at(-1)?.at}`, () => {
      const rows = list
        .slice(-MAX_NOTIFICATIONS)
        .reverse()
        .map((n) =>
          el(
            'tr',
            {
              testid: 'notification-row',
              data: { channel: n.channel, kind: n.notificationKind, fingerprint: n.fingerprint },
            },
            el('td', { class: 'mono', text: when(n.at) }),
            el('td', {}, el('span', { class: `badge channel-${n.channel}`, text: n.channel })),
            el('td', { text: n.notificationKind }),
            el('td', { text: n.alertName }),
            el('td', { class: 'summary', text: n.summary, title: n.summary }),
          ),
        );
      body.replaceChildren(
        ...(rows.length
          ? rows
          : [el('tr', {}, el('td', { class: 'empty', text: 'Nothing received yet.', attrs: { colspan: 5 } }))]),
      );
    });
  }

  function waterfall(trace) {
    const segments = trace.segments ?? [];
    if (segments.length === 0) return el('p', { class: 'empty', text: 'No segment.' });
    const start = Math.min(...segments.map((s) => s.startTime));
    const end = Math.max(...segments.map((s) => s.endTime ?? s.startTime));
    const span = end - start;
    // Segment times share one unit (X-Ray: epoch seconds); durations scale to the trace's ms.
    const toMs = span > 0 ? trace.durationMs / span : 0;
    const byId = new Map(segments.map((s) => [s.id, s]));
    const depth = (s) => {
      let d = 0;
      for (let p = s.parentId; p && byId.has(p) && d < 20; p = byId.get(p).parentId) d++;
      return d;
    };
    const rows = [...segments]
      .sort((a, b) => a.startTime - b.startTime)
      .map((s) => {
        const left = span > 0 ? ((s.startTime - start) / span) * 100 : 0;
        const width =
          span > 0 && s.endTime !== undefined ? Math.max(0.5, ((s.endTime - s.startTime) / span) * 100) : 0.5;
        const bar = el('div', { class: `bar${s.fault ? ' fault' : s.error ? ' error' : ''}` });
        bar.style.marginLeft = `${left}%`;
        bar.style.width = `${width}%`;
        const name = el('div', { class: 'seg-name', text: s.name, title: s.name });
        name.style.paddingLeft = `${depth(s) * 12}px`;
        const ms = s.endTime !== undefined ? `${number.format((s.endTime - s.startTime) * toMs)} ms` : 'in progress';
        return el(
          'div',
          { class: 'seg', testid: 'segment' },
          name,
          el('div', { class: 'seg-track' }, bar),
          el('div', { class: 'seg-ms', text: ms }),
        );
      });
    return el('div', { class: 'waterfall', testid: 'waterfall' }, ...rows);
  }

  function renderTraces(traces) {
    const host = byTestId('traces');
    const newestFirst = [...traces].reverse();
    const seen = new Set();
    const nodes = newestFirst.map((t) => {
      seen.add(t.traceId);
      let view = state.traces.get(t.traceId);
      if (!view) {
        const summary = el('button', {
          class: 'trace-row',
          testid: 'trace-row',
          type: 'button',
          data: { traceId: t.traceId },
        });
        const detail = el('div', { class: 'trace-detail', hidden: true });
        view = { root: el('div', { class: 'trace', testid: 'trace' }, summary, detail), summary, detail, trace: t };
        summary.addEventListener('click', () => {
          if (state.expandedTraces.has(view.trace.traceId)) state.expandedTraces.delete(view.trace.traceId);
          else state.expandedTraces.add(view.trace.traceId);
          updateTrace(view, view.trace);
        });
        state.traces.set(t.traceId, view);
      }
      updateTrace(view, t);
      return view.root;
    });
    for (const [id, view] of state.traces) {
      if (!seen.has(id)) {
        state.traces.delete(id);
        state.expandedTraces.delete(id);
        view.root.remove();
      }
    }
    if (nodes.length === 0) {
      renderIfChanged(host, 'empty', () => host.replaceChildren(el('p', { class: 'empty', text: 'No trace yet.' })));
      return;
    }
    renderIfChanged(host, newestFirst.map((t) => t.traceId).join(','), () => host.replaceChildren(...nodes));
  }

  function updateTrace(view, t) {
    view.trace = t;
    const expanded = state.expandedTraces.has(t.traceId);
    view.summary.setAttribute('aria-expanded', String(expanded));
    renderIfChanged(view.summary, JSON.stringify([t.name, t.durationMs, t.error, t.fault, t.segments.length]), () => {
      // Fixed columns: an empty badge cell keeps the row aligned with the others.
      view.summary.replaceChildren(
        el('span', { class: 'mono trace-id', text: t.traceId, title: t.traceId }),
        el('span', { class: 'trace-name', text: t.name }),
        el('span', { class: 'num', text: `${number.format(t.durationMs)} ms` }),
        el('span', {}, t.fault ? el('span', { class: 'badge state-ALARM', text: 'fault' }) : undefined),
        el('span', {}, t.error ? el('span', { class: 'badge severity-warning', text: 'error' }) : undefined),
        el('span', { class: 'hint', text: `${t.segments.length} segment${t.segments.length === 1 ? '' : 's'}` }),
      );
    });
    view.detail.hidden = !expanded;
    if (expanded) {
      renderIfChanged(view.detail, JSON.stringify(t.segments), () => view.detail.replaceChildren(waterfall(t)));
    }
  }

  function renderLogs(lines) {
    const pre = byTestId('logs');
    const text = lines.length ? lines.join('\n') : 'No log event yet.';
    if (pre.textContent === text) return;
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    pre.textContent = text;
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  // ---- the loop -----------------------------------------------------------------------------

  function showConnection(message) {
    const banner = byTestId('connection');
    banner.hidden = !message;
    setText(banner, message ?? '');
  }

  function render(snap) {
    state.snapshot = snap;
    state.receivedAt = Date.now();
    renderHeader(snap);
    renderDashboards(snap.dashboards);
    renderAlarms(snap.alarms);
    renderNotifications(snap.journal);
    renderTraces(snap.traces);
    renderLogs(snap.logs);
  }

  async function poll() {
    try {
      const [snap, alerts] = await Promise.allSettled([getJson('/api/snapshot'), getJson('/api/alerts')]);
      if (snap.status === 'fulfilled') {
        render(snap.value);
        showConnection(undefined);
      } else {
        showConnection(`Cannot reach the sandbox (${snap.reason?.message ?? snap.reason}): retrying every second.`);
      }
      if (alerts.status === 'fulfilled') {
        renderAlerts(Array.isArray(alerts.value?.alerts) ? alerts.value.alerts : []);
        if (state.alertsUnreachable) showAlertError(undefined);
        state.alertsUnreachable = false;
      } else if (snap.status === 'fulfilled') {
        showAlertError(`alerts: ${alerts.reason?.message ?? alerts.reason}`);
        state.alertsUnreachable = true;
      }
    } catch (error) {
      showConnection(`The page failed to update: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  poll();
})();
