/**
 * Writes `Concert Booking API.postman_collection.json` and the environment file.
 * The JSON is what people import and what newman runs; this file is where it is
 * edited (scripts read better here than as escaped JSON strings). Regenerate with
 * `node --import tsx postman/build-collection.ts`; test/api-contract/postman.test.ts
 * fails when the committed JSON is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onsaleUrl } from '../scripts/stack/onsale-url.js';
import { DEV_ADMIN } from '../scripts/stack/platform.js';

export const POSTMAN_DIR = path.dirname(fileURLToPath(import.meta.url));
export const COLLECTION_FILE = path.join(POSTMAN_DIR, 'Concert Booking API.postman_collection.json');
export const ENVIRONMENT_FILE = path.join(POSTMAN_DIR, 'Local development.postman_environment.json');

type Token = 'fanAccessToken' | 'adminAccessToken' | 'rivalAccessToken';

interface RequestSpec {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path after {{baseUrl}}, may hold {{variables}} and a query string. */
  path: string;
  auth?: Token;
  headers?: Record<string, string>;
  /** A JSON object (may hold "{{variables}}"), or raw text for malformed-body cases. */
  body?: object | { raw: string };
  description?: string;
  prerequest?: string;
  test: string;
}

const lines = (script: string) => script.replace(/^\n/, '').replace(/\s+$/, '').split('\n');

function request(spec: RequestSpec) {
  const [pathPart, query] = spec.path.split('?');
  const header = Object.entries(spec.headers ?? {}).map(([key, value]) => ({ key, value }));
  let body;
  if (spec.body) {
    header.push({ key: 'Content-Type', value: 'application/json' });
    const raw = 'raw' in spec.body ? spec.body.raw : JSON.stringify(spec.body, null, 2);
    body = { mode: 'raw', raw, options: { raw: { language: 'json' } } };
  }
  const event = [];
  if (spec.prerequest) event.push({ listen: 'prerequest', script: { type: 'text/javascript', exec: lines(spec.prerequest) } });
  event.push({ listen: 'test', script: { type: 'text/javascript', exec: lines(spec.test) } });
  return {
    name: spec.name,
    event,
    request: {
      method: spec.method,
      header,
      ...(spec.auth ? { auth: { type: 'bearer', bearer: [{ key: 'token', value: `{{${spec.auth}}}`, type: 'string' }] } } : { auth: { type: 'noauth' } }),
      ...(body ? { body } : {}),
      url: {
        raw: `{{baseUrl}}${spec.path}`,
        host: ['{{baseUrl}}'],
        path: pathPart.split('/').filter(Boolean),
        ...(query ? { query: query.split('&').map((pair) => ({ key: pair.split('=')[0], value: pair.split('=')[1] ?? '' })) } : {}),
      },
      ...(spec.description ? { description: spec.description } : {}),
    },
    response: [],
  };
}

/** Asserts an error answer: status and code (the collection-level script checks the shape). */
const expectError = (status: number, code: string, extra = '') => `
pm.test('${status} ${code}', function () {
    pm.response.to.have.status(${status});
    pm.expect(pm.response.json().error.code).to.equal('${code}');
});${extra}`;

// Runs after every request: the public error shape, a request id, and the contract:
// the answer's status is documented for this operation in the OpenAPI document the
// gateway serves (fetched by the first request), and the body matches its schema.
const collectionTest = `
pm.test('[every response] has a request id', function () {
    pm.expect(pm.response.headers.get('X-Request-Id')).to.be.a('string').and.not.empty;
});
if (pm.response.code >= 400) {
    pm.test('[every response] errors have the public shape {error: {code, message}}', function () {
        const body = pm.response.json();
        pm.expect(body.error.code).to.match(/^[a-z_]+$/);
        pm.expect(body.error.message).to.be.a('string');
        pm.expect(pm.response.text()).not.to.match(/\\bat .+\\.(ts|js):\\d+/);
    });
}
const specText = pm.collectionVariables.get('openapi');
const requestPath = '/' + pm.request.url.path.join('/');
const documentedArea = requestPath.indexOf('/api/v1/') === 0 || requestPath.indexOf('/waiting-room/') === 0;
if (specText && documentedArea && pm.info.requestName.indexOf('Unknown endpoint') !== 0) {
    const spec = JSON.parse(specText);
    const method = pm.request.method.toLowerCase();
    const templates = Object.keys(spec.paths).filter(function (template) {
        const pattern = new RegExp('^' + template.replace(/\\{[^}]+\\}/g, '[^/]+') + '$');
        return pattern.test(requestPath) && spec.paths[template][method];
    });
    // A literal segment beats a parameter: /bookings/my-bookings before /bookings/{id}.
    templates.sort(function (a, b) { return a.split('{').length - b.split('{').length; });
    pm.test('[contract] ' + pm.request.method + ' ' + requestPath + ' answered ' + pm.response.code + ' as documented in /api/openapi.json', function () {
        pm.expect(templates.length, 'a documented operation').to.be.above(0);
        const operation = spec.paths[templates[0]][method];
        const documented = operation.responses[String(pm.response.code)];
        pm.expect(documented, 'status ' + pm.response.code + ' documented for ' + operation.operationId).to.be.an('object');
        const content = documented.content || {};
        const contentType = (pm.response.headers.get('Content-Type') || '').split(';')[0].trim();
        if (Object.keys(content).length === 0) {
            pm.expect(pm.response.text()).to.equal('');
        } else {
            pm.expect(Object.keys(content), 'documented content type').to.include(contentType);
            if (contentType === 'application/json') pm.response.to.have.jsonSchema({ allOf: [content[contentType].schema], components: spec.components });
        }
    });
}`;

