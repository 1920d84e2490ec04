import { createHmac, generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import jwt from 'jsonwebtoken';
import { Types } from 'mongoose';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '../../../lib/auth-middleware.js';
import type { RawRequest } from './raw-http.js';

export type Category =
  | 'missing-field'
  | 'extra-field'
  | 'wrong-type'
  | 'empty-string'
  | 'huge-string'
  | 'control-chars'
  | 'unicode'
  | 'out-of-range'
  | 'operator-injection'
  | 'prototype-pollution'
  | 'invalid-id'
  | 'nonexistent-id'
  | 'malformed-json'
  | 'content-type'
  | 'content-encoding'
  | 'oversized-body'
  | 'query'
  | 'headers'
  | 'credentials'
  | 'huge-request'
  | 'ignored-query';

/** One request as the suites build it: a valid request of the endpoint, then one thing made bad. */
export interface RequestShape {
  params: Record<string, string>;
  /** Raw query string without `?`. */
  query: string;
  /** JSON-serialised unless `rawBody` or `chunks` is set. */
  body?: unknown;
  rawBody?: string | Buffer;
  chunks?: Buffer[];
  /** Content-Type of the body; null sends none. Default application/json when there is a body. */
  contentType?: string | null;
  headers: Record<string, string>;
  token?: string;
}

export interface BadCase {
  category: Category;
  name: string;
  mutate(shape: RequestShape): RequestShape;
  expect: {
    status: number;
    /** The error code (absent for `ignored-query`, which expects the valid request's answer). */
    code?: string;
    /** A `details[].path` that must name what was wrong: exactly this path or one below it. */
    detailsPath?: string;
  };
}

/** The subset of an OpenAPI operation the generator reads. */
export interface OperationSpec {
  method: string;
  path: string;
  parameters?: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: unknown[];
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  $ref?: string;
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
type Path = Array<string | number>;
/** An object or array of a parsed JSON body, indexed by a key or an index of a Path. */
type JsonContainer = Record<string | number, unknown>;

/** The container at `path` (the valid body has one there: the paths come from its own schema). */
function containerAt(target: unknown, path: Path): JsonContainer {
  let node = target;
  for (const key of path) node = (node as JsonContainer)[key];
  return node as JsonContainer;
}
function setIn(target: unknown, path: Path, value: unknown) {
  containerAt(target, path.slice(0, -1))[path[path.length - 1]] = value;
}
function deleteIn(target: unknown, path: Path) {
  delete containerAt(target, path.slice(0, -1))[path[path.length - 1]];
}
function getIn(target: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as JsonContainer | null | undefined)?.[key], target);
}

/** A marker replaced by raw JSON text after serialising, for values JSON.stringify cannot write (1e400, `__proto__` keys). */
const RAW = '\u0000raw:';
const raw = (json: string) => `${RAW}${json}${RAW}`;
function serialise(body: unknown): string {
  return JSON.stringify(body).replace(
    new RegExp(`"${RAW.replace('\u0000', '\\\\u0000')}(.*?)${RAW.replace('\u0000', '\\\\u0000')}"`, 'g'),
    (_m, json: string) => JSON.parse(`"${json}"`) as string,
  );
}

/** The body of a shape as sent on the wire. */
export function bodyOf(shape: RequestShape): string | Buffer | undefined {
  if (shape.rawBody !== undefined) return shape.rawBody;
  if (shape.body === undefined) return undefined;
  return serialise(shape.body);
}

export function toRawRequest(method: string, template: string, shape: RequestShape): RawRequest {
  const path = template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (!(name in shape.params)) throw new Error(`no value for path parameter ${name} of ${template}`);
    return shape.params[name];
  });
  const headers: Record<string, string> = { ...shape.headers };
  if (shape.token !== undefined) headers.Authorization = `Bearer ${shape.token}`;
  const body = shape.chunks ? undefined : bodyOf(shape);
  const hasBody = body !== undefined || shape.chunks !== undefined;
  const contentType = shape.contentType === undefined ? (hasBody ? 'application/json' : null) : shape.contentType;
  if (contentType !== null) headers['Content-Type'] = contentType;
  return { method: method.toUpperCase(), path: shape.query ? `${path}?${shape.query}` : path, headers, body, chunks: shape.chunks };
}

function resolve(schema: JsonSchema | undefined, components: Record<string, JsonSchema>): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  return resolve(components[schema.$ref.replace('#/components/schemas/', '')], components);
}

