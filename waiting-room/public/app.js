// The fan-facing waiting room: plain browser JavaScript, no build step (session.js signs in).
(() => {
  'use strict';
  document.documentElement.classList.remove('no-js');
  const session = window.onsaleSession;
  const concertId = location.pathname.split('/').filter(Boolean).pop();
  const $ = (id) => document.getElementById(id);
  const sections = ['login', 'line', 'book', 'result', 'sold-out'];
  /** Screen readers hear the place at most this often; the page itself updates live. */
  const ANNOUNCE_PLACE_EVERY_MS = 30_000;
  /** How often a page whose turn passed asks whether the server has ended it (it does within a tick). */
  const TURN_RECHECK_MS = 2_000;

  const state = {
    concert: null,
    position: null,
    /** serving when we first had a place: the start of the progress bar */
    startServing: null,
    admitPerSecond: 1,
    admission: null,
    soldOut: false,
    /** the operator paused admissions (status says so) */
    paused: false,
    finished: false,
    pendingRequestId: null,
    socket: null,
    pollTimer: null,
    /** How long the room keeps a place after the last sign of life (null until status says). */
    graceSeconds: null,
    /** When the room last heard from this page (a status answer, or the open socket). */
    lastSeenAt: 0,
    signUp: false,
  };

  /** What other scripts (the waiting list) read and listen to: see the README's page section. */
  const room = { concertId, concert: null, soldOut: false, session, formatPrice: (price) => formatPrice(price) };
  window.onsaleWaitingRoom = room;

  function show(name) {
    for (const s of sections) $(s).hidden = s !== name;
  }

  const announcer = { timer: null, lastAt: 0, text: '' };
  /** Urgent news (admitted, booked, sold out) is announced at once and drops a pending place update. */
  function announce(text) {
    clearTimeout(announcer.timer);
    announcer.timer = null;
    $('announcer').textContent = text;
  }
  /** Place updates arrive every half second: a screen reader hears the latest at most every 30 s. */
  function announcePlace(text) {
    announcer.text = text;
    if (announcer.timer) return;
    const wait = Math.max(0, announcer.lastAt + ANNOUNCE_PLACE_EVERY_MS - Date.now());
    announcer.timer = setTimeout(() => {
      announcer.timer = null;
      announcer.lastAt = Date.now();
      $('announcer').textContent = announcer.text;
    }, wait);
  }

  function formatWait(seconds) {
    if (seconds == null) return '–';
    if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
    const minutes = Math.round(seconds / 60);
    return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function formatDuration(seconds) {
    if (seconds < 60) return `${seconds} seconds`;
    const minutes = Math.round(seconds / 60);
    return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  }

  function formatPrice(price) {
    const currency = state.concert?.currency || 'EUR';
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(price);
    } catch {
      return `${price} ${currency}`;
    }
  }

  const clock = (ms) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

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
        option.textContent = `${s.name} · ${formatPrice(s.price)} · ${s.remaining} left`;
        option.disabled = s.remaining === 0;
        return option;
      }),
    );
  }

  /** The grace period the status names; older rooms say nothing, and then the page promises nothing. */
  function noteGrace(s) {
    const grace = s.graceSeconds ?? s.placeKeptSeconds;
    if (typeof grace === 'number' && grace > 0) state.graceSeconds = grace;
    $('place-kept').textContent = state.graceSeconds
      ? `If you close this page or lose your connection, your place is kept for ${formatDuration(state.graceSeconds)}: come back within that time and you are still in the same place.`
      : '';
  }

  function seen() {
    state.lastSeenAt = Date.now();
  }

  /** The connection line: truthful about how long the place lasts without this page. */
  function renderConnection(kind) {
    let text = '';
    if (kind === 'live') text = 'Live updates on.';
    else if (kind === 'polling') text = 'Live updates paused: this page checks your place every few seconds.';
    else if (kind === 'offline') {
      text =
        state.graceSeconds && state.lastSeenAt && !state.admission
          ? `No connection. Your place is kept until about ${clock(state.lastSeenAt + state.graceSeconds * 1000)}; this page reconnects by itself.`
          : 'No connection. This page reconnects by itself.';
    }
    if (state.finished) text = '';
    $('connection').textContent = text;
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
    $('line-message').textContent = state.paused
      ? 'The organiser has paused admissions for a moment. Your place is kept; the line moves on when they resume.'
      : 'Keep this page open: it updates by itself.';
    $('position').textContent = String(position);
    $('ahead').textContent = String(ahead);
    $('eta').textContent = formatWait(etaSeconds);
    const span = Math.max(1, position - state.startServing);
    const done = Math.min(span, Math.max(0, serving - state.startServing));
    $('progress').value = Math.round((done / span) * 100);
    $('progress').setAttribute('aria-valuetext', `${ahead} fans ahead of you`);
    announcePlace(ahead === 0 ? 'You are next in line.' : `${ahead} fans ahead of you, about ${formatWait(etaSeconds)} to wait.`);
  }

  function renderStatus(s) {
    seen();
    noteGrace(s);
    state.paused = s.paused === true;
    state.admitPerSecond = s.admitPerSecond || state.admitPerSecond;
    if (s.status === 'admitted') return admit({ admissionToken: s.admissionToken, expiresAt: s.expiresAt });
    if (state.finished || state.admission) return;
    if (s.status === 'sold_out') return soldOut();
    if (state.soldOut) seatsBack();
    state.position = s.position;
    show('line');
    renderPlace(s);
  }

  function admit({ admissionToken, expiresAt }) {
    if (state.finished) return;
    const first = !state.admission;
    state.admission = { token: admissionToken, expiresAt: new Date(expiresAt) };
    if (!first) return;
    setLineNote('');
    $('book-title').textContent = 'It is your turn';
    $('book-form').hidden = false;
    $('book-button').disabled = false;
    $('book-error').textContent = '';
    show('book');
    announce('It is your turn: choose a seat type and book.');
    $('seat-type').focus();
    renderConnection(state.socket?.connected ? 'live' : 'polling');
    tickExpiry(state.admission);
  }

  const turnOver = (admission) => admission.expiresAt.getTime() <= Date.now();

  /**
   * Counts the turn down; once it is over, asks the server until the server has ended it too
   * (its next tick) and the status says what comes next.
   */
  function tickExpiry(admission) {
    if (state.admission !== admission || state.finished) return;
    const msLeft = admission.expiresAt.getTime() - Date.now();
    if (msLeft > 0) {
      $('admission-expiry').textContent = `Your turn is held for ${formatWait(Math.ceil(msLeft / 1000))}.`;
      setTimeout(() => tickExpiry(admission), Math.min(1000, msLeft));
      return;
    }
    turnPassed(admission);
    void pollStatus();
    setTimeout(() => tickExpiry(admission), TURN_RECHECK_MS);
  }

  /** The claim window is over: a booking with this admission would be refused, so there is no button for one. */
  function turnPassed(admission) {
    if (admission.passed) return;
    admission.passed = true;
    $('book-form').hidden = true;
    $('book-title').textContent = 'Your turn has passed';
    $('admission-expiry').textContent = 'No booking was made in time. This page is checking your place in the line…';
    announce('Your turn has passed without a booking.');
  }

  /** Not the end: cancellations free seats and reopen the line, so the place is kept and watched. */
  function soldOut() {
    if (state.admission || state.finished || state.soldOut) return;
    state.soldOut = room.soldOut = true;
    document.body.dataset.soldOut = 'true';
    show('sold-out');
    $('sold-out').focus();
    announce('Sold out for now: the line has stopped. Cancellations can free seats; keep this page open to keep your place.');
    document.dispatchEvent(new CustomEvent('onsale:sold-out', { detail: { concertId, concert: state.concert } }));
  }

  function seatsBack() {
    state.soldOut = room.soldOut = false;
    delete document.body.dataset.soldOut;
    announce('Seats are available again: the line is moving.');
    document.dispatchEvent(new CustomEvent('onsale:seats-back', { detail: { concertId } }));
  }

  const REASONS = {
    sold_out: 'That seat type sold out just before your request. Try another seat type.',
    concert_started: 'The concert has started; sales are closed.',
  };

  /** The booking, whether just made or found again after a reload. */
  function showBooking(b, justBooked) {
    state.finished = true;
    stopPolling();
    state.socket?.disconnect();
    const seatType = state.concert?.seatTypes.find((s) => s.id === b.seatTypeId);
    $('result').className = 'card confirmed';
    $('result-title').textContent = justBooked ? 'Booked! Your ticket is confirmed' : 'You have a ticket for this concert';
    $('result-text').textContent = justBooked
      ? 'A confirmation email is on its way. Show the ticket reference at the entrance.'
      : 'Show the ticket reference at the entrance.';
    $('booking-ref').textContent = b.ticketRef;
    $('booking-seat').textContent = `${b.seatTypeName}${b.seatNo ? `, seat ${b.seatNo}` : ''}`;
    $('booking-price').textContent = formatPrice(b.price ?? seatType?.price ?? 0);
    show('result');
    $('result').focus();
    renderConnection(null);
    announce(justBooked ? 'Booked! Your ticket is confirmed.' : 'You already have a ticket for this concert.');
  }

  /** The fan's confirmed booking of this concert, if any (null when there is none or no answer). */
  async function myBooking() {
    const res = await session.api('GET', '/api/v1/bookings/my-bookings?limit=100');
    if (res.status !== 200 || !Array.isArray(res.body)) return null;
    return res.body.find((b) => b.concertId === concertId && b.status === 'confirmed') || null;
  }

  async function showResult(decision) {
    if (decision.status === 'confirmed') return showBooking(decision.booking, true);
    if (decision.reason === 'admission_required' && state.admission) {
      // Refused as over (the server's clock is the one that counts): the same as the page's own clock running out.
      state.admission.expiresAt = new Date(Math.min(state.admission.expiresAt.getTime(), Date.now()));
      return turnPassed(state.admission);
    }
    if (decision.reason === 'already_booked') {
      const mine = await myBooking();
      if (mine) return showBooking(mine, false);
    }
    $('book-button').disabled = false;
    $('book-error').textContent =
      decision.reason === 'already_booked'
        ? 'You already hold a ticket for this concert.'
        : REASONS[decision.reason] || 'The booking did not go through. Please try again.';
  }

  async function book(event) {
    event.preventDefault();
    if (!state.admission) return;
    if (turnOver(state.admission)) return turnPassed(state.admission);
    $('book-error').textContent = '';
    $('book-button').disabled = true;
    const seatTypeId = $('seat-type').value;
    // One key per seat type until answered: a retry after a lost answer gets that answer, never a second booking.
    const keys = (state.admission.keys ??= {});
    const res = await session.api(
      'POST',
      '/api/v1/bookings',
      { concertId, seatTypeId },
      { 'x-admission-token': state.admission.token, prefer: 'wait=20', 'idempotency-key': (keys[seatTypeId] ??= newKey()) },
    );
    if (res.status === 201) return showResult({ status: 'confirmed', booking: res.body });
    if (res.status === 202) {
      state.pendingRequestId = res.body.requestId;
      return waitForDecision(res.body.requestId);
    }
    if (res.status === 0) {
      $('book-button').disabled = false;
      $('book-error').textContent = 'No connection: your request may not have arrived. Press the button again to retry safely.';
      return;
    }
    delete keys[seatTypeId];
    showResult({ status: 'rejected', reason: res.body?.error?.code });
  }

  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

  async function waitForDecision(requestId) {
    while (state.pendingRequestId === requestId && !state.finished) {
      const res = await session.api('GET', `/api/v1/bookings/requests/${requestId}`);
      if (res.status === 200 && res.body.status !== 'queued') return showResult(res.body);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async function pollStatus() {
    if (state.finished) return;
    const res = await session.api('GET', `/api/v1/waiting-room/${concertId}/status`);
    if (res.status === 200) {
      renderStatus(res.body);
      if (!state.socket?.connected) renderConnection('polling');
    } else if (res.status === 0) renderConnection('offline');
    else if (res.status === 401) session.signOut();
    else if (res.status === 404 && res.body?.error?.code === 'not_in_line') {
      // An admission that ran out unused ends the place: back in line, saying why.
      const turnMissed = Boolean(state.admission && turnOver(state.admission));
      if (turnMissed) state.admission = null;
      await joinLine({ placeLost: state.position != null && !state.admission, turnMissed });
    }
  }

  function schedulePoll() {
    stopPolling();
    // Signed out, nothing is polled: not by the closing socket's handler, nor by a poll that just got its 401.
    if (state.finished || !session.isSignedIn()) return;
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
    // A function, so every reconnection after sleep or network loss presents a fresh token.
    const socket = io({ path: '/socket.io', auth: (cb) => void session.freshToken().then((token) => cb({ token })) });
    state.socket = socket;
    socket.on('connect', () => {
      socket.emit('waiting-room:watch', { concertId });
      seen();
      renderConnection('live');
      schedulePoll();
    });
    socket.on('connect_error', (err) => {
      // A refused handshake is not retried by the client: renew if that was the reason, then try again.
      if (socket.active) return;
      const retry = () => setTimeout(() => !state.finished && socket.connect(), 2_000);
      if (err?.message === 'token_expired') void session.renew().then(retry);
      else retry();
    });
    socket.on('disconnect', () => {
      if (state.finished) return;
      renderConnection(navigator.onLine === false ? 'offline' : 'polling');
      schedulePoll();
    });
    socket.on('waiting-room:update', (u) => {
      if (u.concertId !== concertId || state.admission || state.finished) return;
      seen();
      state.admitPerSecond = u.currentRate || u.admitPerSecond;
      if (u.soldOut) return soldOut();
      if (state.soldOut || state.position == null || u.serving >= state.position) return void pollStatus();
      const ahead = Math.max(0, Math.min(state.position - u.serving - 1, u.waiting - 1));
      renderPlace({ position: state.position, ahead, etaSeconds: Math.ceil((ahead + 1) / state.admitPerSecond), serving: u.serving });
    });
    socket.on('waiting-room:admitted', (a) => a.concertId === concertId && admit(a));
    socket.on('waiting-room:sold-out', (e) => e.concertId === concertId && soldOut());
    socket.on('booking:result', (decision) => {
      if (decision.requestId === state.pendingRequestId) void showResult(decision);
    });
  }

  async function joinLine({ placeLost = false, turnMissed = false } = {}) {
    const res = await session.api('POST', `/api/v1/waiting-room/${concertId}/join`);
    if (res.status === 401) return session.signOut();
    if (res.status === 0) {
      renderConnection('offline');
      schedulePoll();
      return;
    }
    if (res.status !== 200) {
      $('concert-details').textContent = res.body?.error?.message || 'The waiting room is not available.';
      show(null);
      return;
    }
    if (placeLost || turnMissed) state.startServing = null;
    renderStatus(res.body);
    if (res.body.status === 'waiting') {
      const where = res.body.position == null ? 'You are in the pre-queue.' : `You are number ${res.body.position} in line.`;
      if (turnMissed) setLineNote(`Your turn ran out before a booking was made, so you have joined the line again. ${where}`);
      else if (placeLost) {
        const away = state.graceSeconds ? ` for longer than ${formatDuration(state.graceSeconds)}` : '';
        setLineNote(`Your earlier place was given up because this page was away${away}, so you have joined again. ${where}`);
      } else setLineNote('');
      announce(turnMissed || placeLost ? $('line-note').textContent : where);
    }
    connectSocket();
    schedulePoll();
  }

  /** Why the fan is back in line: kept while the line updates the place (renderPlace rewrites the message below it). */
  function setLineNote(text) {
    $('line-note').textContent = text;
    $('line-note').hidden = !text;
  }

  function signedOut() {
    stopPolling();
    state.socket?.disconnect();
    state.socket = null;
    if (state.finished) return;
    // After the socket's own disconnect handler, which says "polling".
    renderConnection(null);
    // Nothing is sent for this fan from now on: the place lasts the grace period from the last sign of life.
    const keptUntil = state.graceSeconds && state.lastSeenAt ? ` before about ${clock(state.lastSeenAt + state.graceSeconds * 1000)}` : '';
    $('login-note').textContent = state.position != null ? `You have been signed out. Sign in again${keptUntil} to get back to your place.` : '';
    show('login');
  }

  function setMode(signUp) {
    state.signUp = signUp;
    $('login-title').textContent = signUp ? 'Create an account to take your place' : 'Sign in to take your place';
    $('name-field').hidden = !signUp;
    $('name').required = signUp;
    $('password-hint').hidden = !signUp;
    $('password').autocomplete = signUp ? 'new-password' : 'current-password';
    $('login-button').textContent = signUp ? 'Create my account and join the line' : 'Sign in and join the line';
    $('switch-text').textContent = signUp ? 'Already have an account?' : 'New here?';
    $('switch-mode').textContent = signUp ? 'Sign in instead' : 'Create an account';
    $('login-error').textContent = '';
  }

  /** The sign-up refusal in words: which field is wrong, or why to wait. */
  function signUpError(res) {
    if (res.status === 409) return 'There is already an account with this email: sign in instead.';
    if (res.status === 429) {
      const wait = Number(res.headers.get('retry-after'));
      return `Too many new accounts from this network. Try again in ${wait > 0 ? formatWait(wait) : 'a moment'}.`;
    }
    const paths = (Array.isArray(res.body?.error?.details) ? res.body.error.details : []).map((d) => String(d.path ?? ''));
    if (paths.some((p) => p.includes('name'))) return 'Please give your name.';
    if (paths.some((p) => p.includes('email'))) return 'That email address does not look right.';
    if (paths.some((p) => p.includes('password'))) return 'The password needs at least 8 characters (and at most 72 bytes).';
    return res.status === 0 ? 'No connection. Try again in a moment.' : 'The account could not be created. Please try again.';
  }

  async function signIn(event) {
    event.preventDefault();
    $('login-error').textContent = '';
    $('login-button').disabled = true;
    const email = $('email').value.trim();
    try {
      const res = state.signUp ? await session.signUp($('name').value.trim(), email, $('password').value) : await session.signIn(email, $('password').value);
      if (res.status !== 200 && res.status !== 201) {
        $('login-error').textContent = state.signUp
          ? signUpError(res)
          : res.status === 429
            ? 'Too many attempts; wait a moment.'
            : res.status === 0
              ? 'No connection. Try again in a moment.'
              : 'Email or password is not right.';
        return;
      }
      $('login-note').textContent = '';
      await enter();
    } finally {
      $('login-button').disabled = false;
    }
  }

  /** Signed in: the booking if the fan has one for this concert, else the line. */
  async function enter() {
    const mine = await myBooking();
    if (mine) return showBooking(mine, false);
    await joinLine();
  }

  async function start() {
    $('login-form').addEventListener('submit', signIn);
    $('switch-mode').addEventListener('click', () => setMode(!state.signUp));
    $('book-form').addEventListener('submit', book);
    session.onSignedOut(signedOut);
    // Back from sleep or a lost network: say so at once rather than at the next timer.
    const wake = () => {
      if (!state.finished && session.isSignedIn() && !$('line').hidden) void pollStatus();
    };
    addEventListener('online', wake);
    addEventListener('visibilitychange', () => document.visibilityState === 'visible' && wake());
    addEventListener('offline', () => renderConnection('offline'));
    const concert = await session.api('GET', `/api/v1/concerts/${concertId}`);
    if (concert.status !== 200) {
      $('concert-name').textContent = concert.status === 0 ? 'No connection' : 'Concert not found';
      $('concert-details').textContent = concert.status === 0 ? 'Reload the page when you are back online.' : '';
      return;
    }
    state.concert = room.concert = concert.body;
    renderConcert(concert.body);
    if (session.isSignedIn()) await enter();
    else show('login');
  }

  start().catch(() => {
    $('connection').textContent = 'Something went wrong. Reload the page to try again.';
  });
})();
