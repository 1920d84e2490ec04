import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import client from 'prom-client';
import { createConcertLabels, OTHER_CONCERT, perConcert, type LabelledConcert } from './concert-labels.js';

const id = (n: number) => n.toString(16).padStart(24, '0');
const hour = 3600_000;

describe('concert labels', () => {
  test('at most `max` concerts get their own label, the rest share `other`; a started concert leaves and never comes back', async () => {
    const catalogue: LabelledConcert[] = [1, 2, 3].map((n) => ({ id: id(n), name: `Show ${n}`, startsAt: new Date(Date.now() + n * hour) }));
    const registry = new client.Registry();
    const labels = createConcertLabels(
      registry,
      {
        onSale: (since, limit) => Promise.resolve(catalogue.filter((c) => c.startsAt >= since).slice(0, limit)),
        byIds: (ids) => Promise.resolve(catalogue.filter((c) => ids.includes(c.id))),
      },
      { max: 2, keepAfterStartMs: 0 },
    );
    const counter = new client.Counter({ name: 'x_total', help: 'x', labelNames: ['concert'], registers: [registry] });
    const made: string[] = [];
    const inc = perConcert(
      labels,
      (concert) => (made.push(concert), counter.labels({ concert })),
      (concert) => counter.remove({ concert }),
    );
    await labels.refresh();
    assert.deepEqual(labels.labels().sort(), [id(1), id(2), OTHER_CONCERT].sort(), 'the two soonest on sale');
    assert.ok(made.includes(id(1)) && made.includes(id(2)), 'their series are made before any booking');
    inc(id(3)).inc();
    inc(id(99)).inc();
    const values = async (): Promise<Record<string, number>> =>
      Object.fromEntries((await counter.get()).values.map((v) => [String(v.labels.concert), v.value]));
    assert.equal((await values())[OTHER_CONCERT], 2, 'beyond the cap: other');

    catalogue[0].startsAt = new Date(Date.now() - 1000);
    await labels.refresh();
    assert.ok(!labels.labels().includes(id(1)), 'a started concert leaves the set');
    assert.ok(labels.labels().includes(id(3)), 'its slot goes to the next on sale');
    assert.equal(labels.of(id(1)), OTHER_CONCERT, 'late traffic of a past concert does not bring it back');
    assert.ok(!(await values())[id(1)], 'its series are gone');

    const info = (await registry.getSingleMetric('concert_info')!.get()).values.map((v) => `${v.labels.concert}=${v.labels.name}`);
    assert.deepEqual(info.sort(), [`${id(2)}=Show 2`, `${id(3)}=Show 3`, `${OTHER_CONCERT}=Other concerts`].sort());
    labels.close();
  });
});