const typeOf = (s: JsonSchema): string | undefined => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);
/** Passwords and tokens are opaque secrets: any character is theirs to hold, so only their length is checked. */
const isSecret = (name: string | number) => typeof name === 'string' && /password|token|secret/i.test(name);
const OBJECT_ID = /^\^\[a-f0-9\]\{24\}\$$/;
const isIdField = (s: JsonSchema) => typeof s.pattern === 'string' && OBJECT_ID.test(s.pattern);
/** Fullwidth look-alikes of ASCII (`ａ` for `a`): valid to the eye, not to a pattern. */
const fullwidth = (v: string) => v.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const newId = () => new Types.ObjectId().toHexString();

const OPERATORS: Array<[string, unknown]> = [
  ['$gt', { $gt: '' }],
  ['$ne', { $ne: null }],
  ['$where', { $where: 'sleep(1000) || true' }],
  ['$regex', { $regex: '.*' }],
];
const POLLUTION_VALUES = [
  ['__proto__', raw('{"__proto__":{"polluted":true}}')],
  ['constructor.prototype', raw('{"constructor":{"prototype":{"polluted":true}}}')],
] as const;
const WRONG_TYPES: Record<string, unknown[]> = {
  string: [12345, true, null, [], {}, ['x']],
  number: ['12', true, null, [], {}],
  integer: ['12', true, null, [], {}],
  boolean: ['true', 1, null, [], {}],
  array: [{}, 'x', 1, null],
  object: [[], 'x', 1, true, null],
};

/** Cases for one body field (and, recursively, the fields inside it). */
function fieldCases(schema: JsonSchema, path: Path, required: boolean, valid: unknown, components: Record<string, JsonSchema>): BadCase[] {
  const cases: BadCase[] = [];
  const where = `body.${path.join('.')}`;
  const at = (category: Category, name: string, value: unknown): BadCase => ({
    category,
    name: `${where}: ${name}`,
    mutate: (shape) => {
      const body = clone(shape.body);
      setIn(body, path, value);
      return { ...shape, body };
    },
    expect: { status: 400, code: 'validation_failed', detailsPath: where },
  });
  const type = typeOf(schema);
  const name = path[path.length - 1];

  if (required) {
    cases.push({
      category: 'missing-field',
      name: `${where}: missing`,
      mutate: (shape) => {
        const body = clone(shape.body);
        deleteIn(body, path);
        return { ...shape, body };
      },
      expect: { status: 400, code: 'validation_failed', detailsPath: where },
    });
  }
  for (const value of WRONG_TYPES[type ?? ''] ?? []) cases.push(at('wrong-type', `${JSON.stringify(value)} instead of ${type}`, value));
  for (const [op, value] of OPERATORS) cases.push(at('operator-injection', `${op} operator object`, value));
  for (const [what, value] of POLLUTION_VALUES) cases.push(at('prototype-pollution', `object with ${what}`, value));

  if (type === 'string') {
    const sample = typeof valid === 'string' ? valid : 'x';
    if ((schema.minLength ?? 0) >= 1 || schema.pattern || schema.format || schema.enum) cases.push(at('empty-string', 'empty', ''));
    if (schema.maxLength !== undefined)
      cases.push(at('huge-string', `${schema.maxLength + 1} characters (max ${schema.maxLength})`, 'x'.repeat(schema.maxLength + 1)));
    // Every string needs an upper bound: 60,000 characters still fit the 64 KiB body limit.
    cases.push(at('huge-string', '60,000 characters', 'x'.repeat(60_000)));
    if (!isSecret(name)) {
      for (const [what, value] of [
        ['NUL', `a\u0000b`],
        ['newline', `${sample}\nX-Injected: 1`],
        ['ANSI escape', `\u001b[31m${sample}`],
        ['bell', `${sample}\u0007`],
        ['DEL', `${sample}\u007f`],
      ]) {
        cases.push(at('control-chars', what, value));
      }
      if (schema.pattern || schema.format || schema.enum) {
        cases.push(at('unicode', 'fullwidth look-alike of a valid value', fullwidth(sample)));
        cases.push(at('unicode', 'valid value + zero-width space', `${sample}\u200b`));
      } else {
        cases.push(at('unicode', 'C1 control (NEL)', `${sample}\u0085`));
        cases.push(at('unicode', 'C1 control (CSI)', `\u009b31m${sample}`));
        cases.push(at('unicode', 'lone surrogate', `${sample}\ud800`));
      }
    }
    if (isIdField(schema)) {
      // A well-formed id of nothing: the resource does not exist.
      cases.push({ ...at('nonexistent-id', 'id of nothing', newId()), expect: { status: 404, code: 'not_found' } });
    }
  }
  if (type === 'number' || type === 'integer') {
    if (schema.minimum !== undefined) cases.push(at('out-of-range', `${schema.minimum - 1} (min ${schema.minimum})`, schema.minimum - 1));
    if (schema.maximum !== undefined) cases.push(at('out-of-range', `${schema.maximum + 1} (max ${schema.maximum})`, schema.maximum + 1));
    if (type === 'integer') cases.push(at('out-of-range', '1.5 (not an integer)', 1.5));
    cases.push(at('out-of-range', '1e400 (Infinity once parsed)', raw('1e400')));
    cases.push(at('out-of-range', '-1e400', raw('-1e400')));
    cases.push(at('out-of-range', '2^53 + 2', raw('9007199254740994')));
  }
  if (type === 'array') {
    if (schema.maxItems !== undefined && Array.isArray(valid) && valid.length > 0) {
      cases.push(
        at(
          'out-of-range',
          `${schema.maxItems + 1} items (max ${schema.maxItems})`,
          Array.from({ length: schema.maxItems + 1 }, (): unknown => valid[0]),
        ),
      );
    }
    const items = resolve(schema.items, components);
    if (items && Array.isArray(valid) && valid.length > 0)
      cases.push(...fieldCases(items, [...path, 0], false, valid[0], components).filter((c) => c.category !== 'missing-field'));
  }
  if (type === 'object') {
    cases.push(...objectCases(schema, path, valid, components));
  }
  return cases;
}

