// The fan's bookings, newest first, with the concert each is for (the waiting-room page links here).
(() => {
  'use strict';
  document.documentElement.classList.remove('no-js');
  const session = window.onsaleSession;
  const $ = (id) => document.getElementById(id);

  function price(amount, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'EUR' }).format(amount);
    } catch {
      return `${amount} ${currency}`;
    }
  }

  function fact(list, name, value) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  }

  async function render() {
    $('login').hidden = true;
    $('status').textContent = 'Loading your bookings…';
    const res = await session.api('GET', '/api/v1/bookings/my-bookings?limit=100');
    if (res.status === 401) return session.signOut();
    if (res.status !== 200) {
      $('status').textContent = res.status === 0 ? 'No connection. Reload the page when you are back online.' : 'Your bookings could not be loaded.';
      return;
    }
    const concerts = new Map();
    await Promise.all(
      [...new Set(res.body.map((b) => b.concertId))].map(async (id) => {
        const concert = await session.api('GET', `/api/v1/concerts/${id}`);
        if (concert.status === 200) concerts.set(id, concert.body);
      }),
    );
    const items = res.body.map((b) => {
      const concert = concerts.get(b.concertId);
      const item = document.createElement('li');
      item.className = `card${b.status === 'cancelled' ? ' cancelled' : ''}`;
      const title = document.createElement('h2');
      title.textContent = concert ? concert.name : 'A concert';
      const facts = document.createElement('dl');
      facts.className = 'booking-facts';
      if (concert) fact(facts, 'When', `${new Date(concert.startsAt).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' })}, ${concert.venue}`);
      fact(facts, 'Ticket reference', b.ticketRef);
      fact(facts, 'Seat type', `${b.seatTypeName}${b.seatNo ? `, seat ${b.seatNo}` : ''}`);
      fact(facts, 'Price', price(b.price, concert?.currency));
      fact(facts, 'Status', b.status === 'confirmed' ? 'Confirmed' : 'Cancelled');
      item.append(title, facts);
      return item;
    });
    $('bookings').replaceChildren(...items);
    $('bookings').hidden = items.length === 0;
    $('status').textContent = items.length ? `${items.length} booking${items.length === 1 ? '' : 's'}.` : 'You have no bookings yet.';
  }

  function signedOut() {
    $('bookings').hidden = true;
    $('status').textContent = '';
    $('login').hidden = false;
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('login-error').textContent = '';
    const res = await session.signIn($('email').value.trim(), $('password').value);
    if (res.status !== 200) {
      $('login-error').textContent = res.status === 429 ? 'Too many attempts; wait a moment.' : 'Email or password is not right.';
      return;
    }
    await render();
  });
  session.onSignedOut(signedOut);
  if (session.isSignedIn()) void render();
  else signedOut();
})();
