import type { GatewayConfig } from './gateway.config.js';

export interface UpstreamRoute {
  prefix: string;
  target: string;
  name: string;
}

/** Public path prefixes and the service that owns each; the first match wins. */
export function upstreamRoutes(config: GatewayConfig): UpstreamRoute[] {
  return [
    { prefix: '/api/v1/auth', target: config.AUTH_URL, name: 'auth' },
    { prefix: '/api/v1/concerts', target: config.CONCERT_URL, name: 'concert' },
    // The operator console: its page and its chart data.
    { prefix: '/api/v1/admin', target: config.CONCERT_URL, name: 'concert' },
    { prefix: '/admin', target: config.CONCERT_URL, name: 'concert' },
    { prefix: '/api/v1/bookings', target: config.BOOKING_URL, name: 'booking' },
    { prefix: '/api/v1/waiting-lists', target: config.BOOKING_URL, name: 'booking' },
    { prefix: '/api/v1/notifications', target: config.NOTIFICATION_URL, name: 'notification' },
    { prefix: '/api/v1/waiting-room', target: config.WAITING_ROOM_URL, name: 'waiting-room' },
    { prefix: '/waiting-room', target: config.WAITING_ROOM_URL, name: 'waiting-room' },
    { prefix: '/socket.io', target: config.REALTIME_URL, name: 'realtime' },
  ];
}

export function matchRoute(routes: UpstreamRoute[], url: string): UpstreamRoute | undefined {
  const path = url.split('?', 1)[0];
  return routes.find((r) => path === r.prefix || path.startsWith(`${r.prefix}/`));
}