/** Cases for an object's own keys: extra keys, then each property. */
function objectCases(schema: JsonSchema, path: Path, valid: unknown, components: Record<string, JsonSchema>): BadCase[] {
  const cases: BadCase[] = [];
  const where = ['body', ...path].join('.');
  const extraKey = (category: Category, name: string, key: string, value: unknown): BadCase => ({
    category,
    name: `${where}: ${name}`,
    mutate: (shape) => {
      const body = clone(shape.body);
      const target = path.length ? getIn(body, path) : body;
      // `__proto__` as an own key can only be written as JSON text.
      if (key === '__proto__') {
        const json = serialise(target);
        const spliced = `{"__proto__":${JSON.stringify(value)}${json === '{}' ? '' : ','}${json.slice(1)}`;
        if (path.length === 0) return { ...shape, body: undefined, rawBody: spliced };
        setIn(body, path, raw(spliced));
        return { ...shape, body };
      }
      (target as Record<string, unknown>)[key] = value;
      return { ...shape, body };
    },
    expect: { status: 400, code: 'validation_failed', detailsPath: where },
  });
  if (schema.additionalProperties === false || schema.additionalProperties === undefined) {
    cases.push(extraKey('extra-field', 'unexpected field', 'unexpected', 1));
    cases.push(extraKey('extra-field', 'field named like a MongoDB path', 'role.$', 'admin'));
    cases.push(extraKey('operator-injection', '$where key', '$where', 'sleep(1000) || true'));
    cases.push(extraKey('operator-injection', '$or key', '$or', [{ role: 'admin' }]));
    cases.push(extraKey('prototype-pollution', '__proto__ key', '__proto__', { polluted: true, role: 'admin' }));
    cases.push(extraKey('prototype-pollution', 'constructor key', 'constructor', { prototype: { polluted: true } }));
    cases.push(extraKey('prototype-pollution', 'prototype key', 'prototype', { polluted: true }));
  }
  const required = new Set(schema.required ?? []);
  for (const [key, propSchema] of Object.entries(schema.properties ?? {})) {
    const resolved = resolve(propSchema, components);
    if (!resolved) continue;
    const propValid = (valid as Record<string, unknown> | undefined)?.[key];
    // Optional parts are exercised when the valid request has them (the table's requests include every optional part).
    if (propValid === undefined && !required.has(key)) continue;
    cases.push(...fieldCases(resolved, [...path, key], required.has(key), propValid, components));
  }
  return cases;
}