const mainFlow = [
  request({
    name: 'OpenAPI document',
    method: 'GET',
    path: '/api/openapi.json',
    description: 'The API description this collection checks every answer against. Human-readable at {{baseUrl}}/api/docs.',
    test: `
pm.test('200 OpenAPI 3.1', function () {
    pm.response.to.have.status(200);
    const spec = pm.response.json();
    pm.expect(spec.openapi).to.equal('3.1.0');
    pm.expect(spec.paths).to.have.property('/api/v1/bookings');
    pm.collectionVariables.set('openapi', pm.response.text());
});`,
  }),
  request({
    name: 'Gateway health',
    method: 'GET',
    path: '/health',
    test: `
pm.test('200 every upstream healthy', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().status).to.equal('ok');
});`,
  }),
  request({
    name: 'Register a fan',
    method: 'POST',
    path: '/api/v1/auth/register',
    body: { email: '{{fanEmail}}', password: '{{fanPassword}}', name: 'Postman Fan' },
    prerequest: `
// A new fan on every run, so the collection never needs editing.
const unique = Date.now() + '-' + Math.floor(Math.random() * 1e6);
pm.collectionVariables.set('fanEmail', 'fan-' + unique + '@example.test');
pm.collectionVariables.set('rivalEmail', 'rival-' + unique + '@example.test');`,
    test: `
pm.test('201 with the user and a token pair', function () {
    pm.response.to.have.status(201);
    const body = pm.response.json();
    pm.expect(body.user.email).to.equal(pm.collectionVariables.get('fanEmail'));
    pm.expect(body.user.role).to.equal('fan');
    pm.expect(body.accessToken).to.be.a('string');
    pm.expect(body.refreshToken).to.be.a('string');
    pm.expect(body.user).not.to.have.property('passwordHash');
    pm.collectionVariables.set('fanId', body.user.id);
    pm.collectionVariables.set('fanAccessToken', body.accessToken);
    pm.collectionVariables.set('fanRefreshToken', body.refreshToken);
});`,
  }),
  request({
    name: 'Log in as the admin',
    method: 'POST',
    path: '/api/v1/auth/login',
    body: { email: '{{adminEmail}}', password: '{{adminPassword}}' },
    description: 'The admin account comes from ADMIN_EMAIL / ADMIN_PASSWORD (development defaults in the environment file).',
    test: `
pm.test('200 as an admin', function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body.user.role).to.equal('admin');
    pm.expect(body.accessToken).to.be.a('string');
    pm.collectionVariables.set('adminAccessToken', body.accessToken);
});`,
  }),
  request({
    name: 'My profile',
    method: 'GET',
    path: '/api/v1/auth/profile',
    auth: 'fanAccessToken',
    test: `
pm.test('200 the signed-in fan', function () {
    pm.response.to.have.status(200);
    const user = pm.response.json().user;
    pm.expect(user.id).to.equal(pm.collectionVariables.get('fanId'));
    pm.expect(user.email).to.equal(pm.collectionVariables.get('fanEmail'));
});`,
  }),
  request({
    name: 'Create a concert (admin)',
    method: 'POST',
    path: '/api/v1/concerts',
    auth: 'adminAccessToken',
    body: {
      name: '{{concertName}}',
      venue: 'Postman Arena',
      startsAt: '{{startsAt}}',
      currency: 'GBP',
      seatTypes: [{ name: 'Standing', price: 45, capacity: 100 }],
    },
    prerequest: `
pm.collectionVariables.set('startsAt', new Date(Date.now() + 24 * 3600 * 1000).toISOString());
pm.collectionVariables.set('concertName', 'Postman Live ' + Date.now());`,
    test: `
pm.test('201 with an id, its seat type and full stock', function () {
    pm.response.to.have.status(201);
    const concert = pm.response.json();
    pm.expect(concert.name).to.equal(pm.collectionVariables.get('concertName'));
    pm.expect(concert.status).to.equal('on_sale');
    pm.expect(concert.currency, 'the prices are in the currency asked for').to.equal('GBP');
    pm.expect(concert.seatTypes).to.have.lengthOf(1);
    pm.expect(concert.seatTypes[0].remaining).to.equal(100);
    pm.expect(pm.response.headers.get('Location')).to.equal('/api/v1/concerts/' + concert.id);
    pm.collectionVariables.set('concertId', concert.id);
    pm.collectionVariables.set('standingSeatTypeId', concert.seatTypes[0].id);
});`,
  }),
  request({
    name: 'Add a seat type (admin)',
    method: 'POST',
    path: '/api/v1/concerts/{{concertId}}/seat-types',
    auth: 'adminAccessToken',
    body: { name: 'Balcony', description: 'Seated, first floor', price: 80, capacity: 50 },
    test: `
pm.test('201 with every seat remaining', function () {
    pm.response.to.have.status(201);
    const seatType = pm.response.json();
    pm.expect(seatType.name).to.equal('Balcony');
    pm.expect(seatType.capacity).to.equal(50);
    pm.expect(seatType.remaining).to.equal(50);
    pm.collectionVariables.set('balconySeatTypeId', seatType.id);
});`,
  }),
  request({
    name: 'List concerts',
    method: 'GET',
    path: '/api/v1/concerts?limit=100',
    test: `
pm.test('200 upcoming concerts, soonest first, including ours', function () {
    pm.response.to.have.status(200);
    const concerts = pm.response.json();
    pm.expect(concerts).to.be.an('array');
    const ours = concerts.map(function (c) { return c.id; }).indexOf(pm.collectionVariables.get('concertId')) >= 0;
    // On a busy stack a full page may end before ours: then it must end with concerts that start no later.
    if (!ours) {
        pm.expect(concerts.length, 'our concert is listed').to.equal(100);
        pm.expect(Date.parse(concerts[99].startsAt)).to.be.at.most(Date.parse(pm.collectionVariables.get('startsAt')));
    }
    for (let i = 1; i < concerts.length; i++) pm.expect(Date.parse(concerts[i].startsAt)).to.be.at.least(Date.parse(concerts[i - 1].startsAt));
});`,
  }),
  request({
    name: 'Read the concert',
    method: 'GET',
    path: '/api/v1/concerts/{{concertId}}',
    test: `
pm.test('200 with both seat types', function () {
    pm.response.to.have.status(200);
    const concert = pm.response.json();
    pm.expect(concert.id).to.equal(pm.collectionVariables.get('concertId'));
    pm.expect(concert.seatTypes.map(function (s) { return s.name; })).to.have.members(['Standing', 'Balcony']);
    pm.expect(concert.waitingRoom.enabled).to.equal(false);
});`,
  }),
  request({
    name: 'List seat types',
    method: 'GET',
    path: '/api/v1/concerts/{{concertId}}/seat-types',
    test: `
pm.test('200 both seat types', function () {
    pm.response.to.have.status(200);
    const seatTypes = pm.response.json();
    pm.expect(seatTypes).to.have.lengthOf(2);
    pm.expect(seatTypes.map(function (s) { return s.id; })).to.include(pm.collectionVariables.get('balconySeatTypeId'));
});`,
  }),
  request({
    name: 'Read a seat type',
    method: 'GET',
    path: '/api/v1/concerts/{{concertId}}/seat-types/{{standingSeatTypeId}}',
    test: `
pm.test('200 with every seat remaining', function () {
    pm.response.to.have.status(200);
    const seatType = pm.response.json();
    pm.expect(seatType.id).to.equal(pm.collectionVariables.get('standingSeatTypeId'));
    pm.expect(seatType.remaining).to.equal(seatType.capacity);
});`,
  }),
  request({
    name: 'Book a seat and wait for the decision',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'fanAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{concertId}}', seatTypeId: '{{standingSeatTypeId}}' },
    description:
      'Without `Prefer: wait` the answer is 202 and the decision arrives over Socket.IO (`booking:result`) or at /api/v1/bookings/requests/{requestId}.',
    test: `
pm.test('201 confirmed', function () {
    pm.response.to.have.status(201);
    const booking = pm.response.json();
    pm.expect(booking.status).to.equal('confirmed');
    pm.expect(booking.concertId).to.equal(pm.collectionVariables.get('concertId'));
    pm.expect(booking.seatTypeId).to.equal(pm.collectionVariables.get('standingSeatTypeId'));
    pm.expect(booking.seatTypeName).to.equal('Standing');
    pm.expect(booking.userId).to.equal(pm.collectionVariables.get('fanId'));
    pm.expect(booking.price).to.equal(45);
    pm.expect(booking.ticketRef, 'the ticket shown at the entrance: 128 random bits').to.match(/^[A-Za-z0-9_-]{22}$/);
    pm.expect(pm.response.headers.get('Preference-Applied')).to.equal('wait=' + pm.collectionVariables.get('preferWait'));
    pm.collectionVariables.set('bookingId', booking.id);
    pm.collectionVariables.set('ticketRef', booking.ticketRef);
});`,
  }),
  request({
    name: 'Read the booking request',
    method: 'GET',
    path: '/api/v1/bookings/requests/{{bookingId}}',
    auth: 'fanAccessToken',
    description: 'A booking keeps the id of the request that produced it.',
    test: `
pm.test('200 confirmed with the booking', function () {
    pm.response.to.have.status(200);
    const decision = pm.response.json();
    pm.expect(decision.requestId).to.equal(pm.collectionVariables.get('bookingId'));
    pm.expect(decision.status).to.equal('confirmed');
    pm.expect(decision.booking.id).to.equal(pm.collectionVariables.get('bookingId'));
});`,
  }),
  request({
    name: 'Book without waiting (admin, 202)',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'adminAccessToken',
    body: { concertId: '{{concertId}}', seatTypeId: '{{balconySeatTypeId}}' },
    test: `
pm.test('202 queued with where to look', function () {
    pm.response.to.have.status(202);
    const answer = pm.response.json();
    pm.expect(answer.status).to.equal('queued');
    pm.expect(pm.response.headers.get('Location')).to.equal('/api/v1/bookings/requests/' + answer.requestId);
    pm.collectionVariables.set('queuedRequestId', answer.requestId);
});`,
  }),
  request({
    name: 'Poll the queued request until decided',
    method: 'GET',
    path: '/api/v1/bookings/requests/{{queuedRequestId}}',
    auth: 'adminAccessToken',
    prerequest: `
// Repeats itself (postman.setNextRequest) until the worker has decided.
if (Number(pm.collectionVariables.get('pollAttempts') || 0) > 0) setTimeout(function () {}, Number(pm.collectionVariables.get('pollIntervalMs')));`,
    test: `
const attempts = Number(pm.collectionVariables.get('pollAttempts') || 0);
const decision = pm.response.json();
pm.test('200 with a status', function () {
    pm.response.to.have.status(200);
    pm.expect(decision.requestId).to.equal(pm.collectionVariables.get('queuedRequestId'));
    pm.expect(['queued', 'confirmed', 'rejected']).to.include(decision.status);
});
if (decision.status === 'queued' && attempts < Number(pm.collectionVariables.get('pollLimit'))) {
    pm.collectionVariables.set('pollAttempts', attempts + 1);
    postman.setNextRequest(pm.info.requestName);
} else {
    pm.collectionVariables.set('pollAttempts', 0);
    pm.test('decided: confirmed', function () {
        pm.expect(decision.status).to.equal('confirmed');
        pm.expect(decision.booking.seatTypeId).to.equal(pm.collectionVariables.get('balconySeatTypeId'));
    });
}`,
  }),
  request({
    name: 'List my bookings',
    method: 'GET',
    path: '/api/v1/bookings/my-bookings',
    auth: 'fanAccessToken',
    test: `
pm.test('200 with the new booking', function () {
    pm.response.to.have.status(200);
    const bookings = pm.response.json();
    pm.expect(bookings).to.be.an('array').with.lengthOf(1);
    pm.expect(bookings[0].id).to.equal(pm.collectionVariables.get('bookingId'));
    pm.expect(bookings[0].status).to.equal('confirmed');
});`,
  }),
  request({
    name: 'Read my booking',
    method: 'GET',
    path: '/api/v1/bookings/{{bookingId}}',
    auth: 'fanAccessToken',
    test: `
pm.test('200 the booking', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().id).to.equal(pm.collectionVariables.get('bookingId'));
    pm.expect(pm.response.json().ticketRef).to.equal(pm.collectionVariables.get('ticketRef'));
});`,
  }),
  request({
    name: 'One seat fewer remains',
    method: 'GET',
    path: '/api/v1/concerts/{{concertId}}/seat-types/{{standingSeatTypeId}}',
    test: `
pm.test('200 remaining = capacity - 1', function () {
    pm.response.to.have.status(200);
    const seatType = pm.response.json();
    pm.expect(seatType.remaining).to.equal(seatType.capacity - 1);
});`,
  }),
  request({
    name: 'Read the confirmation email',
    method: 'GET',
    path: '/api/v1/notifications?limit=20',
    auth: 'fanAccessToken',
    description: 'Emails are sent asynchronously by the Notification service; this request repeats itself until the email is there.',
    prerequest: `
if (Number(pm.collectionVariables.get('pollAttempts') || 0) > 0) setTimeout(function () {}, Number(pm.collectionVariables.get('pollIntervalMs')));`,
    test: `
const attempts = Number(pm.collectionVariables.get('pollAttempts') || 0);
pm.test('200 a list of emails', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.be.an('array');
});
const emails = pm.response.code === 200 ? pm.response.json() : [];
const email = emails.find(function (e) { return e.bookingId === pm.collectionVariables.get('bookingId') && e.event === 'booking.confirmed'; });
if (!email && attempts < Number(pm.collectionVariables.get('pollLimit'))) {
    pm.collectionVariables.set('pollAttempts', attempts + 1);
    postman.setNextRequest(pm.info.requestName);
} else {
    pm.collectionVariables.set('pollAttempts', 0);
    pm.test('the confirmation email was sent to the fan', function () {
        pm.expect(email, 'a booking.confirmed email for the booking').to.be.an('object');
        pm.expect(email.to).to.equal(pm.collectionVariables.get('fanEmail'));
        pm.expect(email.subject).to.include(pm.collectionVariables.get('concertName'));
        pm.expect(email.text).to.be.a('string').and.not.empty;
        pm.expect(email.text, 'the ticket reference, not the booking id').to.include(pm.collectionVariables.get('ticketRef'));
        pm.expect(email.text, "the price in the concert's currency").to.include('£45.00');
    });
}`,
  }),
  request({
    name: 'Cancel the booking',
    method: 'DELETE',
    path: '/api/v1/bookings/{{bookingId}}',
    auth: 'fanAccessToken',
    test: `
pm.test('200 cancelled', function () {
    pm.response.to.have.status(200);
    const booking = pm.response.json();
    pm.expect(booking.id).to.equal(pm.collectionVariables.get('bookingId'));
    pm.expect(booking.status).to.equal('cancelled');
    pm.expect(Date.parse(booking.cancelledAt)).to.be.a('number').and.not.NaN;
});`,
  }),
  request({
    name: 'The seat is free again',
    method: 'GET',
    path: '/api/v1/concerts/{{concertId}}/seat-types/{{standingSeatTypeId}}',
    test: `
pm.test('200 remaining = capacity', function () {
    pm.response.to.have.status(200);
    const seatType = pm.response.json();
    pm.expect(seatType.remaining).to.equal(seatType.capacity);
});`,
  }),
  request({
    name: 'Refresh the tokens',
    method: 'POST',
    path: '/api/v1/auth/refresh',
    body: { refreshToken: '{{fanRefreshToken}}' },
    test: `
pm.test('200 a new pair; the old refresh token is spent', function () {
    pm.response.to.have.status(200);
    const pair = pm.response.json();
    pm.expect(pair.accessToken).to.be.a('string');
    pm.expect(pair.refreshToken).to.be.a('string').and.not.equal(pm.collectionVariables.get('fanRefreshToken'));
    pm.collectionVariables.set('spentRefreshToken', pm.collectionVariables.get('fanRefreshToken'));
    pm.collectionVariables.set('fanAccessToken', pair.accessToken);
    pm.collectionVariables.set('fanRefreshToken', pair.refreshToken);
});`,
  }),
  request({
    name: 'Log out',
    method: 'POST',
    path: '/api/v1/auth/logout',
    auth: 'fanAccessToken',
    test: `
pm.test('204', function () {
    pm.response.to.have.status(204);
});`,
  }),
  request({
    name: 'Refreshing after logout is refused',
    method: 'POST',
    path: '/api/v1/auth/refresh',
    body: { refreshToken: '{{fanRefreshToken}}' },
    test: expectError(401, 'invalid_refresh_token'),
  }),
  request({
    name: 'The access token stopped working at logout',
    method: 'GET',
    path: '/api/v1/bookings/my-bookings',
    auth: 'fanAccessToken',
    description: 'Logging out revokes the access tokens issued so far in every service at once, not only the refresh tokens.',
    test: expectError(401, 'unauthorized'),
  }),
  fanLogsIn('Log in again', '200 a new pair that works'),
];

