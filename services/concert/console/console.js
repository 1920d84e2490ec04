// The operator console (plain browser JavaScript, no build step): live charts from
// GET /api/v1/admin/charts drawn with uPlot, the operator controls of the admin API,
// and the audit log. An endpoint this server does not have (404 route_not_found) is
// shown as not available rather than failing the page.
(() => {
  'use strict';
  const session = window.onsaleSession;
  const $ = (id) => document.getElementById(id);
  const REFRESH_MS = 5000;
  const plots = new Map();
  let concerts = [];

  const errorText = (res) => (res.status === 0 ? 'no answer (offline?)' : `${res.status} ${res.body?.error?.code ?? ''}: ${res.body?.error?.message ?? ''}`);
  const missing = (res) => res.status === 404 && res.body?.error?.code === 'route_not_found';
  const concertId = () => $('concert').value;

  function show(signedIn) {
    $('login').hidden = signedIn;
    $('app').hidden = !signedIn;
  }

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const res = await session.signIn($('email').value, $('password').value);
    if (res.status !== 200) return void ($('login-error').textContent = `Sign-in failed: ${errorText(res)}`);
    if (res.body?.user?.role && res.body.user.role !== 'admin') {
      session.signOut();
      return void ($('login-error').textContent = 'This account is not an admin.');
    }
    await start();
  });

  async function loadConcerts() {
    const res = await session.api('GET', '/api/v1/concerts?when=all&limit=100');
    if (res.status !== 200) throw new Error(errorText(res));
    concerts = res.body;
    const select = $('concert');
    const keep = select.value;
    select.replaceChildren(...concerts.map((c) => new Option(`${c.name} (${new Date(c.startsAt).toLocaleString()})`, c.id)));
    if (keep && concerts.some((c) => c.id === keep)) select.value = keep;
    fillSeatTypes();
  }

  function fillSeatTypes() {
    const concert = concerts.find((c) => c.id === concertId());
    for (const select of document.querySelectorAll('.seat-types'))
      select.replaceChildren(...(concert?.seatTypes ?? []).map((s) => new Option(`${s.name} (${s.capacity})`, s.id)));
  }

  function drawChart(chart) {
    let box = document.querySelector(`[data-chart="${chart.id}"]`);
    if (!box) {
      box = document.createElement('div');
      box.className = 'chart';
      box.dataset.chart = chart.id;
      box.innerHTML = `<h3></h3><div class="plot"></div><p class="empty"></p>`;
      box.querySelector('h3').textContent = `${chart.title} (${chart.unit})`;
      $('charts').append(box);
    }
    box.querySelector('.empty').textContent = chart.series.length ? '' : 'No data yet for this concert.';
    const names = chart.series.map((s) => s.name).join('|');
    const data = [chart.times, ...chart.series.map((s) => s.values)];
    const known = plots.get(chart.id);
    if (known && known.names === names) return void known.plot.setData(data);
    known?.plot.destroy();
    const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];
    const plot = new window.uPlot(
      {
        width: Math.max(380, box.clientWidth - 16),
        height: 200,
        series: [{}, ...chart.series.map((s, i) => ({ label: s.name, stroke: colours[i % colours.length], width: 2, spanGaps: false }))],
        axes: [{}, { size: 60 }],
      },
      data,
      box.querySelector('.plot'),
    );
    plots.set(chart.id, { plot, names });
  }

  async function refreshCharts() {
    if (!concertId()) return;
    const res = await session.api('GET', `/api/v1/admin/charts?concertId=${concertId()}&minutes=${$('minutes').value}`);
    if (res.status !== 200) return void ($('charts-note').textContent = `Charts not available: ${errorText(res)}`);
    $('charts-note').textContent = `Updated ${new Date().toLocaleTimeString()} (every ${REFRESH_MS / 1000} s)`;
    res.body.charts.forEach(drawChart);
  }

  async function refreshAudit() {
    if (!concertId()) return;
    const res = await session.api('GET', `/api/v1/concerts/${concertId()}/audit?limit=50`);
    const body = $('audit').querySelector('tbody');
    if (res.status !== 200) {
      body.replaceChildren();
      return void ($('audit-note').textContent = missing(res) ? 'The audit log is not available on this server yet.' : `Audit log: ${errorText(res)}`);
    }
    $('audit-note').textContent = res.body.items.length ? '' : 'No changes recorded yet.';
    body.replaceChildren(
      ...res.body.items.map((entry) => {
        const row = document.createElement('tr');
        for (const text of [
          new Date(entry.at ?? entry.createdAt).toLocaleString(),
          entry.email ?? entry.by?.email ?? '',
          entry.action,
          JSON.stringify(entry.details ?? {}),
        ]) {
          const cell = document.createElement('td');
          cell.textContent = text;
          row.append(cell);
        }
        return row;
      }),
    );
  }

  /** Each control: the request it sends (method, path, body) from its form. */
  const CONTROLS = {
    edit: (f) => ['PATCH', `/api/v1/concerts/${concertId()}`, pick(f, ['name', 'venue', 'description'])],
    capacity: (f) => ['POST', `/api/v1/concerts/${concertId()}/seat-types/${f.seatTypeId.value}/capacity`, { add: Number(f.add.value) }],
    'close-seat-type': (f) => ['POST', `/api/v1/concerts/${concertId()}/seat-types/${f.seatTypeId.value}/close`],
    'close-sales': () => ['POST', `/api/v1/concerts/${concertId()}/close-sales`],
    line: (_f, op) => ['POST', `/api/v1/waiting-room/${concertId()}/${op}`],
    settings: (f) => ['PATCH', `/api/v1/waiting-room/${concertId()}/settings`, numbers(f, ['admitPerSecond', 'maxActive'])],
  };
  const pick = (f, names) => Object.fromEntries(names.filter((n) => f[n].value.trim()).map((n) => [n, f[n].value.trim()]));
  const numbers = (f, names) => Object.fromEntries(names.filter((n) => f[n].value).map((n) => [n, Number(f[n].value)]));

  for (const form of document.querySelectorAll('#controls form')) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const [method, path, body] = CONTROLS[form.dataset.action](form, e.submitter?.value);
      const res = await session.api(method, path, body);
      const what = form.querySelector('h3').textContent;
      $('control-result').textContent =
        res.status === 200 ? `${what}: done.` : missing(res) ? `${what}: not available on this server yet.` : `${what}: ${errorText(res)}`;
      if (res.status === 200) await Promise.all([loadConcerts(), refreshAudit()]);
    });
  }

  $('concert').addEventListener('change', () => {
    fillSeatTypes();
    void refreshCharts();
    void refreshAudit();
  });
  $('minutes').addEventListener('change', () => void refreshCharts());
  session.onSignedOut(() => show(false));

  async function start() {
    show(true);
    try {
      await loadConcerts();
    } catch (err) {
      $('charts-note').textContent = `Concerts not loaded: ${err.message}`;
    }
    await Promise.all([refreshCharts(), refreshAudit()]);
  }

  setInterval(() => !$('app').hidden && void refreshCharts(), REFRESH_MS);
  if (session.isSignedIn()) void start();
  else show(false);
})();
