// Socket.IO over k6/websockets: k6 has no Socket.IO client, so this speaks
// Engine.IO v4 framing by hand: "0{…}" open, "40{…}" namespace connect (with
// our auth), "2"/"3" ping/pong, "42[event, payload]" events, "44{…}" refusal.
import { WebSocket } from 'k6/websockets';

/**
 * Opens a Socket.IO connection authenticated with `token` and calls
 * handlers.onConnect() once the server accepted it, handlers.onEvent(name, payload)
 * for every event, handlers.onRefused(reason) if the handshake is refused.
 */
export function openSocket(baseUrl, token, handlers) {
  const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url);
  ws.onmessage = (message) => {
    const frame = String(message.data);
    if (frame === '2') return ws.send('3');
    if (frame.startsWith('0')) return ws.send(`40${JSON.stringify({ token })}`);
    if (frame.startsWith('40')) return handlers.onConnect();
    if (frame.startsWith('44')) return handlers.onRefused?.(frame.slice(2));
    if (frame.startsWith('42')) {
      const [name, payload] = JSON.parse(frame.slice(2));
      handlers.onEvent(name, payload);
    }
  };
  ws.onerror = (e) => handlers.onRefused?.(String(e.error ?? e));
  return ws;
}