const negativeCases = [
  request({
    name: 'Register a second fan',
    method: 'POST',
    path: '/api/v1/auth/register',
    body: { email: '{{rivalEmail}}', password: '{{fanPassword}}', name: 'Postman Rival' },
    test: `
pm.test('201', function () {
    pm.response.to.have.status(201);
    pm.collectionVariables.set('rivalAccessToken', pm.response.json().accessToken);
});`,
  }),
  request({
    name: 'Create a concert with a single-seat type (admin)',
    method: 'POST',
    path: '/api/v1/concerts',
    auth: 'adminAccessToken',
    body: {
      name: 'Postman Last Seat {{$timestamp}}',
      venue: 'Tiny Club',
      startsAt: '{{startsAt}}',
      seatTypes: [
        { name: 'Last seat', price: 500, capacity: 1 },
        { name: 'General', price: 30, capacity: 10 },
      ],
    },
    test: `
pm.test('201', function () {
    pm.response.to.have.status(201);
    const concert = pm.response.json();
    const byName = {};
    concert.seatTypes.forEach(function (s) { byName[s.name] = s.id; });
    pm.collectionVariables.set('smallConcertId', concert.id);
    pm.collectionVariables.set('lastSeatTypeId', byName['Last seat']);
    pm.collectionVariables.set('generalSeatTypeId', byName.General);
});`,
  }),
  request({
    name: 'The admin takes the last seat',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'adminAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{lastSeatTypeId}}' },
    test: `
pm.test('201 confirmed', function () {
    pm.response.to.have.status(201);
    pm.expect(pm.response.json().status).to.equal('confirmed');
});`,
  }),
  request({
    name: 'Sold out: the fan cannot have it',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{lastSeatTypeId}}' },
    test: expectError(409, 'sold_out'),
  }),
  request({
    name: 'The fan books another seat type',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{generalSeatTypeId}}' },
    test: `
pm.test('201 confirmed', function () {
    pm.response.to.have.status(201);
    pm.collectionVariables.set('rivalBookingId', pm.response.json().id);
});`,
  }),
  request({
    name: 'Duplicate booking is refused',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{generalSeatTypeId}}' },
    test: expectError(409, 'already_booked'),
  }),
  request({
    name: 'Idempotency-Key: first submission',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'fanAccessToken',
    headers: { Prefer: 'wait={{preferWait}}', 'Idempotency-Key': '{{idempotencyKey}}' },
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{generalSeatTypeId}}' },
    prerequest: `
pm.collectionVariables.set('idempotencyKey', 'postman-' + Date.now() + '-' + Math.floor(Math.random() * 1e6));`,
    test: `
pm.test('201 confirmed', function () {
    pm.response.to.have.status(201);
    pm.collectionVariables.set('idempotentBookingId', pm.response.json().id);
});`,
  }),
  request({
    name: 'Idempotency-Key: a retry gets the first answer',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'fanAccessToken',
    headers: { Prefer: 'wait={{preferWait}}', 'Idempotency-Key': '{{idempotencyKey}}' },
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{generalSeatTypeId}}' },
    test: `
pm.test('201 the same booking, not already_booked', function () {
    pm.response.to.have.status(201);
    pm.expect(pm.response.json().id).to.equal(pm.collectionVariables.get('idempotentBookingId'));
});`,
  }),
  request({
    name: 'Idempotency-Key: reused for a different request',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'fanAccessToken',
    headers: { 'Idempotency-Key': '{{idempotencyKey}}' },
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{lastSeatTypeId}}' },
    test: expectError(422, 'idempotency_key_reused'),
  }),
  request({
    name: 'Booking without a token',
    method: 'POST',
    path: '/api/v1/bookings',
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{generalSeatTypeId}}' },
    test: expectError(401, 'unauthorized'),
  }),
  request({
    name: 'Booking with a forged token',
    method: 'POST',
    path: '/api/v1/bookings',
    headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl' },
    body: { concertId: '{{smallConcertId}}', seatTypeId: '{{generalSeatTypeId}}' },
    test: expectError(401, 'unauthorized'),
  }),
  request({
    name: 'Bad input: booking ids that are not ids',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    body: { concertId: 'not-an-id', seatTypeId: 42, extra: true },
    test: expectError(
      400,
      'validation_failed',
      `
pm.test('details name each bad field', function () {
    const paths = pm.response.json().error.details.map(function (d) { return d.path; });
    pm.expect(paths).to.include.members(['body.concertId', 'body.seatTypeId']);
});`,
    ),
  }),
  request({
    name: 'Bad input: registration',
    method: 'POST',
    path: '/api/v1/auth/register',
    body: { email: 'not-an-email', password: 'short', name: '' },
    test: expectError(
      400,
      'validation_failed',
      `
pm.test('details name each bad field', function () {
    const paths = pm.response.json().error.details.map(function (d) { return d.path; });
    pm.expect(paths).to.include.members(['body.email', 'body.password', 'body.name']);
});`,
    ),
  }),
  request({
    name: 'Bad input: a concert in the past',
    method: 'POST',
    path: '/api/v1/concerts',
    auth: 'adminAccessToken',
    body: { name: 'Yesterday', venue: 'Nowhere', startsAt: '2020-01-01T20:00:00Z' },
    test: expectError(400, 'validation_failed'),
  }),
  request({
    name: 'Bad input: a currency that is not ISO 4217',
    method: 'POST',
    path: '/api/v1/concerts',
    auth: 'adminAccessToken',
    body: { name: 'Funny money', venue: 'Nowhere', startsAt: '{{startsAt}}', currency: 'EUD' },
    test: expectError(400, 'validation_failed'),
  }),
  request({
    name: 'Bad input: malformed JSON',
    method: 'POST',
    path: '/api/v1/auth/login',
    body: { raw: '{"email": "someone@example.test", "password": ' },
    test: expectError(400, 'malformed_json'),
  }),
  request({
    name: 'Email already taken',
    method: 'POST',
    path: '/api/v1/auth/register',
    body: { email: '{{fanEmail}}', password: '{{fanPassword}}', name: 'Again' },
    test: expectError(409, 'email_taken'),
  }),
  request({
    name: 'Wrong password',
    method: 'POST',
    path: '/api/v1/auth/login',
    body: { email: '{{fanEmail}}', password: 'not-the-password' },
    test: expectError(401, 'invalid_credentials'),
  }),
  request({
    name: 'A fan cannot create concerts',
    method: 'POST',
    path: '/api/v1/concerts',
    auth: 'rivalAccessToken',
    body: { name: 'My own gig', venue: 'Garage', startsAt: '{{startsAt}}' },
    test: expectError(403, 'forbidden'),
  }),
  request({
    name: 'Seat-type names are unique per concert',
    method: 'POST',
    path: '/api/v1/concerts/{{smallConcertId}}/seat-types',
    auth: 'adminAccessToken',
    body: { name: 'general', price: 10, capacity: 5 },
    test: expectError(409, 'seat_type_exists'),
  }),
  request({
    name: 'Unknown concert',
    method: 'GET',
    path: '/api/v1/concerts/000000000000000000000000',
    test: expectError(404, 'not_found'),
  }),
  request({
    name: "Someone else's booking is invisible",
    method: 'GET',
    path: '/api/v1/bookings/{{rivalBookingId}}',
    auth: 'fanAccessToken',
    test: expectError(404, 'not_found'),
  }),
  request({
    name: "Someone else's booking cannot be cancelled",
    method: 'DELETE',
    path: '/api/v1/bookings/{{rivalBookingId}}',
    auth: 'fanAccessToken',
    description: 'Answered like a booking that does not exist: a 403 would tell which (guessable) booking ids are taken.',
    test: expectError(404, 'not_found'),
  }),
  request({
    name: "An admin can read anyone's booking",
    method: 'GET',
    path: '/api/v1/bookings/{{rivalBookingId}}',
    auth: 'adminAccessToken',
    test: `
pm.test('200 the booking, untouched', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().status).to.equal('confirmed');
});`,
  }),
  request({
    name: 'Cancelling twice is refused',
    method: 'DELETE',
    path: '/api/v1/bookings/{{bookingId}}',
    auth: 'fanAccessToken',
    test: expectError(409, 'already_cancelled'),
  }),
  request({
    name: 'A spent refresh token is refused',
    method: 'POST',
    path: '/api/v1/auth/refresh',
    body: { refreshToken: '{{spentRefreshToken}}' },
    test: expectError(401, 'invalid_refresh_token'),
  }),
  request({
    name: 'Unknown endpoint',
    method: 'GET',
    path: '/api/v1/no-such-endpoint',
    test: expectError(404, 'route_not_found'),
  }),
];

