// The waiting list of a sold-out concert (issue 16), inside the page's sold-out card
// (#waiting-list): join for any seat type, the place while waiting, and an offer with
// its countdown, accept and decline. Its own file so the page's app.js only announces
// `onsale:sold-out` (and keeps `window.onsaleWaitingRoom`).
(() => {
  const POLL_MS = 2000;
  let box;
  let timer;
  let countdown;

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, attrs);
    node.append(...children);
    return node;
  };

  function render(...nodes) {
    box.replaceChildren(...nodes);
    box.hidden = false;
  }

  /** In the concert's currency, as the rest of the page shows prices. */
  const price = (amount) => window.onsaleWaitingRoom?.formatPrice?.(amount) ?? String(amount);

  function api(method, path, body, headers) {
    return window.onsaleSession.api(method, path, body, headers);
  }

  function startCountdown(expiresAt, label) {
    clearInterval(countdown);
    const tick = () => {
      const left = Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
      label.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left to accept`;
      if (left === 0) clearInterval(countdown);
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  function showJoin(concertId, note) {
    const join = el('button', { type: 'button', id: 'waiting-list-join', textContent: 'Join the waiting list' });
    join.addEventListener('click', async () => {
      join.disabled = true;
      const res = await api('PUT', `/api/v1/waiting-lists/${concertId}/me`, {});
      if (res.status === 200) return showPlace(concertId, res.body);
      showJoin(concertId, res.body?.error?.message ?? 'Could not join the waiting list; try again.');
    });
    render(
      el('h3', { textContent: 'Waiting list' }),
      el('p', { textContent: 'Join the list: a freed seat is held for the first fan on it, for a few minutes.' }),
      ...(note ? [el('p', { className: 'muted', role: 'status', textContent: note })] : []),
      join,
    );
  }

  function showPlace(concertId, place) {
    if (place.status === 'offered' && place.offer) return showOffer(concertId, place.offer);
    clearInterval(countdown);
    const leave = el('button', { type: 'button', className: 'secondary', textContent: 'Leave the list' });
    leave.addEventListener('click', async () => {
      await api('DELETE', `/api/v1/waiting-lists/${concertId}/me`);
      showJoin(concertId, 'You left the waiting list.');
    });
    render(
      el('h3', { textContent: 'Waiting list' }),
      el('p', { id: 'waiting-list-place', role: 'status', textContent: `You are number ${place.position} on the waiting list (${place.ahead} ahead).` }),
      leave,
    );
  }

  function showOffer(concertId, offer) {
    const left = el('p', { id: 'waiting-list-countdown', role: 'timer' });
    const accept = el('button', { type: 'button', id: 'waiting-list-accept', textContent: `Book it (${offer.seatTypeName})` });
    const decline = el('button', { type: 'button', className: 'secondary', textContent: 'No thanks' });
    accept.addEventListener('click', async () => {
      accept.disabled = decline.disabled = true;
      const res = await api('POST', '/api/v1/bookings', { concertId, seatTypeId: offer.seatTypeId, offerId: offer.offerId }, { Prefer: 'wait=10' });
      clearInterval(countdown);
      clearInterval(timer);
      if (res.status === 201)
        return render(el('p', { role: 'status', textContent: `Booked: ${res.body.seatTypeName}, seat ${res.body.seatNo}. Ticket ${res.body.ticketRef}.` }));
      render(el('p', { role: 'alert', textContent: res.body?.error?.message ?? 'The seat could not be booked.' }));
    });
    decline.addEventListener('click', async () => {
      await api('POST', `/api/v1/waiting-lists/${concertId}/offers/${offer.offerId}/decline`);
      showJoin(concertId, 'You declined the seat; it went to the next fan.');
    });
    render(
      el('h3', { textContent: 'A seat is held for you' }),
      el('p', { role: 'alert', textContent: `${offer.seatTypeName}, ${price(offer.price)}: it is yours alone until the time runs out.` }),
      left,
      accept,
      decline,
    );
    startCountdown(offer.expiresAt, left);
  }

  async function refresh(concertId) {
    const res = await api('GET', `/api/v1/waiting-lists/${concertId}/me`);
    if (res.status === 200) showPlace(concertId, res.body);
    else if (res.status === 404 && !box.querySelector('#waiting-list-join') && !box.querySelector('[role="status"]')) showJoin(concertId);
  }

  // Signed out (a refused refresh, another tab): nothing to poll for. Signing in again announces sold out again.
  window.onsaleSession.onSignedOut(() => {
    clearInterval(timer);
    clearInterval(countdown);
  });

  document.addEventListener('onsale:sold-out', (event) => {
    box = document.getElementById('waiting-list');
    if (!box) return;
    const { concertId } = event.detail;
    void refresh(concertId);
    clearInterval(timer);
    timer = setInterval(() => void refresh(concertId), POLL_MS);
  });
})();
