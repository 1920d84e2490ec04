import type http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server, type DefaultEventsMap } from 'socket.io';
import type { AccessTokenVerifier } from '../../lib/auth-middleware.js';
import { clientAddressOf } from '../../lib/client-address-proof.js';
import { rateLimitKeyOfIp } from '../../lib/client-ip.js';
import type { AuthenticatedUser } from '../../lib/request-context.js';
import { AppError } from '../../lib/errors.js';
import { concertRoom, fanRoom } from '../../lib/booking-requests.js';
import type { Logger } from '../../lib/logger.js';
import type { RevokedUsers } from '../../lib/revoked-users.js';
import { lineRoom, PRESENCE_HEARTBEAT_MS, waitingRoomKeys } from '../../lib/waiting-room-keys.js';

/** What a socket carries once its handshake is authenticated. */
interface SocketData {
  user: AuthenticatedUser;
  /** the client's address as the per-IP limits count it (rateLimitKeyOfIp) */
  clientIp: string;
}

/** What the node needs to know about the waiting-room lines fans watch. */
export interface LineWatchOptions {
  /** True when the concert has an enabled waiting room taking fans (watching anything else is ignored). */
  isOpen: (concertId: string) => Promise<boolean>;
  /** (line, account) watches the sockets of one client IP may hold at once on this node (WAITING_ROOM_WATCHES_PER_IP) */
  watchesPerIp: number;
  /** CLIENT_ADDRESS_SECRET: the gateway signs the client address of the handshake with it */
  clientAddressSecret: string | undefined;
}

/**
 * Abuse bounds of one socket (issue 15: 1,500 watch events with random concert ids
 * made 300 Redis writes a second for as long as the socket stayed open). A page
 * watches one line; a few more covers tabs sharing a connection.
 */
export const SOCKET_LIMITS = {
  /** lines one socket may watch at once; further watches are ignored */
  linesPerSocket: 3,
  /** lines one account may watch at once on this node, over all its sockets */
  linesPerAccount: 6,
  /** events a socket may send in a burst, refilled at eventsPerSecond; beyond it events are dropped */
  eventBurst: 20,
  eventsPerSecond: 2,
  /** events dropped before the socket is closed as abusive */
  droppedBeforeDisconnect: 100,
};

/**
 * A Socket.IO node. Fans authenticate with their access token and join a private
 * room; the Redis adapter delivers events raised by any node or emitter (the
 * booking workers) to the node the fan is connected to. A revoked user's token is
 * refused at the handshake, and the sockets the user already has are closed.
 */
export function attachRealtime(
  server: http.Server,
  pub: Redis,
  sub: Redis,
  auth: { tokens: AccessTokenVerifier; revokedUsers: Pick<RevokedUsers, 'onRevoked'> },
  corsOrigins: string[],
  logger: Logger,
  lines: LineWatchOptions,
) {
  const io = new Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>(server, {
    path: '/socket.io',
    adapter: createAdapter(pub, sub),
    cors: corsOrigins.length ? { origin: corsOrigins } : undefined,
    serveClient: false,
  });
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    try {
      if (typeof token !== 'string') throw new Error('missing token');
      socket.data.user = auth.tokens.verify(token);
      // Many accounts behind one address must not watch (and keep places alive) without bound: counted per client IP.
      socket.data.clientIp = rateLimitKeyOfIp(clientAddressOf(lines.clientAddressSecret, socket.handshake.headers, socket.handshake.address) ?? 'unknown');
      next();
    } catch (err) {
      // The error code as the message: an expired token tells the app to refresh and reconnect.
      next(new Error(err instanceof AppError && err.code === 'token_expired' ? 'token_expired' : 'unauthorized'));
    }
  });
  // Every node learns of each revocation itself, so each closes only its own sockets.
  auth.revokedUsers.onRevoked((userId) => io.local.in(fanRoom(userId)).disconnectSockets(true));
  const presence = createLinePresence(pub, logger);
  io.on('connection', (socket) => {
    void socket.join(fanRoom(socket.data.user.id));
    const { clientIp } = socket.data;
    const fanId = socket.data.user.id;
    // Token bucket per socket: a flood of events is dropped in memory, before any Redis or MongoDB work.
    let tokens = SOCKET_LIMITS.eventBurst;
    let refilledAt = Date.now();
    let dropped = 0;
    const allowed = () => {
      const now = Date.now();
      tokens = Math.min(SOCKET_LIMITS.eventBurst, tokens + ((now - refilledAt) / 1000) * SOCKET_LIMITS.eventsPerSecond);
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      if (++dropped >= SOCKET_LIMITS.droppedBeforeDisconnect) {
        logger.warn({ userId: fanId }, 'socket closed: too many events');
        socket.disconnect(true);
      }
      return false;
    };
    const roomForAnotherWatch = () =>
      presence.linesOfSocket(socket.id) < SOCKET_LIMITS.linesPerSocket &&
      presence.linesOfFan(fanId) < SOCKET_LIMITS.linesPerAccount &&
      presence.watchesOfIp(clientIp) < lines.watchesPerIp;
    socket.on('concert:watch', (concertId: unknown) => {
      if (!allowed()) return;
      if (typeof concertId === 'string' && /^[a-f0-9]{24}$/.test(concertId)) void socket.join(concertRoom(concertId));
    });
    socket.on('concert:unwatch', (concertId: unknown) => {
      if (typeof concertId === 'string') void socket.leave(concertRoom(concertId));
    });
    socket.on('waiting-room:watch', (payload: unknown) => {
      if (!allowed()) return;
      const concertId = (payload as { concertId?: unknown } | null)?.concertId;
      if (typeof concertId !== 'string' || !/^[a-f0-9]{24}$/.test(concertId) || !roomForAnotherWatch()) return;
      lines
        .isOpen(concertId)
        .then((open) => {
          // Checked again: watches sent together all passed the check above before any was answered.
          if (!open || !socket.connected || !roomForAnotherWatch()) return;
          void socket.join(lineRoom(concertId));
          presence.watch(concertId, fanId, socket.id, clientIp);
        })
        .catch((err) => logger.warn({ err, concertId }, 'waiting-room watch not checked'));
    });
    socket.on('waiting-room:unwatch', (payload: unknown) => {
      const concertId = (payload as { concertId?: unknown } | null)?.concertId;
      if (typeof concertId !== 'string') return;
      void socket.leave(lineRoom(concertId));
      presence.unwatch(concertId, fanId, socket.id);
    });
    socket.on('disconnect', () => presence.forget(socket.id));
  });
  server.on('close', () => presence.stop());
  logger.debug('socket.io attached');
  return io;
}