const waitingRoom = [
  request({
    name: 'Create a concert with a waiting room (admin)',
    method: 'POST',
    path: '/api/v1/concerts',
    auth: 'adminAccessToken',
    body: {
      name: 'Postman Big Show {{$timestamp}}',
      venue: 'Stadium',
      startsAt: '{{startsAt}}',
      seatTypes: [{ name: 'Floor', price: 90, capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 50 },
    },
    test: `
pm.test('201 with the waiting room enabled', function () {
    pm.response.to.have.status(201);
    const concert = pm.response.json();
    pm.expect(concert.waitingRoom.enabled).to.equal(true);
    pm.expect(concert.waitingRoom.admitPerSecond).to.equal(50);
    pm.expect(concert.currency, 'EUR when the concert names no currency').to.equal('EUR');
    pm.collectionVariables.set('roomConcertId', concert.id);
    pm.collectionVariables.set('roomSeatTypeId', concert.seatTypes[0].id);
});`,
  }),
  request({
    name: 'Booking without an admission token is refused',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{roomConcertId}}', seatTypeId: '{{roomSeatTypeId}}' },
    test: expectError(403, 'admission_required'),
  }),
  request({
    name: 'Status before joining',
    method: 'GET',
    path: '/api/v1/waiting-room/{{roomConcertId}}/status',
    auth: 'rivalAccessToken',
    test: expectError(404, 'not_in_line'),
  }),
  request({
    name: 'Join the waiting room',
    method: 'POST',
    path: '/api/v1/waiting-room/{{roomConcertId}}/join',
    auth: 'rivalAccessToken',
    test: `
pm.test('200 with a place in line', function () {
    pm.response.to.have.status(200);
    const place = pm.response.json();
    pm.expect(place.concertId).to.equal(pm.collectionVariables.get('roomConcertId'));
    pm.expect(['waiting', 'admitted']).to.include(place.status);
    pm.expect(place.position).to.be.a('number').and.at.least(1);
    pm.collectionVariables.set('linePosition', place.position);
});`,
  }),
  request({
    name: 'Joining again keeps the place',
    method: 'POST',
    path: '/api/v1/waiting-room/{{roomConcertId}}/join',
    auth: 'rivalAccessToken',
    test: `
pm.test('200 the same position', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().position).to.equal(Number(pm.collectionVariables.get('linePosition')));
});`,
  }),
  request({
    name: 'Wait for admission',
    method: 'GET',
    path: '/api/v1/waiting-room/{{roomConcertId}}/status',
    auth: 'rivalAccessToken',
    description: 'Repeats itself until the line admits the fan (the page and Socket.IO clients get `waiting-room:admitted` instead).',
    prerequest: `
if (Number(pm.collectionVariables.get('pollAttempts') || 0) > 0) setTimeout(function () {}, Number(pm.collectionVariables.get('pollIntervalMs')));`,
    test: `
const attempts = Number(pm.collectionVariables.get('pollAttempts') || 0);
const place = pm.response.json();
pm.test('200 with a status', function () {
    pm.response.to.have.status(200);
    pm.expect(['waiting', 'admitted', 'sold_out']).to.include(place.status);
});
if (place.status === 'waiting' && attempts < Number(pm.collectionVariables.get('pollLimit'))) {
    pm.collectionVariables.set('pollAttempts', attempts + 1);
    postman.setNextRequest(pm.info.requestName);
} else {
    pm.collectionVariables.set('pollAttempts', 0);
    pm.test('admitted with a token', function () {
        pm.expect(place.status).to.equal('admitted');
        pm.expect(place.admissionToken).to.be.a('string').and.not.empty;
        pm.expect(Date.parse(place.expiresAt)).to.be.above(Date.now());
        pm.collectionVariables.set('admissionToken', place.admissionToken);
    });
}`,
  }),
  request({
    name: 'Book with the admission token',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { Prefer: 'wait={{preferWait}}', 'X-Admission-Token': '{{admissionToken}}' },
    body: { concertId: '{{roomConcertId}}', seatTypeId: '{{roomSeatTypeId}}' },
    test: `
pm.test('201 confirmed', function () {
    pm.response.to.have.status(201);
    pm.expect(pm.response.json().concertId).to.equal(pm.collectionVariables.get('roomConcertId'));
});`,
  }),
  request({
    name: 'Another fan’s token is not yours',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'fanAccessToken',
    headers: { 'X-Admission-Token': '{{admissionToken}}' },
    body: { concertId: '{{roomConcertId}}', seatTypeId: '{{roomSeatTypeId}}' },
    test: expectError(403, 'admission_required'),
  }),
  request({
    name: 'One admission, one booking: the token does not book twice',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { 'X-Admission-Token': '{{admissionToken}}' },
    body: { concertId: '{{roomConcertId}}', seatTypeId: '{{roomSeatTypeId}}' },
    test: expectError(403, 'admission_used'),
  }),
  request({
    name: 'A fan cannot pause the line',
    method: 'POST',
    path: '/api/v1/waiting-room/{{roomConcertId}}/pause',
    auth: 'fanAccessToken',
    test: expectError(403, 'forbidden'),
  }),
  ...(['pause', 'drain'] as const).map((action) =>
    request({
      name: action === 'pause' ? 'Pause admissions (admin)' : 'Drain the line: no new fans (admin)',
      method: 'POST',
      path: `/api/v1/waiting-room/{{roomConcertId}}/${action}`,
      auth: 'adminAccessToken',
      test: `
pm.test('200 with the controls in effect', function () {
    pm.response.to.have.status(200);
    const controls = pm.response.json();
    pm.expect(controls.${action === 'pause' ? 'paused' : 'draining'}).to.equal(true);
    pm.expect(controls.admitPerSecond).to.equal(50);
});`,
    }),
  ),
  request({
    name: 'A fan with no place cannot join a draining line',
    method: 'POST',
    path: '/api/v1/waiting-room/{{roomConcertId}}/join',
    auth: 'fanAccessToken',
    test: expectError(409, 'line_draining'),
  }),
  request({
    name: 'Change the line settings live (admin)',
    method: 'PATCH',
    path: '/api/v1/waiting-room/{{roomConcertId}}/settings',
    auth: 'adminAccessToken',
    body: { admitPerSecond: 80, maxActive: 500, claimWindowSeconds: 90, graceSeconds: 900 },
    test: `
pm.test('200 with the new settings', function () {
    pm.response.to.have.status(200);
    const controls = pm.response.json();
    pm.expect(controls).to.include({ admitPerSecond: 80, maxActive: 500, claimWindowSeconds: 90, graceSeconds: 900, paused: true, draining: true });
});`,
  }),
  request({
    name: 'Unknown settings are refused',
    method: 'PATCH',
    path: '/api/v1/waiting-room/{{roomConcertId}}/settings',
    auth: 'adminAccessToken',
    body: { admitPerSecond: 80, speed: 'fast' },
    test: expectError(400, 'validation_failed'),
  }),
  request({
    name: 'Resume the line (admin)',
    method: 'POST',
    path: '/api/v1/waiting-room/{{roomConcertId}}/resume',
    auth: 'adminAccessToken',
    test: `
pm.test('200 neither paused nor draining', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.include({ paused: false, draining: false, admitPerSecond: 80 });
});`,
  }),
  request({
    name: 'Line stats (admin)',
    method: 'GET',
    path: '/api/v1/waiting-room/{{roomConcertId}}/stats',
    auth: 'adminAccessToken',
    test: `
pm.test('200 with the line, the time in line and the no-shows', function () {
    pm.response.to.have.status(200);
    const stats = pm.response.json();
    pm.expect(stats.concertId).to.equal(pm.collectionVariables.get('roomConcertId'));
    pm.expect(stats.serving).to.be.at.least(1);
    pm.expect(stats.timeInLine.p50Seconds).to.be.a('number').and.at.least(0);
    pm.expect(stats.timeInLine.p95Seconds).to.be.at.least(stats.timeInLine.p50Seconds);
    pm.expect(stats.noShows).to.equal(0);
    pm.expect(stats.paused).to.equal(false);
});`,
  }),
  request({
    name: 'A concert without a waiting room has no line',
    method: 'POST',
    path: '/api/v1/waiting-room/{{concertId}}/join',
    auth: 'rivalAccessToken',
    test: expectError(404, 'not_found'),
  }),
  request({
    name: 'The fan-facing waiting-room page',
    method: 'GET',
    path: '/waiting-room/{{roomConcertId}}',
    description: 'Open this URL in a browser to queue, watch your place and book.',
    test: `
pm.test('200 an HTML page', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get('Content-Type')).to.include('text/html');
    pm.expect(pm.response.text()).to.match(/<html/i);
});`,
  }),
  request({
    name: "The fan's bookings page",
    method: 'GET',
    path: '/waiting-room/my-bookings',
    description: 'Linked from the waiting-room page once the fan has booked; it signs in with the same session.',
    test: `
pm.test('200 an HTML page', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get('Content-Type')).to.include('text/html');
    pm.expect(pm.response.text()).to.match(/<html/i);
});`,
  }),
  request({
    name: 'The Socket.IO client the page loads',
    method: 'GET',
    path: '/waiting-room/assets/socket.io.min.js',
    test: `
pm.test('200 JavaScript', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get('Content-Type')).to.include('javascript');
});`,
  }),
];