/** Cases for a JSON request body described by `schema`, made from a valid body. */
export function bodyCases(schema: JsonSchema, valid: unknown, components: Record<string, JsonSchema>): BadCase[] {
  const root = resolve(schema, components)!;
  const cases = objectCases(root, [], valid, components);
  const firstRequired = root.required?.[0];
  const rawBody = (category: Category, name: string, body: string, code: string, detailsPath?: string): BadCase => ({
    category,
    name: `body: ${name}`,
    mutate: (shape) => ({ ...shape, body: undefined, rawBody: body }),
    expect: { status: 400, code, detailsPath },
  });
  if (firstRequired) {
    cases.push(rawBody('missing-field', 'empty object', '{}', 'validation_failed', `body.${firstRequired}`));
    cases.push({
      category: 'missing-field',
      name: 'body: none at all',
      mutate: (shape) => ({ ...shape, body: undefined, contentType: null }),
      expect: { status: 400, code: 'validation_failed', detailsPath: `body.${firstRequired}` },
    });
    // The last of two equal keys wins in JSON.parse: the operator must still be refused.
    const json = serialise(valid);
    cases.push(
      rawBody(
        'operator-injection',
        `duplicate "${firstRequired}" key carrying $ne`,
        `{"${firstRequired}":{"$ne":null},${json.slice(1, -1)},"${firstRequired}":{"$ne":null}}`,
        'validation_failed',
        `body.${firstRequired}`,
      ),
    );
  }
  cases.push(rawBody('wrong-type', 'an array', '[]', 'validation_failed', 'body'));
  cases.push(rawBody('wrong-type', 'the valid body in an array', `[${serialise(valid)}]`, 'validation_failed', 'body'));
  cases.push(rawBody('wrong-type', '5,000 nested arrays', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'validation_failed', 'body'));
  // Strict JSON bodies are objects or arrays: a bare value is not accepted as a body at all.
  for (const value of ['"a string"', '42', 'true', 'null']) cases.push(rawBody('wrong-type', `bare ${value}`, value, 'malformed_json'));
  return cases;
}

