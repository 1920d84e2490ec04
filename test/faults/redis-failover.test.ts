import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { concertKeys } from '../../lib/inventory/inventory-keys.js';
import { openRedis } from '../../lib/redis.js';
import { infoField, type RedisSentinelSet } from '../../scripts/stack/servers.js';
import { adminToken } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { killPrimaryAndAwaitPromotion, node, partitionReplica, pollUntil, startSentinelServers, type SentinelServers } from './support/failover.js';
import { loggedEntries } from './support/service-logs.js';
import { runStormWithFault, writeReliabilityReport, type FaultContext, type FaultWindow } from './support/storm.js';

/** Booking jobs completed (their fans answered) on the primary and not on the lagging replica, before the primary dies. */
const ANSWERED_WHILE_LAGGING = 20;
/** A key written on the primary once the replica lags: acknowledged, never replicated. */
const PROBE_KEY = '{failover-probe}:acknowledged';

let sentinelSet: SentinelServers;
let servers: RedisSentinelSet;
let platform: TestPlatform;
let admin: string;

before(async () => {
  sentinelSet = await startSentinelServers('faults-redis-failover');
  servers = sentinelSet.servers;
  // Short locks, as in redis-restart-aof: jobs whose completion the promoted replica never saw are retried within seconds.
  platform = await startTestPlatform('faults-redis-failover', {
    redisUrl: servers.url,
    serviceEnv: { 'booking-worker': { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' } },
  });
  admin = await adminToken(platform);
});

after(async () => {
  await platform?.stop();
  await sentinelSet?.stop();
});

/** What one node holds of the storm: completed booking jobs, the concert's holders, its replication offset. */
async function holdings(redis: Redis, ctx: FaultContext) {
  const [completed, holders, info] = await Promise.all([
    redis.zcard(ctx.queue.toKey('completed')),
    redis.hlen(concertKeys(ctx.concertId).holders),
    redis.info('replication'),
  ]);
  const role = infoField(info, 'role');
  return { completed, holders, replOffset: Number(infoField(info, role === 'master' ? 'master_repl_offset' : 'slave_repl_offset')) };
}

interface FailoverFacts {
  primaryRunId: string;
  replicaRunId: string;
  promotedRunId: string;
  probeOnPrimary: string | null;
  probeOnPromoted: string | null;
  replicasAckedProbe: number;
  primaryAtKill: Awaited<ReturnType<typeof holdings>>;
  replicaAtKill: Awaited<ReturnType<typeof holdings>>;
  promotedAtOffset: number;
  lagMs: number;
  promotedAfterMs: number;
  /** When the promoted replica reported role:master (ms since epoch). */
  promotedAt: number;
}
let facts: FailoverFacts | undefined;

/**
 * The replica stops receiving the primary's writes (its `masterauth` is changed and
 * its link to the primary cut, so it cannot sync again: a partition between the two
 * while clients still reach the primary), the primary goes on acknowledging writes
 * until ANSWERED_WHILE_LAGGING more booking jobs are completed, then is SIGKILLed; the
 * sentinel promotes the replica, which lacks everything since the cut.
 */
async function failOverWhileLagging(ctx: FaultContext): Promise<FaultWindow> {
  const primary = node(servers.primary.url);
  const replica = node(servers.replica.url);
  try {
    const [primaryRunId, replicaRunId] = await Promise.all([primary.info('server'), replica.info('server')]).then((infos) =>
      infos.map((i) => infoField(i, 'run_id') ?? ''),
    );
    const startedAt = Date.now();
    await partitionReplica(primary, replica);
    const confirmedAtCut = await ctx.confirmedCount();
    // Acknowledged by the primary; WAIT says no replica has it.
    const probe = randomUUID();
    assert.equal(await primary.set(PROBE_KEY, probe), 'OK');
    const replicasAckedProbe = await primary.wait(1, 100);
    // The replica receives nothing more: what it has completed now is what it will have when promoted.
    const completedOnReplica = await replica.zcard(ctx.queue.toKey('completed'));
    await pollUntil(
      `${ANSWERED_WHILE_LAGGING} more booking jobs completed on the primary while the replica lags`,
      async () => ((await primary.zcard(ctx.queue.toKey('completed'))) >= completedOnReplica + ANSWERED_WHILE_LAGGING ? true : undefined),
      // Sentinel promotes no replica whose link has been down longer than 10 × down-after (10 s here).
      8_000,
    );
    const [primaryAtKill, replicaAtKill, probeOnPrimary] = await Promise.all([holdings(primary, ctx), holdings(replica, ctx), primary.get(PROBE_KEY)]);
    const killedAt = Date.now();
    const info = await killPrimaryAndAwaitPromotion(servers);
    const endedAt = Date.now();
    const promoted = node(servers.replica.url);
    try {
      const promotedRunId = infoField(await promoted.info('server'), 'run_id') ?? '';
      const probeOnPromoted = await promoted.get(PROBE_KEY);
      facts = {
        primaryRunId,
        replicaRunId,
        promotedRunId,
        probeOnPrimary,
        probeOnPromoted,
        replicasAckedProbe,
        primaryAtKill,
        replicaAtKill,
        // second_repl_offset: the offset the promoted replica had when it became primary, plus one.
        promotedAtOffset: Number(infoField(info, 'second_repl_offset')) - 1,
        lagMs: killedAt - startedAt,
        promotedAfterMs: endedAt - killedAt,
        promotedAt: endedAt,
      };
      return {
        startedAt,
        endedAt,
        details: {
          ...facts,
          confirmedInMongoAtCut: confirmedAtCut,
          lostCompletedJobs: primaryAtKill.completed - replicaAtKill.completed,
          lostHolders: primaryAtKill.holders - replicaAtKill.holders,
          lostReplicationBytes: primaryAtKill.replOffset - replicaAtKill.replOffset,
          endedWhen: 'the sentinel named the replica primary and it reported role:master',
        },
      };
    } finally {
      promoted.disconnect();
    }
  } finally {
    primary.disconnect();
    replica.disconnect();
  }
}

test('redis-failover: the primary is SIGKILLed while its replica lags, Sentinel promotes the replica, every client follows, and every request still has exactly one final answer', async () => {
  const { report, problems, concertId } = await runStormWithFault({
    name: 'redis-failover',
    fault: `once 30 bookings are confirmed the replica stops receiving the primary's writes (a partition: its replication link cut and its masterauth changed so it cannot sync again) while the primary goes on acknowledging writes until ${ANSWERED_WHILE_LAGGING} more booking jobs are completed (their fans answered); then the primary is SIGKILLed and Sentinel (quorum 1, down-after 1 s) promotes the replica, which lacks every write since the cut: decisions, request statuses, job completions and holders the fans were already told about`,
    platform,
    admin,
    injectFault: failOverWhileLagging,
  });
  assert.ok(facts, 'the fault ran');
  const killedAt = facts.promotedAt - facts.promotedAfterMs;
  const rebuilt = ['booking-worker', 'booking', 'concert'].flatMap((service) =>
    loggedEntries(platform, service, 'inventory rebuilt from MongoDB').filter((e) => e.concertId === concertId && Date.parse(String(e.time)) >= killedAt),
  );
  const repaired = loggedEntries(platform, 'booking', 'reconciler repaired Redis from the record');
  const reconciled = (field: string) => repaired.reduce((n, e) => n + Number(e[field] ?? 0), 0);
  const redis = openRedis(platform.redisUrl);
  redis.on('error', () => undefined);
  let metaRunId: string | null;
  let clients: Array<{ name: string; subscriptions: number }>;
  try {
    metaRunId = await redis.hget(concertKeys(concertId).meta, 'runId');
    // Who is connected to the promoted replica now (through Sentinel): every process's connections.
    clients = String(await redis.call('CLIENT', 'LIST'))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const field = (f: string) => new RegExp(`(?:^| )${f}=(\\S*)`).exec(line)?.[1] ?? '';
        return { name: field('name'), subscriptions: Number(field('sub') || 0) + Number(field('psub') || 0) + Number(field('ssub') || 0) };
      });
  } finally {
    redis.disconnect();
  }
  writeReliabilityReport({
    ...report,
    definitions: {
      ...report.definitions,
      recoverMs: 'from the promoted replica reporting role:master to the next booking confirmed to a fan',
      lostCompletedJobs: 'booking jobs completed on the primary (their fans answered) that the promoted replica still had as not completed',
      lostHolders: 'holders of the concert in the primary that the promoted replica lacked (their bookings are in MongoDB)',
      lostReplicationBytes: "the primary's replication offset at the kill minus the replica's: writes acknowledged and never replicated",
      requeuedByBookingService: 'accepted requests the reconciler queued again because their job was gone from Redis',
      emailsQueuedByReconciler: 'confirmation and cancellation emails the reconciler queued again because their job was gone',
      statusesRewritten: 'request statuses the booking service wrote back (queued, or a rejection already given)',
      clientsOnPromoted: 'connections on the promoted replica after the storm: their names, and the subscribers among them (the sentinel’s own left out)',
      inventoryRebuilds: "times a process rebuilt this concert's stock and holders from MongoDB (the promoted replica's run_id differs from the primary's)",
    },
    inventoryRebuilds: rebuilt.length,
    requeuedByBookingService: reconciled('requeued'),
    emailsQueuedByReconciler: reconciled('emailsQueued'),
    clientsOnPromoted: {
      named: [...new Set(clients.map((c) => c.name).filter(Boolean))].sort(),
      subscribers: clients.filter((c) => c.subscriptions > 0 && !c.name.startsWith('sentinel-')).length,
      total: clients.length,
    },
  });
  // Every process followed the new primary: its named connections and its subscribers are on it.
  const names = new Set(clients.map((c) => c.name));
  for (const name of [
    'auth',
    'booking',
    'booking-socket-pub',
    'booking-queue-events',
    'booking-worker',
    'booking-worker-queue',
    'concert',
    'notification-worker',
    'waiting-room',
  ])
    assert.ok(names.has(name), `the ${name} connection is on the promoted replica (connected: ${[...names].join(', ')})`);
  assert.ok(
    [...names].some((n) => n.startsWith('{bookings}:')),
    "the booking worker's blocking BullMQ connection (a duplicate()) is on the promoted replica",
  );
  // revoked-users in five services and the booking service's Socket.IO subscriber (not the sentinel's own).
  const subscribers = clients.filter((c) => c.subscriptions > 0 && !c.name.startsWith('sentinel-')).length;
  assert.ok(subscribers >= 6, `every subscriber re-subscribed on the promoted replica (${subscribers})`);

  // The promoted replica really was behind: an acknowledged write is missing, and so are decisions.
  assert.ok(facts.probeOnPrimary, 'the probe was on the primary when it was killed');
  assert.equal(facts.probeOnPromoted, null, 'a key the primary acknowledged after the cut is missing on the promoted replica');
  assert.equal(facts.replicasAckedProbe, 0, 'no replica acknowledged the probe (WAIT 1)');
  assert.ok(
    facts.promotedAtOffset < facts.primaryAtKill.replOffset,
    `the replica was promoted at offset ${facts.promotedAtOffset}, behind the primary's ${facts.primaryAtKill.replOffset}`,
  );
  assert.ok(
    facts.primaryAtKill.completed > facts.replicaAtKill.completed,
    `booking jobs completed on the primary are missing on the replica (${facts.primaryAtKill.completed} against ${facts.replicaAtKill.completed})`,
  );
  // The run_id check: the promoted replica keeps its own run_id, so keys the primary loaded look stale and are rebuilt.
  assert.notEqual(facts.replicaRunId, facts.primaryRunId, 'the replica has a run_id of its own');
  assert.equal(facts.promotedRunId, facts.replicaRunId, 'a promoted replica keeps its run_id');
  assert.ok(rebuilt.length >= 1, 'the concert was rebuilt from MongoDB after the primary died');
  assert.equal(metaRunId, facts.promotedRunId, "the concert's keys were last loaded on the promoted replica");

  assert.deepEqual(problems, []);
});
