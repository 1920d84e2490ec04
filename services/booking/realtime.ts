import type http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { verifyAccessToken } from '../../lib/auth-middleware.js';
import { concertRoom, fanRoom } from '../../lib/booking-requests.js';
import type { Logger } from '../../lib/logger.js';

/**
 * A Socket.IO node. Fans authenticate with their access token and join a private
 * room; the Redis adapter delivers events raised by any node or emitter (the
 * booking workers) to the node the fan is connected to.
 */
export function attachRealtime(server: http.Server, pub: Redis, sub: Redis, publicKey: string, corsOrigins: string[], logger: Logger) {
  const io = new Server(server, {
    path: '/socket.io',
    adapter: createAdapter(pub, sub),
    cors: corsOrigins.length ? { origin: corsOrigins } : undefined,
    serveClient: false,
  });
  io.use((socket, next) => {
    const token = socket.handshake.auth?.token;
    try {
      if (typeof token !== 'string') throw new Error('missing token');
      socket.data.user = verifyAccessToken(token, publicKey);
      next();
    } catch {
      next(new Error('unauthorized'));
    }
  });
  io.on('connection', (socket) => {
    void socket.join(fanRoom(socket.data.user.id));
    socket.on('concert:watch', (concertId: unknown) => {
      if (typeof concertId === 'string' && /^[a-f0-9]{24}$/.test(concertId)) void socket.join(concertRoom(concertId));
    });
    socket.on('concert:unwatch', (concertId: unknown) => {
      if (typeof concertId === 'string') void socket.leave(concertRoom(concertId));
    });
  });
  logger.debug('socket.io attached');
  return io;
}