const accountDeletion = [
  request({
    name: 'Deleting the account needs the password',
    method: 'DELETE',
    path: '/api/v1/auth/me',
    auth: 'fanAccessToken',
    body: { password: 'not-the-password' },
    test: expectError(401, 'invalid_credentials'),
  }),
  request({
    name: 'The admin account cannot be deleted',
    method: 'DELETE',
    path: '/api/v1/auth/me',
    auth: 'adminAccessToken',
    body: { password: '{{adminPassword}}' },
    test: expectError(403, 'forbidden'),
  }),
  request({
    name: 'Changing the password needs the current one',
    method: 'POST',
    path: '/api/v1/auth/change-password',
    auth: 'fanAccessToken',
    body: { currentPassword: 'not-the-password', newPassword: '{{fanPassword}}-2' },
    test: expectError(401, 'invalid_credentials'),
  }),
  request({
    name: 'Change my password',
    method: 'POST',
    path: '/api/v1/auth/change-password',
    auth: 'fanAccessToken',
    body: { currentPassword: '{{fanPassword}}', newPassword: '{{fanPassword}}-2' },
    description: 'Every session ends, this one included (refresh and access tokens, in every service at once): sign in again with the new password.',
    test: `
pm.test('204', function () {
    pm.response.to.have.status(204);
    pm.collectionVariables.set('oldFanPassword', pm.collectionVariables.get('fanPassword'));
    pm.collectionVariables.set('fanPassword', pm.collectionVariables.get('fanPassword') + '-2');
});`,
  }),
  request({
    name: 'The access token stopped working at the password change',
    method: 'GET',
    path: '/api/v1/auth/profile',
    auth: 'fanAccessToken',
    test: expectError(401, 'unauthorized'),
  }),
  request({
    name: 'The old password is refused',
    method: 'POST',
    path: '/api/v1/auth/login',
    body: { email: '{{fanEmail}}', password: '{{oldFanPassword}}' },
    test: expectError(401, 'invalid_credentials'),
  }),
  fanLogsIn('Log in with the new password', '200 a new pair'),
  request({
    name: 'Delete my account',
    method: 'DELETE',
    path: '/api/v1/auth/me',
    auth: 'fanAccessToken',
    body: { password: '{{fanPassword}}' },
    description:
      'The account goes and its tokens stop working at once in every service. Bookings stay in the sales ledger as they were ' +
      '(a confirmed ticket stays sold): cancel first to free a seat.',
    test: `
pm.test('204', function () {
    pm.response.to.have.status(204);
});`,
  }),
  request({
    name: "A deleted account's token is refused",
    method: 'GET',
    path: '/api/v1/notifications',
    auth: 'fanAccessToken',
    test: expectError(401, 'unauthorized'),
  }),
  request({
    name: 'A deleted account cannot log in',
    method: 'POST',
    path: '/api/v1/auth/login',
    body: { email: '{{fanEmail}}', password: '{{fanPassword}}' },
    test: expectError(401, 'invalid_credentials'),
  }),
];

