// The fan-facing waiting room: plain browser JavaScript, no build step.
(() => {
  'use strict';
  const concertId = location.pathname.split('/').filter(Boolean).pop();
  const TOKEN_KEY = 'onsale.accessToken';
  const $ = (id) => document.getElementById(id);
  const sections = ['login', 'line', 'book', 'result', 'sold-out'];

  const state = {
    concert: null,
    position: null,
    /** serving when we first had a place: the start of the progress bar */
    startServing: null,
    admitPerSecond: 1,
    admission: null,
    finished: false,
    pendingRequestId: null,
    socket: null,
    pollTimer: null,
  };

  const accessToken = () => localStorage.getItem(TOKEN_KEY);

  async function api(method, path, body, headers = {}) {
    const token = accessToken();
    const res = await fetch(path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try {
      data = await res.json();
    } catch {
      /* empty body */
    }
    return { status: res.status, body: data };
  }

  function show(name) {
    for (const s of sections) $(s).hidden = s !== name;
  }

  function announce(text) {
    $('announcer').textContent = text;
  }

  function formatWait(seconds) {
    if (seconds == null) return '–';
    if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
    const minutes = Math.round(seconds / 60);
    return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function renderConcert(concert) {
    $('concert-name').textContent = concert.name;
    const when = new Date(concert.startsAt).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
    $('concert-details').textContent = `${concert.venue} · ${when}`;
    document.title = `Waiting room · ${concert.name}`;
    const select = $('seat-type');
    select.replaceChildren(
      ...concert.seatTypes.map((s) => {
        const option = document.createElement('option');
        option.value = s.id;
        option.textContent = `${s.name} · ${s.price} · ${s.remaining} left`;
        option.disabled = s.remaining === 0;
        return option;
      }),
    );
  }

  function renderPlace({ position, ahead, etaSeconds, serving }) {
    if (position == null) {
      $('line-title').textContent = 'You are in the pre-queue';
      $('line-message').textContent =
        'Everyone who arrives before the sale opens gets a random place at the opening moment, so there is no need to hurry. Keep this page open.';
      $('position').textContent = 'drawn at opening';
      $('ahead').textContent = '–';
      $('eta').textContent = formatWait(etaSeconds);
      $('progress').removeAttribute('value');
      return;
    }
    if (state.startServing == null) state.startServing = Math.min(serving, position - 1);
    $('line-title').textContent = 'You are in line';
    $('line-message').textContent = 'Keep this page open: it updates by itself and you will not lose your place.';
    $('position').textContent = String(position);
    $('ahead').textContent = String(ahead);
    $('eta').textContent = formatWait(etaSeconds);
    const span = Math.max(1, position - state.startServing);
    const done = Math.min(span, Math.max(0, serving - state.startServing));
    $('progress').value = Math.round((done / span) * 100);
    $('progress').setAttribute('aria-valuetext', `${ahead} fans ahead of you`);
  }

  function renderStatus(s) {
    state.admitPerSecond = s.admitPerSecond || state.admitPerSecond;
    if (s.status === 'admitted') return admit({ admissionToken: s.admissionToken, expiresAt: s.expiresAt });
    if (state.finished || state.admission) return;
    if (s.status === 'sold_out') return soldOut();
    state.position = s.position;
    show('line');
    renderPlace(s);
  }

  function admit({ admissionToken, expiresAt }) {
    if (state.finished) return;
    const first = !state.admission;
    state.admission = { token: admissionToken, expiresAt: new Date(expiresAt) };
    if (!first) return;
    show('book');
    announce('It is your turn: choose a seat type and book.');
    $('seat-type').focus();
    tickExpiry();
  }

  function tickExpiry() {
    if (!state.admission || state.finished) return;
    const left = Math.round((state.admission.expiresAt.getTime() - Date.now()) / 1000);
    $('admission-expiry').textContent =
      left > 0 ? `Your turn is held for ${formatWait(left)}.` : 'Your turn has expired. Reload the page to join the line again.';
    if (left > 0) setTimeout(tickExpiry, 1000);
  }

  function soldOut() {
    if (state.admission || state.finished) return;
    state.finished = true;
    show('sold-out');
    $('sold-out').focus();
    announce('Sold out: the line has stopped.');
    stopPolling();
  }

  const REASONS = {
    sold_out: 'That seat type sold out just before your request. Try another seat type.',
    already_booked: 'You already hold a ticket for this concert.',
    concert_started: 'The concert has started; sales are closed.',
    admission_required: 'Your turn has expired. Reload the page to join the line again.',
  };

  function showResult(decision) {
    if (decision.status === 'confirmed') {
      state.finished = true;
      stopPolling();
      const b = decision.booking;
      $('result').className = 'card confirmed';
      $('result-title').textContent = 'Booked! Your ticket is confirmed';
      $('result-text').textContent = `${b.seatTypeName}${b.seatNo ? `, seat ${b.seatNo}` : ''}. Booking reference ${b.id}. A confirmation email is on its way.`;
      show('result');
      $('result').focus();
      announce('Booked! Your ticket is confirmed.');
      return;
    }
    $('book-button').disabled = false;
    $('book-error').textContent = REASONS[decision.reason] || 'The booking did not go through. Please try again.';
  }

  async function book(event) {
    event.preventDefault();
    if (!state.admission) return;
    $('book-error').textContent = '';
    $('book-button').disabled = true;
    const res = await api(
      'POST',
      '/api/v1/bookings',
      { concertId, seatTypeId: $('seat-type').value },
      { 'x-admission-token': state.admission.token, prefer: 'wait=20' },
    );
    if (res.status === 201) return showResult({ status: 'confirmed', booking: res.body });
    if (res.status === 202) {
      state.pendingRequestId = res.body.requestId;
      return waitForDecision(res.body.requestId);
    }
    showResult({ status: 'rejected', reason: res.body?.error?.code });
  }

  async function waitForDecision(requestId) {
    while (state.pendingRequestId === requestId && !state.finished) {
      const res = await api('GET', `/api/v1/bookings/requests/${requestId}`);
      if (res.status === 200 && res.body.status !== 'queued') return showResult(res.body);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async function pollStatus() {
    const res = await api('GET', `/api/v1/waiting-room/${concertId}/status`);
    if (res.status === 200) renderStatus(res.body);
    else if (res.status === 401) return signOut();
    else if (res.status === 404) return joinLine();
  }

  function schedulePoll() {
    stopPolling();
    if (state.finished) return;
    // The socket is the sign of life while connected; polling then only guards against missed events.
    const every = state.socket?.connected ? 15_000 : 3_000;
    state.pollTimer = setTimeout(async () => {
      try {
        await pollStatus();
      } finally {
        schedulePoll();
      }
    }, every);
  }

  function stopPolling() {
    clearTimeout(state.pollTimer);
  }

  function connectSocket() {
    if (typeof io !== 'function' || state.socket) return;
    const socket = io({ path: '/socket.io', auth: { token: accessToken() } });
    state.socket = socket;
    socket.on('connect', () => {
      socket.emit('waiting-room:watch', { concertId });
      $('connection').textContent = 'Live updates on.';
      schedulePoll();
    });
    socket.on('disconnect', () => {
      $('connection').textContent = 'Reconnecting… your place is kept.';
      schedulePoll();
    });
    socket.on('waiting-room:update', (u) => {
      if (u.concertId !== concertId || state.admission || state.finished) return;
      state.admitPerSecond = u.currentRate || u.admitPerSecond;
      if (u.soldOut) return soldOut();
      if (state.position == null || u.serving >= state.position) return void pollStatus();
      const ahead = Math.max(0, Math.min(state.position - u.serving - 1, u.waiting - 1));
      renderPlace({ position: state.position, ahead, etaSeconds: Math.ceil((ahead + 1) / state.admitPerSecond), serving: u.serving });
    });
    socket.on('waiting-room:admitted', (a) => a.concertId === concertId && admit(a));
    socket.on('waiting-room:sold-out', (e) => e.concertId === concertId && soldOut());
    socket.on('booking:result', (decision) => {
      if (decision.requestId === state.pendingRequestId) showResult(decision);
    });
  }

  async function joinLine() {
    const res = await api('POST', `/api/v1/waiting-room/${concertId}/join`);
    if (res.status === 401) return signOut();
    if (res.status !== 200) {
      $('concert-details').textContent = res.body?.error?.message || 'The waiting room is not available.';
      show(null);
      return;
    }
    renderStatus(res.body);
    if (res.body.status === 'waiting') announce(res.body.position == null ? 'You are in the pre-queue.' : `You are number ${res.body.position} in line.`);
    connectSocket();
    schedulePoll();
  }

  function signOut() {
    localStorage.removeItem(TOKEN_KEY);
    stopPolling();
    state.socket?.disconnect();
    state.socket = null;
    show('login');
  }

  async function signIn(event) {
    event.preventDefault();
    $('login-error').textContent = '';
    const res = await api('POST', '/api/v1/auth/login', { email: $('email').value.trim(), password: $('password').value });
    if (res.status !== 200) {
      $('login-error').textContent = res.status === 429 ? 'Too many attempts; wait a moment.' : 'Email or password is not right.';
      return;
    }
    localStorage.setItem(TOKEN_KEY, res.body.accessToken);
    await joinLine();
  }

  async function start() {
    $('login-form').addEventListener('submit', signIn);
    $('book-form').addEventListener('submit', book);
    const concert = await api('GET', `/api/v1/concerts/${concertId}`);
    if (concert.status !== 200) {
      $('concert-name').textContent = 'Concert not found';
      return;
    }
    state.concert = concert.body;
    renderConcert(concert.body);
    if (accessToken()) await joinLine();
    else show('login');
  }

  start().catch(() => {
    $('connection').textContent = 'Something went wrong. Reload the page to try again.';
  });
})();