/** Malformed framing of a body: any endpoint that takes one answers before reading it. */
export function transportCases(bodyLimit: number): BadCase[] {
  const cases: BadCase[] = [];
  const send = (category: Category, name: string, change: Partial<RequestShape>, status: number, code: string): BadCase => ({
    category,
    name,
    mutate: (shape) => ({ ...shape, body: undefined, rawBody: undefined, chunks: undefined, ...change }),
    expect: { status, code },
  });
  const malformed: Array<[string, string | Buffer]> = [
    ['unterminated object', '{'],
    ['missing value', '{"a":}'],
    ['trailing comma', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['unterminated array', '[1,2'],
    ['truncated literal', 'nul'],
    ['trailing garbage', '{"a":1}garbage'],
    ['raw control character in a string', '{"a":"\u0001"}'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['JavaScript, not JSON', '{a: 1, b: function () {}}'],
  ];
  for (const [name, body] of malformed) cases.push(send('malformed-json', `malformed JSON: ${name}`, { rawBody: body }, 400, 'malformed_json'));
  const json = '{"a":1}';
  const types: Array<[string, string | null, string]> = [
    ['text/plain', 'text/plain', json],
    ['form-urlencoded', 'application/x-www-form-urlencoded', 'email=a%40b.c&password[$ne]=1'],
    ['multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
    ['XML', 'application/xml', '<a>1</a>'],
    ['no Content-Type', null, json],
    ['JSON in Latin-1', 'application/json; charset=iso-8859-1', json],
    ['a +json type', 'application/vnd.api+json', json],
  ];
  for (const [name, contentType, body] of types)
    cases.push(send('content-type', `Content-Type: ${name}`, { rawBody: body, contentType }, 415, 'unsupported_media_type'));

  const oversized = `{"a":"${'x'.repeat(bodyLimit)}"}`;
  cases.push(send('oversized-body', `${oversized.length} bytes with Content-Length`, { rawBody: oversized }, 413, 'payload_too_large'));
  cases.push({
    ...send('oversized-body', 'Content-Length claims 1 GB', { rawBody: json }, 413, 'payload_too_large'),
    mutate: (shape) => ({ ...shape, body: undefined, rawBody: json, headers: { ...shape.headers, 'Content-Length': String(1 << 30) } }),
  });
  const chunks = Array.from({ length: Math.ceil((bodyLimit + 8192) / 8192) }, (_, i) => Buffer.from(i === 0 ? `{"a":"${'x'.repeat(8186)}` : 'x'.repeat(8192)));
  cases.push(send('oversized-body', `${chunks.reduce((n, c) => n + c.length, 0)} bytes chunked (no Content-Length)`, { chunks }, 413, 'payload_too_large'));

  const encoded = (encoding: string) => ({ headers: { 'Content-Encoding': encoding } });
  cases.push({
    ...send('content-encoding', 'gzip that is not gzip', { rawBody: json }, 400, 'malformed_request'),
    mutate: (shape) => ({ ...shape, body: undefined, rawBody: json, headers: { ...shape.headers, ...encoded('gzip').headers } }),
  });
  const bomb = gzipSync(`{"a":"${' '.repeat(8 * 1024 * 1024)}"}`);
  cases.push({
    ...send('content-encoding', `gzip bomb (${bomb.length} bytes inflating to 8 MB)`, { rawBody: bomb }, 413, 'payload_too_large'),
    mutate: (shape) => ({ ...shape, body: undefined, rawBody: bomb, headers: { ...shape.headers, 'Content-Encoding': 'gzip' } }),
  });
  for (const encoding of ['zstd', 'compress']) {
    cases.push({
      ...send('content-encoding', `unsupported Content-Encoding ${encoding}`, { rawBody: json }, 415, 'unsupported_media_type'),
      mutate: (shape) => ({ ...shape, body: undefined, rawBody: json, headers: { ...shape.headers, 'Content-Encoding': encoding } }),
    });
  }
  return cases;
}

/** Invalid and unknown values for one path parameter. */
export function pathParamCases(name: string, valid: string, nonexistentStatus: number): BadCase[] {
  const invalid: Array<[string, string]> = [
    ['a word', 'not-an-id'],
    ['a number', '0'],
    ['23 hex digits', 'f'.repeat(23)],
    ['25 hex digits', 'f'.repeat(25)],
    ['24 non-hex letters', 'g'.repeat(24)],
    ['fullwidth look-alike', encodeURIComponent(fullwidth(valid))],
    ['Arabic-Indic digits', encodeURIComponent('٠'.repeat(24))],
    ['$gt', '%24gt'],
    ['{"$ne":null}', encodeURIComponent('{"$ne":null}')],
    ['$where', encodeURIComponent('$where')],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['prototype', 'prototype'],
    ['null', 'null'],
    ['NUL byte', '%00'],
    ['id + newline', `${valid}%0A`],
    ['leading space', `%20${valid}`],
    ['id + ;', `${valid}%3Bdrop`],
    ['4,000 characters', 'x'.repeat(4000)],
    ['encoded ../ traversal', '..%2F..%2F..%2Fpackage.json'],
    ['encoded ..', '%2e%2e'],
    ['HTML', encodeURIComponent('<script>alert(1)</script>')],
  ];
  const withParam = (value: string) => (shape: RequestShape) => ({ ...shape, params: { ...shape.params, [name]: value } });
  const cases: BadCase[] = invalid.map(([what, value]) => ({
    category: 'invalid-id',
    name: `path ${name}: ${what}`,
    mutate: withParam(value),
    expect: { status: 404, code: 'not_found' },
  }));
  cases.push({
    category: 'invalid-id',
    name: `path ${name}: broken percent-encoding`,
    mutate: withParam('%E0%A4%A'),
    expect: { status: 400, code: 'malformed_request' },
  });
  cases.push({
    category: 'nonexistent-id',
    name: `path ${name}: id of nothing`,
    mutate: withParam(newId()),
    expect: nonexistentStatus === 404 ? { status: 404, code: 'not_found' } : { status: nonexistentStatus },
  });
  return cases;
}

/** Bad values for the declared query parameters and keys no endpoint declares. */
export function queryCases(params: Array<{ name: string; schema?: JsonSchema }>): BadCase[] {
  const cases: BadCase[] = [];
  const replace = (name: string, value: string) => (shape: RequestShape) => {
    const kept = shape.query.split('&').filter((pair) => pair && pair.split('=')[0] !== name);
    return { ...shape, query: [...kept, `${name}=${value}`].join('&') };
  };
  const append = (extra: string) => (shape: RequestShape) => ({ ...shape, query: [shape.query, extra].filter(Boolean).join('&') });
  for (const { name, schema } of params) {
    const type = schema ? typeOf(schema) : undefined;
    const values: Array<[string, string]> = [];
    if (type === 'integer' || type === 'number') {
      values.push(
        ['a word', 'abc'],
        ['a fraction', '1.5'],
        ['empty', ''],
        ['hex', '0x10'],
        ['exponent', '1e1'],
        ['leading space', '%205'],
        ['plus sign', '%2B5'],
      );
      values.push(['400 digits', '9'.repeat(400)], ['fullwidth digits', encodeURIComponent('１０')], ['NUL', '%00'], ['newline', '10%0A']);
      if (schema?.minimum !== undefined) values.push([`${schema.minimum - 1} (min ${schema.minimum})`, String(schema.minimum - 1)]);
      if (schema?.maximum !== undefined) values.push([`${schema.maximum + 1} (max ${schema.maximum})`, String(schema.maximum + 1)]);
    } else {
      values.push(['unknown value', 'bogus'], ['empty', ''], ['NUL', '%00'], ['10,000 characters', 'x'.repeat(10_000)]);
      const first = schema?.enum?.[0];
      if (typeof first === 'string') values.push(['upper-cased', first.toUpperCase()], ['fullwidth', encodeURIComponent(fullwidth(first))]);
    }
    for (const [what, value] of values) {
      cases.push({
        category: 'query',
        name: `query ${name}: ${what}`,
        mutate: replace(name, value),
        expect: { status: 400, code: 'validation_failed', detailsPath: `query.${name}` },
      });
    }
    cases.push({
      category: 'query',
      name: `query ${name}: given twice`,
      mutate: append(`${name}=1&${name}=2`),
      expect: { status: 400, code: 'validation_failed', detailsPath: `query.${name}` },
    });
    for (const [category, what, pair] of [
      ['operator-injection', '[$gt]', `${name}[$gt]=1`],
      ['operator-injection', '[$ne]', `${name}[$ne]=`],
      ['prototype-pollution', '[__proto__]', `${name}[__proto__]=1`],
      ['query', '[] (array syntax)', `${name}[]=1`],
    ] as const) {
      cases.push({ category, name: `query ${name}${what}`, mutate: append(pair), expect: { status: 400, code: 'validation_failed', detailsPath: 'query' } });
    }
  }
  for (const [category, what, pair] of [
    ['operator-injection', 'page[$gt]', 'page[$gt]=1'],
    ['operator-injection', '$where', '$where=sleep(1000)'],
    ['operator-injection', 'email[$ne]', 'email[$ne]='],
    ['prototype-pollution', '__proto__', '__proto__=1'],
    ['prototype-pollution', '__proto__[polluted]', '__proto__[polluted]=1'],
    ['prototype-pollution', 'constructor[prototype][polluted]', 'constructor[prototype][polluted]=1'],
    ['prototype-pollution', 'prototype', 'prototype=1'],
    ['query', 'unknown key', 'unexpected=1'],
    ['query', 'broken percent-encoding in a key', '%E0%A4%A=1'],
    ['huge-string', '5,000-character key', `${'k'.repeat(5000)}=1`],
  ] as const) {
    cases.push({ category, name: `query: ${what}`, mutate: append(pair), expect: { status: 400, code: 'validation_failed', detailsPath: 'query' } });
  }
  return cases;
}

/** Query keys an endpoint without query parameters must ignore: they can reach no filter. */
export function ignoredQueryCase(expectStatus: number): BadCase {
  return {
    category: 'ignored-query',
    name: 'operators and prototype keys in a query the endpoint does not read',
    mutate: (shape) => ({
      ...shape,
      query: [shape.query, 'page[$gt]=1&$where=sleep(1000)&email[$ne]=&__proto__[polluted]=1&constructor[prototype][polluted]=1'].filter(Boolean).join('&'),
    }),
    expect: { status: expectStatus },
  };
}

/** A request line or headers larger than the 16 KB every process reads. */
export function hugeRequestCases(): BadCase[] {
  return [
    {
      category: 'huge-request',
      name: '20,000-character query string',
      mutate: (shape) => ({ ...shape, query: `q=${'x'.repeat(20_000)}` }),
      expect: { status: 431, code: 'headers_too_large' },
    },
    {
      category: 'huge-request',
      name: '20,000-character header',
      mutate: (shape) => ({ ...shape, headers: { ...shape.headers, 'X-Filler': 'x'.repeat(20_000) } }),
      expect: { status: 431, code: 'headers_too_large' },
    },
  ];
}

/** Values of a header parameter that break its documented pattern. */
export function headerCases(params: Array<{ name: string; schema?: JsonSchema }>): BadCase[] {
  const cases: BadCase[] = [];
  for (const { name, schema } of params) {
    if (!schema?.pattern) continue;
    const pattern = new RegExp(schema.pattern);
    const values: Array<[string, string]> = [
      ['empty', ''],
      ['1,000 characters', 'a'.repeat(1000)],
      ['a space', 'has space'],
      ['an operator object', '{"$ne":null}'],
      ['Latin-1', 'cl\u00e9'],
      ['a path', '../../etc/passwd'],
    ];
    for (const [what, value] of values.filter(([, v]) => !pattern.test(v))) {
      cases.push({
        category: 'headers',
        name: `header ${name}: ${what}`,
        mutate: (shape) => ({ ...shape, headers: { ...shape.headers, [name]: value } }),
        expect: { status: 400, code: 'validation_failed', detailsPath: 'headers' },
      });
    }
  }
  return cases;
}

/** Access tokens that must not be accepted, forged against the platform's own keys. */
export function credentialCases(keys: { privateKey: string; publicKey: string }, user: { id: string; email: string; role: string }): BadCase[] {
  const other = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const claims = { role: user.role, email: user.email };
  const unsubjected = { algorithm: 'RS256' as const, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, expiresIn: 300 };
  const options = { ...unsubjected, subject: user.id };
  const valid = jwt.sign(claims, keys.privateKey, options);
  const [head, payload, signature] = valid.split('.');
  const flipped = `${head}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ ...claims, sub: user.id, iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE, iat: now, exp: now + 300 })}`;
  const confused = `${unsigned}.${hs256(keys.publicKey, unsigned)}`;
  const headers: Array<[string, string]> = [
    ['no token after Bearer', 'Bearer'],
    ['blank token', 'Bearer    '],
    ['Basic scheme', 'Basic dXNlcjpwYXNz'],
    ['tampered signature', `Bearer ${flipped}`],
    [
      'payload swapped to admin',
      `Bearer ${head}.${encode({ ...claims, role: 'admin', sub: user.id, iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE, iat: now, exp: now + 300 })}.${signature}`,
    ],
    ['signed by another key', `Bearer ${jwt.sign(claims, other.privateKey, options)}`],
    ['alg none', `Bearer ${jwt.sign({ ...claims, sub: user.id, iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE }, '', { algorithm: 'none' })}`],
    ['HS256 with the public key as secret', `Bearer ${confused}`],
    [
      'expired',
      `Bearer ${jwt.sign({ ...claims, exp: now - 60 }, keys.privateKey, { algorithm: 'RS256', subject: user.id, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE })}`,
    ],
    ['not valid yet', `Bearer ${jwt.sign(claims, keys.privateKey, { ...options, notBefore: 3600 })}`],
    ['wrong issuer', `Bearer ${jwt.sign(claims, keys.privateKey, { ...options, issuer: 'someone-else' })}`],
    ['wrong audience', `Bearer ${jwt.sign(claims, keys.privateKey, { ...options, audience: 'another-api' })}`],
    ['unknown role', `Bearer ${jwt.sign({ ...claims, role: 'superadmin' }, keys.privateKey, options)}`],
    ['no subject', `Bearer ${jwt.sign(claims, keys.privateKey, unsubjected)}`],
    ['operator object as subject', `Bearer ${jwt.sign({ ...claims, sub: { $ne: null } }, keys.privateKey, unsubjected)}`],
    ['8,000-character token', `Bearer ${'a'.repeat(8000)}`],
    ['operator object as token', 'Bearer {"$ne":null}'],
    ['two tokens', `Bearer ${valid}, Bearer ${valid}`],
  ];
  return headers.map(([what, value]) => ({
    category: 'credentials' as const,
    name: `Authorization: ${what}`,
    mutate: (shape: RequestShape) => ({ ...shape, token: undefined, headers: { ...shape.headers, Authorization: value } }),
    // A genuine token past its lifetime has its own code, so apps refresh rather than sign in again.
    expect: { status: 401, code: what === 'expired' ? 'token_expired' : 'unauthorized' },
  }));
}

/** jsonwebtoken refuses to sign HS256 with a PEM public key, which is the point of the attack: sign by hand. */
function hs256(secret: string, input: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}