const waitingList = [
  request({
    name: 'Create a one-seat concert for the waiting list (admin)',
    method: 'POST',
    path: '/api/v1/concerts',
    auth: 'adminAccessToken',
    body: {
      name: 'Postman Waiting List {{$timestamp}}',
      venue: 'Tiny Club',
      startsAt: '{{startsAt}}',
      seatTypes: [{ name: 'Only seat', price: 90, capacity: 1 }],
    },
    test: `
pm.test('201', function () {
    pm.response.to.have.status(201);
    const concert = pm.response.json();
    pm.collectionVariables.set('listConcertId', concert.id);
    pm.collectionVariables.set('listSeatTypeId', concert.seatTypes[0].id);
});`,
  }),
  request({
    name: 'Joining before it is sold out is refused',
    method: 'PUT',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'fanAccessToken',
    body: { seatTypeId: '{{listSeatTypeId}}' },
    test: expectError(409, 'seats_available'),
  }),
  request({
    name: 'The admin takes the only seat',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'adminAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{listConcertId}}', seatTypeId: '{{listSeatTypeId}}' },
    test: `
pm.test('201 confirmed', function () {
    pm.response.to.have.status(201);
    pm.collectionVariables.set('listBookingId', pm.response.json().id);
});`,
  }),
  request({
    name: 'The fan joins the waiting list',
    method: 'PUT',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'fanAccessToken',
    body: { seatTypeId: '{{listSeatTypeId}}' },
    test: `
pm.test('200 first in line', function () {
    pm.response.to.have.status(200);
    const place = pm.response.json();
    pm.expect(place.status).to.equal('waiting');
    pm.expect(place.position).to.equal(1);
    pm.expect(place.ahead).to.equal(0);
});`,
  }),
  request({
    name: 'The second fan joins for any seat type',
    method: 'PUT',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'rivalAccessToken',
    body: {},
    test: `
pm.test('200 second, waiting for any seat type', function () {
    pm.response.to.have.status(200);
    const place = pm.response.json();
    pm.expect(place.position).to.equal(2);
    pm.expect(place.ahead).to.equal(1);
    pm.expect(place.seatTypeId).to.equal(null);
});`,
  }),
  request({
    name: 'Joining twice keeps the place',
    method: 'PUT',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'fanAccessToken',
    body: { seatTypeId: '{{listSeatTypeId}}' },
    test: `
pm.test('200 still first', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().position).to.equal(1);
});`,
  }),
  request({
    name: 'A ticket holder cannot join',
    method: 'PUT',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'adminAccessToken',
    body: {},
    test: expectError(409, 'already_booked'),
  }),
  request({
    name: 'The admin cancels: the seat is offered to the first fan at once',
    method: 'DELETE',
    path: '/api/v1/bookings/{{listBookingId}}',
    auth: 'adminAccessToken',
    test: `
pm.test('200 cancelled', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().status).to.equal('cancelled');
});`,
  }),
  request({
    name: 'The freed seat is held for the fan: nobody can book it from the queue',
    method: 'GET',
    path: '/api/v1/concerts/{{listConcertId}}/seat-types/{{listSeatTypeId}}',
    test: `
pm.test('200 remaining 0', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().remaining).to.equal(0);
});`,
  }),
  request({
    name: "The fan's place shows the offer",
    method: 'GET',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'fanAccessToken',
    test: `
pm.test('200 offered, with an expiry', function () {
    pm.response.to.have.status(200);
    const place = pm.response.json();
    pm.expect(place.status).to.equal('offered');
    pm.expect(place.offer.seatTypeId).to.equal(pm.collectionVariables.get('listSeatTypeId'));
    pm.expect(Date.parse(place.offer.expiresAt)).to.be.above(Date.now());
    pm.collectionVariables.set('fanOfferId', place.offer.offerId);
});`,
  }),
  request({
    name: "Another fan cannot accept the fan's offer",
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{listConcertId}}', seatTypeId: '{{listSeatTypeId}}', offerId: '{{fanOfferId}}' },
    test: expectError(409, 'offer_not_open'),
  }),
  request({
    name: 'The fan declines: the seat passes to the next fan',
    method: 'POST',
    path: '/api/v1/waiting-lists/{{listConcertId}}/offers/{{fanOfferId}}/decline',
    auth: 'fanAccessToken',
    test: `
pm.test('204', function () {
    pm.response.to.have.status(204);
});`,
  }),
  request({
    name: 'The second fan now has the offer',
    method: 'GET',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'rivalAccessToken',
    test: `
pm.test('200 offered', function () {
    pm.response.to.have.status(200);
    const place = pm.response.json();
    pm.expect(place.status).to.equal('offered');
    pm.collectionVariables.set('rivalOfferId', place.offer.offerId);
});`,
  }),
  request({
    name: 'The second fan accepts: POST /bookings with the offer',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{listConcertId}}', seatTypeId: '{{listSeatTypeId}}', offerId: '{{rivalOfferId}}' },
    test: `
pm.test('201 confirmed', function () {
    pm.response.to.have.status(201);
    pm.expect(pm.response.json().status).to.equal('confirmed');
});`,
  }),
  request({
    name: 'Booked: off the list',
    method: 'GET',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'rivalAccessToken',
    test: expectError(404, 'not_on_waiting_list'),
  }),
  request({
    name: 'The fan joins again, at the end',
    method: 'PUT',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'fanAccessToken',
    body: { seatTypeId: '{{listSeatTypeId}}' },
    test: `
pm.test('200 waiting', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().status).to.equal('waiting');
});`,
  }),
  request({
    name: 'The fan leaves the list',
    method: 'DELETE',
    path: '/api/v1/waiting-lists/{{listConcertId}}/me',
    auth: 'fanAccessToken',
    test: `
pm.test('204', function () {
    pm.response.to.have.status(204);
});`,
  }),
];