/**
 * Signs of life of fans waiting in a line with a socket open: refreshed for all
 * of this node's watchers in one command per concert every heartbeat, so the
 * waiting room can tell an open tab from an abandoned place. Only fans still
 * waiting are touched (ZADD XX): an admitted or dropped fan is not brought back.
 */
function createLinePresence(redis: Redis, logger: Logger) {
  /** concertId -> fanId -> socket ids */
  const watchers = new Map<string, Map<string, Set<string>>>();
  /** socketId -> `${concertId}|${fanId}` watched through it */
  const bySocket = new Map<string, Set<string>>();
  /** client IP -> `${concertId}|${fanId}` -> how many of the IP's sockets watch it */
  const byIp = new Map<string, Map<string, number>>();
  const ipOfSocket = new Map<string, string>();

  const touch = (concertId: string, fanIds: string[]) =>
    fanIds.length ? redis.zadd(waitingRoomKeys(concertId).seen, 'XX', ...fanIds.flatMap((fanId) => [Date.now(), fanId])) : Promise.resolve();

  const timer = setInterval(() => {
    for (const [concertId, fans] of watchers) {
      touch(concertId, [...fans.keys()]).catch((err) => logger.warn({ err, concertId }, 'waiting-room presence not written'));
    }
  }, PRESENCE_HEARTBEAT_MS);
  timer.unref();

  const unwatch = (concertId: string, fanId: string, socketId: string) => {
    const fans = watchers.get(concertId);
    const sockets = fans?.get(fanId);
    sockets?.delete(socketId);
    if (sockets?.size === 0) fans!.delete(fanId);
    if (fans?.size === 0) watchers.delete(concertId);
    const entry = `${concertId}|${fanId}`;
    if (!bySocket.get(socketId)?.delete(entry)) return;
    const ip = ipOfSocket.get(socketId)!;
    const watches = byIp.get(ip)!;
    const left = watches.get(entry)! - 1;
    if (left > 0) watches.set(entry, left);
    else watches.delete(entry);
    if (watches.size === 0) byIp.delete(ip);
  };

  return {
    linesOfSocket: (socketId: string) => bySocket.get(socketId)?.size ?? 0,
    linesOfFan(fanId: string) {
      let lines = 0;
      for (const fans of watchers.values()) if (fans.has(fanId)) lines++;
      return lines;
    },
    /** distinct (line, account) pairs the sockets of one client IP watch */
    watchesOfIp: (ip: string) => byIp.get(ip)?.size ?? 0,
    watch(concertId: string, fanId: string, socketId: string, ip: string) {
      let fans = watchers.get(concertId);
      if (!fans) watchers.set(concertId, (fans = new Map<string, Set<string>>()));
      let sockets = fans.get(fanId);
      if (!sockets) fans.set(fanId, (sockets = new Set()));
      sockets.add(socketId);
      let watched = bySocket.get(socketId);
      if (!watched) bySocket.set(socketId, (watched = new Set()));
      const entry = `${concertId}|${fanId}`;
      if (!watched.has(entry)) {
        watched.add(entry);
        ipOfSocket.set(socketId, ip);
        let watches = byIp.get(ip);
        if (!watches) byIp.set(ip, (watches = new Map<string, number>()));
        watches.set(entry, (watches.get(entry) ?? 0) + 1);
      }
      touch(concertId, [fanId]).catch((err) => logger.warn({ err, concertId }, 'waiting-room presence not written'));
    },
    unwatch,
    forget(socketId: string) {
      for (const entry of bySocket.get(socketId) ?? []) {
        const [concertId, fanId] = entry.split('|');
        unwatch(concertId, fanId, socketId);
      }
      bySocket.delete(socketId);
      ipOfSocket.delete(socketId);
    },
    stop: () => clearInterval(timer),
  };
}
