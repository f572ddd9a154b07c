// WebSocket bridge (placeholder: being built).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Tracing } from '../tracing/spans';

export class WebSocketBridge {
  constructor(
    readonly config: Config,
    readonly tracing: Tracing | null,
    readonly log: Logger,
  ) {}

  handleUpgrade(_req: IncomingMessage, socket: Duplex, _head: Buffer): void {
    socket.end('HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  }

  close(): void {}
}