// The operator's side of a live sale (admin only, every change audited): edit, add
// capacity, close a seat type, close sales, the figures, the bookings and the audit log.
const operator = [
  request({
    name: 'Create a concert to run (admin)',
    method: 'POST',
    path: '/api/v1/concerts',
    auth: 'adminAccessToken',
    body: {
      name: 'Postman Operator Night {{$timestamp}}',
      venue: 'Control Room',
      startsAt: '{{operatorStartsAt}}',
      seatTypes: [
        { name: 'Floor', price: 40, capacity: 2 },
        { name: 'Balcony', price: 25, capacity: 2 },
      ],
    },
    prerequest: `
pm.collectionVariables.set('operatorStartsAt', new Date(Date.now() + 48 * 3600 * 1000).toISOString());
pm.collectionVariables.set('operatorMovedStartsAt', new Date(Date.now() + 72 * 3600 * 1000).toISOString());`,
    test: `
pm.test('201', function () {
    pm.response.to.have.status(201);
    const concert = pm.response.json();
    const byName = {};
    concert.seatTypes.forEach(function (s) { byName[s.name] = s.id; });
    pm.collectionVariables.set('operatorConcertId', concert.id);
    pm.collectionVariables.set('operatorFloorId', byName.Floor);
    pm.collectionVariables.set('operatorBalconyId', byName.Balcony);
});`,
  }),
  request({
    name: 'A fan cannot change a concert',
    method: 'PATCH',
    path: '/api/v1/concerts/{{operatorConcertId}}',
    auth: 'rivalAccessToken',
    body: { name: 'Mine now' },
    test: expectError(403, 'forbidden'),
  }),
  request({
    name: 'Closing sales needs a token',
    method: 'POST',
    path: '/api/v1/concerts/{{operatorConcertId}}/close-sales',
    test: expectError(401, 'unauthorized'),
  }),
  request({
    name: 'Rename the concert and move its start while nothing is sold',
    method: 'PATCH',
    path: '/api/v1/concerts/{{operatorConcertId}}',
    auth: 'adminAccessToken',
    body: {
      name: 'Postman Operator Night (moved)',
      description: 'Doors at 18:30',
      startsAt: '{{operatorMovedStartsAt}}',
      waitingList: { offerTtlSeconds: 300 },
    },
    test: `
pm.test('200 with the new name, description, start and offer time', function () {
    pm.response.to.have.status(200);
    const concert = pm.response.json();
    pm.expect(concert.name).to.equal('Postman Operator Night (moved)');
    pm.expect(concert.description).to.equal('Doors at 18:30');
    pm.expect(concert.startsAt).to.equal(pm.collectionVariables.get('operatorMovedStartsAt'));
    pm.expect(concert.waitingList).to.eql({ offerTtlSeconds: 300 });
});`,
  }),
  request({
    name: 'Bad input: adding no seats',
    method: 'POST',
    path: '/api/v1/concerts/{{operatorConcertId}}/seat-types/{{operatorFloorId}}/capacity',
    auth: 'adminAccessToken',
    body: { add: 0 },
    test: expectError(400, 'validation_failed'),
  }),
  request({
    name: 'Add 3 seats to the Floor',
    method: 'POST',
    path: '/api/v1/concerts/{{operatorConcertId}}/seat-types/{{operatorFloorId}}/capacity',
    auth: 'adminAccessToken',
    body: { add: 3 },
    test: `
pm.test('200 with 5 seats, all on sale', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().capacity).to.equal(5);
    pm.expect(pm.response.json().remaining).to.equal(5);
});`,
  }),
  request({
    name: 'A fan books the Floor',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'rivalAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{operatorConcertId}}', seatTypeId: '{{operatorFloorId}}' },
    test: `
pm.test('201 confirmed', function () {
    pm.response.to.have.status(201);
    pm.collectionVariables.set('operatorBookingId', pm.response.json().id);
});`,
  }),
  request({
    name: 'The start cannot move once a seat is sold',
    method: 'PATCH',
    path: '/api/v1/concerts/{{operatorConcertId}}',
    auth: 'adminAccessToken',
    body: { startsAt: '{{operatorStartsAt}}' },
    test: expectError(409, 'concert_has_sales'),
  }),
  request({
    name: 'Live figures per seat type',
    method: 'GET',
    path: '/api/v1/concerts/{{operatorConcertId}}/stats',
    auth: 'adminAccessToken',
    test: `
pm.test('200: one Floor seat sold, four remaining', function () {
    pm.response.to.have.status(200);
    const floor = pm.response.json().seatTypes.find(function (s) { return s.seatTypeId === pm.collectionVariables.get('operatorFloorId'); });
    pm.expect(floor.capacity).to.equal(5);
    pm.expect(floor.sold).to.equal(1);
    pm.expect(floor.remaining).to.equal(4);
    pm.expect(floor.closed).to.equal(false);
});`,
  }),
  request({
    name: 'Close the Balcony',
    method: 'POST',
    path: '/api/v1/concerts/{{operatorConcertId}}/seat-types/{{operatorBalconyId}}/close',
    auth: 'adminAccessToken',
    test: `
pm.test('200 closed', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().closed).to.equal(true);
});`,
  }),
  request({
    name: 'A closed seat type is refused',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'adminAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{operatorConcertId}}', seatTypeId: '{{operatorBalconyId}}' },
    test: expectError(409, 'seat_type_closed'),
  }),
  request({
    name: "The concert's bookings",
    method: 'GET',
    path: '/api/v1/bookings/by-concert/{{operatorConcertId}}?status=confirmed&limit=50',
    auth: 'adminAccessToken',
    test: `
pm.test("200: the fan's booking with its email, one page", function () {
    pm.response.to.have.status(200);
    const page = pm.response.json();
    pm.expect(page.items).to.have.lengthOf(1);
    pm.expect(page.items[0].id).to.equal(pm.collectionVariables.get('operatorBookingId'));
    pm.expect(page.items[0].userEmail).to.equal(pm.collectionVariables.get('rivalEmail'));
    pm.expect(page.nextCursor).to.equal(null);
});`,
  }),
  request({
    name: "The concert's bookings as CSV",
    method: 'GET',
    path: '/api/v1/bookings/by-concert/{{operatorConcertId}}?format=csv',
    auth: 'adminAccessToken',
    test: `
pm.test('200 text/csv attachment: a header line and the booking', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get('Content-Type')).to.match(/^text\\/csv/);
    pm.expect(pm.response.headers.get('Content-Disposition')).to.match(/^attachment/);
    const rows = pm.response.text().split('\\r\\n').filter(Boolean);
    pm.expect(rows[0].split(',')[0]).to.equal('id');
    pm.expect(rows).to.have.lengthOf(2);
    pm.expect(rows[1]).to.include(pm.collectionVariables.get('rivalEmail'));
});`,
  }),
  request({
    name: 'Close sales now',
    method: 'POST',
    path: '/api/v1/concerts/{{operatorConcertId}}/close-sales',
    auth: 'adminAccessToken',
    test: `
pm.test('200 with the cut-off', function () {
    pm.response.to.have.status(200);
    const concert = pm.response.json();
    pm.expect(concert.status).to.equal('sales_closed');
    pm.expect(Date.parse(concert.salesClosedAt)).to.be.at.most(Date.now() + 60000);
});`,
  }),
  request({
    name: 'Booking after sales closed is refused',
    method: 'POST',
    path: '/api/v1/bookings',
    auth: 'adminAccessToken',
    headers: { Prefer: 'wait={{preferWait}}' },
    body: { concertId: '{{operatorConcertId}}', seatTypeId: '{{operatorFloorId}}' },
    test: expectError(409, 'sales_closed'),
  }),
  request({
    name: 'The audit log, newest first',
    method: 'GET',
    path: '/api/v1/concerts/{{operatorConcertId}}/audit?limit=10',
    auth: 'adminAccessToken',
    test: `
pm.test('200: every change, who made it', function () {
    pm.response.to.have.status(200);
    const items = pm.response.json().items;
    pm.expect(items.map(function (e) { return e.action; })).to.eql(['sales.close', 'seat-type.close', 'seat-type.capacity.add', 'concert.update']);
    pm.expect(items[0].actor.email).to.equal(pm.environment.get('adminEmail'));
});`,
  }),
  request({
    name: 'Live charts of the sale (from Prometheus)',
    method: 'GET',
    path: '/api/v1/admin/charts?concertId={{operatorConcertId}}&minutes=15',
    auth: 'adminAccessToken',
    description: 'Fixed PromQL range queries against the Prometheus the concert service is given (PROMETHEUS_URL); without one, a 503.',
    test: `
pm.test('200 with the charts, or 503 service_unavailable when no Prometheus is configured or reachable', function () {
    pm.expect([200, 503]).to.include(pm.response.code);
    const body = pm.response.json();
    if (pm.response.code === 200) {
        pm.expect(body.concertId).to.equal(pm.collectionVariables.get('operatorConcertId'));
        pm.expect(body.charts).to.be.an('array');
    } else {
        pm.expect(body.error.code).to.equal('service_unavailable');
    }
});`,
  }),
  request({
    name: 'Live charts: a fan is refused',
    method: 'GET',
    path: '/api/v1/admin/charts?concertId={{operatorConcertId}}',
    auth: 'rivalAccessToken',
    test: expectError(403, 'forbidden'),
  }),
  ...(
    [
      ['The operator console page', '/admin', 'text/html'],
      ['The charting library the console loads (uPlot script)', '/admin/assets/uPlot.iife.min.js', 'javascript'],
      ['The charting library the console loads (uPlot styles)', '/admin/assets/uPlot.min.css', 'text/css'],
    ] as const
  ).map(([name, path, type]) =>
    request({
      name,
      method: 'GET',
      path,
      test: `
pm.test('200 ${type}', function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get('Content-Type')).to.include('${type}');
});`,
    }),
  ),
];

