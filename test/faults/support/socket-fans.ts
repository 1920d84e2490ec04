import { io as connect, type Socket } from 'socket.io-client';
import type { Fan } from '../../support/fans.js';
import type { ApiClient } from '../../support/test-platform.js';
import type { AnswerBook, StormRequest } from './answers.js';

/**
 * Fans with a Socket.IO connection through the gateway, behaving like the
 * documented client (docs/USAGE.md): the result comes as `booking:result`; after
 * a reconnect, a fan whose request is still open asks for it over REST, because
 * events raised while the socket was down are not replayed.
 */
export class SocketFans {
  disconnects = 0;
  reconnects = 0;
  /** booking:result events received, whatever they said. */
  events = 0;
  private readonly sockets: Socket[] = [];
  private readonly requestOfFan = new Map<string, StormRequest>();

  private constructor(
    private readonly api: ApiClient,
    private readonly book: AnswerBook,
  ) {}

  static async connect(gatewayUrl: string, api: ApiClient, fans: Fan[], book: AnswerBook): Promise<SocketFans> {
    const group = new SocketFans(api, book);
    for (let i = 0; i < fans.length; i += 100) await Promise.all(fans.slice(i, i + 100).map((fan) => group.open(gatewayUrl, fan)));
    return group;
  }

  /** The request a fan submitted, so a reconnect knows what to ask for. */
  submitted(fanId: string, request: StormRequest) {
    this.requestOfFan.set(fanId, request);
  }

  get connected() {
    return this.sockets.filter((s) => s.connected).length;
  }

  close() {
    for (const socket of this.sockets) socket.close();
  }

  private open(gatewayUrl: string, fan: Fan): Promise<void> {
    const socket = connect(gatewayUrl, {
      path: '/socket.io',
      auth: { token: fan.token },
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
    });
    this.sockets.push(socket);
    socket.on('booking:result', (event: { requestId: string; status: 'confirmed' | 'rejected'; reason?: string; booking?: { id: string } }) => {
      this.events++;
      this.book.record(event.requestId, { status: event.status, reason: event.reason, bookingId: event.booking?.id, via: 'socket' });
    });
    socket.on('disconnect', () => this.disconnects++);
    socket.io.on('reconnect', () => {
      this.reconnects++;
      void this.catchUp(fan.id);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socket of fan ${fan.id} not connected after 30 s`)), 30_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** After a reconnect: the request's answer may have been raised while the socket was down. */
  private async catchUp(fanId: string) {
    const request = this.requestOfFan.get(fanId);
    for (let tries = 0; request && !this.book.first.has(request.requestId) && tries < 10; tries++) {
      const answered = await this.book.read(this.api, request, 'rest-after-reconnect');
      if (answered) return;
      // Still queued (it will come as an event) or the API not back yet: look again shortly.
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
