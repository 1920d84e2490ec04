import client, { type Registry } from 'prom-client';
import type { Server } from 'socket.io';

/** `socketio_connections`: sockets open on this node, read when Prometheus scrapes. */
export function registerRealtimeMetrics(registry: Registry, io: () => Server | undefined) {
  new client.Gauge({
    name: 'socketio_connections',
    help: 'Socket.IO connections open on this node',
    registers: [registry],
    collect() {
      this.set(io()?.engine.clientsCount ?? 0);
    },
  });
}
