import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import newman, { type NewmanRunSummary } from 'newman';
import type { CollectionDefinition, VariableScopeDefinition } from 'postman-collection';
import { buildCollection, buildEnvironment, COLLECTION_FILE, ENVIRONMENT_FILE, serialise } from '../../postman/build-collection.js';
import { buildOpenApiDocument } from '../../services/gateway/openapi-document.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

function runNewman(baseUrl: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        // The files postman/build-collection.ts writes, in Postman's format.
        collection: JSON.parse(readFileSync(COLLECTION_FILE, 'utf8')) as CollectionDefinition,
        environment: JSON.parse(readFileSync(ENVIRONMENT_FILE, 'utf8')) as VariableScopeDefinition,
        envVar: [{ key: 'baseUrl', value: baseUrl }],
        reporters: ['cli'],
        reporter: { cli: { noAssertions: false, noSummary: false } },
        timeoutRequest: 60_000,
      },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    );
  });
}

/** Every request of the collection, by name. */
function requestNames(collection: ReturnType<typeof buildCollection>): string[] {
  return collection.item.flatMap((folder) => folder.item.map((r) => r.name));
}

describe('the Postman collection', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform('api-contract-postman');
  });
  after(async () => {
    await platform?.stop();
  });

  test('the committed collection and environment are what postman/build-collection.ts generates', () => {
    const regenerate = 'stale: run node --import tsx postman/build-collection.ts';
    assert.ok(readFileSync(COLLECTION_FILE, 'utf8') === serialise(buildCollection()), `${COLLECTION_FILE} is ${regenerate}`);
    assert.ok(readFileSync(ENVIRONMENT_FILE, 'utf8') === serialise(buildEnvironment()), `${ENVIRONMENT_FILE} is ${regenerate}`);
  });

  test('runs top to bottom on a fresh stack with newman, every assertion passing', async () => {
    const started = Date.now();
    const summary = await runNewman(platform.gatewayUrl);
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? '(collection)'}: ${f.error?.name} ${f.error?.message}`);
    assert.deepEqual(failures, [], 'newman failures');
    assert.ok(!(summary.run as { error?: unknown }).error, 'newman run error');

    const executed = new Set(summary.run.executions.map((e) => e.item.name));
    const skipped = requestNames(buildCollection()).filter((name) => !executed.has(name));
    assert.deepEqual(skipped, [], 'requests that never ran');

    const { assertions, requests } = summary.run.stats;
    assert.ok(requests.total !== undefined && requests.total >= executed.size, 'every request was sent');
    assert.equal(requests.failed, 0);
    // Each response gets its own checks plus the collection-level ones (request id, contract).
    assert.ok((assertions.total ?? 0) >= executed.size * 3, `only ${assertions.total} assertions for ${executed.size} requests`);
    assert.equal(assertions.failed, 0);
    const contractChecks = summary.run.executions.flatMap((e) => e.assertions ?? []).filter((a) => a.assertion.startsWith('[contract]'));
    assert.ok(contractChecks.length >= 40, `only ${contractChecks.length} responses were checked against the OpenAPI document`);

    // Every documented operation is exercised by the collection at least once.
    const spec = buildOpenApiDocument();
    const operations = Object.entries(spec.paths ?? {}).flatMap(([template, item]) =>
      Object.entries(item as Record<string, { operationId: string }>).map(([method, op]) => ({
        method: method.toUpperCase(),
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        operationId: op.operationId,
      })),
    );
    const exercised = new Set(
      summary.run.executions.flatMap((e) => {
        const requestPath = `/${e.request.url.path?.join('/') ?? ''}`;
        return operations.filter((op) => op.method === e.request.method && op.pattern.test(requestPath)).map((op) => op.operationId);
      }),
    );
    const unexercised = operations.map((op) => op.operationId).filter((id) => !exercised.has(id));
    assert.deepEqual(unexercised, [], 'documented operations the collection never calls');

    console.log(
      `newman: ${executed.size} requests (${requests.total} sent), ${assertions.total} assertions, ${contractChecks.length} contract checks in ${Date.now() - started} ms`,
    );
  });
});
