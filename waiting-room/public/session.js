// The fan's session for the fan pages (plain browser JavaScript, no build step).
// Lines last hours and access tokens minutes, so the pair from sign-in or sign-up is kept
// in localStorage and the access token is renewed with the refresh token (services/auth
// rotates it on every use) shortly before it expires, when the page wakes up or comes
// back online, and whenever an answer says `token_expired`. Tabs share the pair: a Web
// Lock lets one tab rotate at a time, since presenting a spent refresh token twice makes
// auth end every session of the fan.
window.onsaleSession = (() => {
  'use strict';
  const ACCESS_KEY = 'onsale.accessToken';
  const REFRESH_KEY = 'onsale.refreshToken';
  /** Local time the access token was received and its lifetime: renewals do not trust the device clock against the server's. */
  const RENEW_AT_KEY = 'onsale.renewAt';
  const signedOutListeners = [];
  /** How long a tab keeps the lock after rotating, so the other tabs read the new pair. */
  const SETTLE_MS = 1_500;
  let renewTimer = null;
  let renewing = null;

  const accessToken = () => localStorage.getItem(ACCESS_KEY);

  function lifetimeMs(token) {
    try {
      const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      return Math.max(0, (claims.exp - claims.iat) * 1000);
    } catch {
      return 0;
    }
  }

  function store(pair) {
    const lifetime = lifetimeMs(pair.accessToken);
    // A minute early, or a quarter of the lifetime for short-lived tokens.
    const renewAt = Date.now() + lifetime - Math.min(60_000, lifetime / 4);
    localStorage.setItem(ACCESS_KEY, pair.accessToken);
    if (pair.refreshToken) localStorage.setItem(REFRESH_KEY, pair.refreshToken);
    localStorage.setItem(RENEW_AT_KEY, String(renewAt));
    scheduleRenewal();
  }

  function clear() {
    for (const key of [ACCESS_KEY, REFRESH_KEY, RENEW_AT_KEY]) localStorage.removeItem(key);
    clearTimeout(renewTimer);
  }

  function signedOut() {
    clear();
    for (const listener of signedOutListeners) listener();
  }

  function scheduleRenewal() {
    clearTimeout(renewTimer);
    if (!localStorage.getItem(REFRESH_KEY)) return;
    const due = Number(localStorage.getItem(RENEW_AT_KEY)) - Date.now();
    // Timers stop while a phone sleeps: wake-up events below catch up.
    renewTimer = setTimeout(() => void renew(accessToken()), Math.max(0, due));
  }

  async function post(path, body) {
    try {
      const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
    } catch {
      return { status: 0, headers: new Headers(), body: null };
    }
  }

  /**
   * Swaps the refresh token for a new pair, unless another tab already replaced `stale`.
   * Resolves 'renewed', 'signed-out' (the refresh token is no good: sign in again) or
   * 'offline' (no answer or a passing error: the pair is kept and tried again shortly).
   */
  function renew(stale) {
    if (renewing) return renewing;
    renewing = new Promise((resolve) => {
      const attempt = async () => {
        if (accessToken() !== stale && accessToken()) return resolve('renewed');
        const refreshToken = localStorage.getItem(REFRESH_KEY);
        if (!refreshToken) return resolve('signed-out');
        const res = await post('/api/v1/auth/refresh', { refreshToken });
        if (res.status === 200) {
          store(res.body);
          resolve('renewed');
          // Other tabs see this write a moment later (their storage is another process's copy):
          // the lock is kept until they can have, or one of them would present the spent token.
          await new Promise((r) => setTimeout(r, SETTLE_MS));
          return;
        }
        if (res.status === 400 || res.status === 401) {
          signedOut();
          return resolve('signed-out');
        }
        clearTimeout(renewTimer);
        renewTimer = setTimeout(() => void renew(accessToken()), 5_000);
        resolve('offline');
      };
      (navigator.locks ? navigator.locks.request('onsale.session', attempt) : attempt()).catch(() => resolve('offline'));
    }).finally(() => {
      renewing = null;
    });
    return renewing;
  }

  /** Renews now if the renewal is due (after sleep, timers fire late or not at all). */
  function catchUp() {
    const due = Number(localStorage.getItem(RENEW_AT_KEY));
    if (localStorage.getItem(REFRESH_KEY) && Date.now() >= due) void renew(accessToken());
  }

  /**
   * A JSON API call with the access token. An expired token is renewed and the call made
   * once more. Resolves {status, body, headers}; status 0 when there was no answer (offline).
   */
  async function api(method, path, body, headers = {}) {
    for (let attempt = 0; ; attempt++) {
      const token = accessToken();
      let res;
      try {
        res = await fetch(path, {
          method,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
          body: body ? JSON.stringify(body) : undefined,
        });
      } catch {
        return { status: 0, body: null, headers: new Headers() };
      }
      const data = await res.json().catch(() => null);
      if (res.status === 401 && data?.error?.code === 'token_expired' && attempt === 0) {
        const outcome = await renew(token);
        if (outcome === 'renewed') continue;
        if (outcome === 'offline') return { status: 0, body: null, headers: new Headers() };
      }
      return { status: res.status, body: data, headers: res.headers };
    }
  }

  async function begin(path, body) {
    const res = await post(path, body);
    if (res.status === 200 || res.status === 201) store(res.body);
    return res;
  }

  addEventListener('visibilitychange', () => document.visibilityState === 'visible' && catchUp());
  addEventListener('online', catchUp);
  addEventListener('pageshow', catchUp);
  addEventListener('focus', catchUp);
  // Another tab renewed or signed out: follow it.
  addEventListener('storage', (e) => {
    if (e.key !== REFRESH_KEY && e.key !== null) return;
    if (localStorage.getItem(REFRESH_KEY)) scheduleRenewal();
    else if (e.oldValue) signedOutListeners.forEach((listener) => listener());
  });
  scheduleRenewal();
  catchUp();

  return {
    accessToken,
    isSignedIn: () => Boolean(accessToken()),
    api,
    /** Resolves the answer of POST /api/v1/auth/login; on 200 the fan is signed in. */
    signIn: (email, password) => begin('/api/v1/auth/login', { email, password }),
    /** Resolves the answer of POST /api/v1/auth/register; on 201 the fan is signed in. */
    signUp: (name, email, password) => begin('/api/v1/auth/register', { name, email, password }),
    /** Forgets the pair on this device (the fan's other devices stay signed in). */
    signOut: signedOut,
    /** A fresh access token for a Socket.IO handshake: renews first when it is due. */
    async freshToken() {
      const due = Number(localStorage.getItem(RENEW_AT_KEY));
      if (localStorage.getItem(REFRESH_KEY) && Date.now() >= due) await renew(accessToken());
      return accessToken();
    },
    renew: () => renew(accessToken()),
    onSignedOut: (listener) => signedOutListeners.push(listener),
  };
})();