export function buildCollection() {
  const variable = (key: string, value: string) => ({ key, value, type: 'string' });
  return {
    info: {
      name: 'Concert Booking API',
      description:
        'The Onsale public API, in an order that runs top to bottom on a fresh stack: register a fan, log in as the admin, ' +
        'create a concert, book, read the email, cancel, refresh and log out; then negative cases and a concert behind ' +
        'the waiting room (join, wait for admission, book with the admission token), a sold-out concert’s waiting list (join, an offer on a cancel, decline, accept), changing the password and deleting an account, and ' +
        "the operator's side of a live sale (edit, add capacity, close a seat type, close sales, figures, bookings and CSV, audit log). Every answer is also " +
        'checked against the OpenAPI document the gateway serves at /api/openapi.json (reader: /api/docs).\n\n' +
        'Import it with the environment file next to it and run the whole collection (Runner, or `npx newman run`). ' +
        'Generated by postman/build-collection.ts.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: lines(collectionTest) } }],
    variable: [
      variable('preferWait', '10'),
      variable('fanPassword', 'correct-horse-battery-staple'),
      variable('pollLimit', '60'),
      variable('pollIntervalMs', '500'),
    ],
    item: [
      { name: '1. Main flow', item: mainFlow },
      { name: '2. Negative cases', item: negativeCases },
      { name: '3. Waiting room', item: waitingRoom },
      { name: '4. Waiting list', item: waitingList },
      { name: '5. Account: password change and deletion', item: accountDeletion },
      { name: '6. Operator', item: operator },
    ],
  };
}

export function buildEnvironment() {
  return {
    name: 'Onsale local development',
    values: [
      // ONSALE_URL's default (the file is committed, so not this machine's setting): newman
      // takes another with --env-var baseUrl=$ONSALE_URL (docs/USAGE.md).
      { key: 'baseUrl', value: onsaleUrl({}), type: 'default', enabled: true },
      // The development defaults of scripts/stack/platform.ts; set ADMIN_EMAIL / ADMIN_PASSWORD elsewhere.
      { key: 'adminEmail', value: DEV_ADMIN.email, type: 'default', enabled: true },
      { key: 'adminPassword', value: DEV_ADMIN.password, type: 'secret', enabled: true },
    ],
    _postman_variable_scope: 'environment',
  };
}

export const serialise = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The fan signs in with the current password and the collection keeps the new pair. */
function fanLogsIn(name: string, testTitle: string) {
  return request({
    name,
    method: 'POST',
    path: '/api/v1/auth/login',
    body: { email: '{{fanEmail}}', password: '{{fanPassword}}' },
    test: `
pm.test('${testTitle}', function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body.user.id).to.equal(pm.collectionVariables.get('fanId'));
    pm.collectionVariables.set('fanAccessToken', body.accessToken);
    pm.collectionVariables.set('fanRefreshToken', body.refreshToken);
});`,
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(COLLECTION_FILE, serialise(buildCollection()));
  writeFileSync(ENVIRONMENT_FILE, serialise(buildEnvironment()));
  console.log(`wrote ${path.relative(process.cwd(), COLLECTION_FILE)} and ${path.relative(process.cwd(), ENVIRONMENT_FILE)}`);
}
