// --stdio: wrap a stdio MCP server command. The proxy's stdin/stdout are the MCP channel to the
// client; the child's stdin/stdout the channel to the server; stderr passes straight through.
// Newline-delimited JSON-RPC is relayed line by line, byte for byte: client lines get the trace
// context spliced into params._meta, server lines are forwarded unchanged and tapped.
import { ChildProcess, spawn } from 'node:child_process';
import { isUtf8 } from 'node:buffer';
import { constants as osConstants } from 'node:os';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { ConnInfo } from '../tracing/attributes';
import type { Tracing } from '../tracing/spans';
import { MessageTap } from './message-tap';

export interface StdioRun {
  /** Resolves with the proxy's exit code: the child's, 128 + signal number after a signal death, 127 when it cannot start. */
  readonly exit: Promise<number>;
  /** Forwards SIGINT/SIGTERM to the child (which escalates to SIGKILL after the shutdown grace period). */
  signal(sig: NodeJS.Signals): void;
}

interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
}

const CONN: ConnInfo = { transport: 'pipe' };
const NL = 0x0a;
/** After the child exits, wait at most this long for its stdout to close (a grandchild may hold it open). */
const STDOUT_CLOSE_WAIT_MS = 500;

/**
 * Splits a byte stream into lines at '\n' (a '\r' before it stays part of the line). Lines up to
 * `maxLine` bytes are held until complete and handed to `onLine` with their terminator; a longer
 * line goes to `onRaw` piece by piece as it arrives, so at most `maxLine` bytes are ever held.
 * Splitting bytes (not text) at 0x0A is UTF-8 safe: that byte never occurs inside a multi-byte sequence.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** Inside a line longer than maxLine: pass bytes through until its '\n'. */
  private oversize = false;

  constructor(
    private readonly maxLine: number,
    /** `line` includes the '\n' when `terminated`; `contentEnd` is where the content stops. */
    private readonly onLine: (line: Buffer, contentEnd: number, terminated: boolean) => void,
    private readonly onRaw: (bytes: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      if (this.oversize) {
        if (nl < 0) return this.onRaw(start === 0 ? chunk : chunk.subarray(start));
        this.onRaw(chunk.subarray(start, nl + 1));
        this.oversize = false;
        start = nl + 1;
        continue;
      }
      const end = nl < 0 ? chunk.length : nl;
      if (this.held + (end - start) > this.maxLine) {
        // Too long to parse: what is held and the rest of this line go through untouched.
        if (this.held > 0) this.onRaw(this.take());
        if (nl < 0) {
          this.oversize = true;
          return this.onRaw(start === 0 ? chunk : chunk.subarray(start));
        }
        this.onRaw(chunk.subarray(start, nl + 1));
        start = nl + 1;
        continue;
      }
      if (nl < 0) {
        this.parts.push(start === 0 ? chunk : chunk.subarray(start));
        this.held += chunk.length - start;
        return;
      }
      if (this.held === 0) {
        this.onLine(chunk.subarray(start, nl + 1), nl - start, true);
      } else {
        this.parts.push(chunk.subarray(start, nl + 1));
        const line = this.take();
        this.onLine(line, line.length - 1, true);
      }
      start = nl + 1;
    }
  }

  /** End of input: a final line without '\n' is still a line. */
  end(): void {
    if (this.oversize || this.held === 0) return;
    const line = this.take();
    this.onLine(line, line.length, false);
  }

  private take(): Buffer {
    const b = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    return b;
  }
}

/** The line's text when it may be a JSON-RPC message; null when it cannot be (then it is not parsed). */
function candidateText(line: Buffer, contentEnd: number): string | null {
  let i = 0;
  while (i < contentEnd && (line[i] === 0x20 || line[i] === 0x09 || line[i] === 0x0d)) i++;
  if (i === contentEnd || (line[i] !== 0x7b && line[i] !== 0x5b)) return null; // not '{' or '['
  const content = contentEnd === line.length ? line : line.subarray(0, contentEnd);
  // JSON text is UTF-8; other bytes are forwarded as they came rather than decoded lossily.
  return isUtf8(content) ? content.toString('utf8') : null;
}

function signalExitCode(sig: NodeJS.Signals | null): number {
  const n = sig ? (osConstants.signals as Record<string, number | undefined>)[sig] : undefined;
  return n ? 128 + n : 1;
}

export function runStdio(config: Config, tracing: Tracing | null, log: Logger, io?: Io): StdioRun {
  if (!config.stdio) throw new Error('runStdio needs config.stdio');
  const { command, args } = config.stdio;
  const stdin = (io?.stdin ?? process.stdin) as NodeJS.ReadableStream & { destroy?: () => void };
  const stdout = io?.stdout ?? process.stdout;
  const tap = tracing ? new MessageTap(tracing, CONN, ROOT_CONTEXT, config.injectMeta, config.maxBodyBytes) : null;

  let resolveExit!: (code: number) => void;
  const exit = new Promise<number>((r) => (resolveExit = r));

  let child: ChildProcess;
  try {
    child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env, windowsHide: true });
  } catch (err) {
    // Synchronous failures (e.g. an invalid argument): as if the command could not start.
    log.error(`cannot start the server command ${JSON.stringify(command)}: ${(err as Error).message}`);
    releaseStdin();
    resolveExit(127);
    return { exit, signal: () => {} };
  }
  const childIn = child.stdin!;
  const childOut = child.stdout!;

  let finished = false;
  let exitCode: number | null = null;
  let stdoutClosed = false;
  let clientGone = false; // our stdout broke: the client went away
  let serverInClosed = false; // the child's stdin broke or was ended
  let killTimer: NodeJS.Timeout | undefined;
  let closeWait: NodeJS.Timeout | undefined;
  let tapFailures = 0;

  const tapSafely = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      // Tracing must never break the traffic.
      if (tapFailures++ === 0) log.warn('tracing a stdio message failed; forwarding it unchanged', { error: (err as Error).message });
      return undefined;
    }
  };

  // ---- client → server: stdin lines, trace context spliced in, to the child's stdin ----
  let serverBlocked = false;
  const writeToServer = (bytes: Buffer | string): void => {
    if (serverInClosed) return;
    if (!childIn.write(bytes) && !serverBlocked) {
      serverBlocked = true;
      stdin.pause();
      childIn.once('drain', () => {
        serverBlocked = false;
        if (!finished) stdin.resume();
      });
    }
  };
  const clientLines = tap
    ? new LineSplitter(
      config.maxBodyBytes,
      (line, contentEnd, terminated) => {
        const text = candidateText(line, contentEnd);
        const out = text === null ? undefined : tapSafely(() => tap.fromClient(text));
        // Unchanged (not JSON-RPC, or nothing to inject): the original bytes, not a re-encoding.
        if (out === undefined || out === text) writeToServer(line);
        else writeToServer(terminated ? `${out}\n` : out);
      },
      writeToServer,
    )
    : null;
  const onClientData = (chunk: Buffer | string): void => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (clientLines) clientLines.push(b);
    else writeToServer(b);
  };
  let clientEnded = false;
  const onClientEnd = (): void => {
    if (clientEnded) return;
    clientEnded = true;
    clientLines?.end();
    // The MCP stdio shutdown: the client closes our stdin, we close the server's, the server exits.
    log.debug('client closed stdin: closing the server\'s stdin');
    serverInClosed = true;
    childIn.end();
  };
  stdin.on('data', onClientData);
  stdin.on('end', onClientEnd);
  stdin.on('error', (err: Error) => {
    log.warn('reading stdin failed', { error: err.message });
    onClientEnd();
  });
  childIn.on('error', (err: NodeJS.ErrnoException) => {
    // EPIPE: the server closed its stdin or died; its exit ends the run.
    if (!serverInClosed) log.debug('writing to the server failed', { error: err.code ?? err.message });
    serverInClosed = true;
    stdin.resume(); // do not leave the client blocked on a full pipe
  });

  // ---- server → client: the child's stdout, forwarded chunk by chunk as it comes, lines tapped ----
  const serverLines = tap
    ? new LineSplitter(
      config.maxBodyBytes,
      (line, contentEnd) => {
        const text = candidateText(line, contentEnd);
        if (text !== null) tapSafely(() => tap.fromServer(text));
      },
      () => {}, // an oversized line: already forwarded, not parsed
    )
    : null;
  let clientBlocked = false;
  childOut.on('data', (chunk: Buffer) => {
    if (!clientGone && !stdout.write(chunk) && !clientBlocked) {
      clientBlocked = true;
      childOut.pause();
      stdout.once('drain', () => {
        clientBlocked = false;
        childOut.resume();
      });
    }
    serverLines?.push(chunk);
  });
  childOut.on('end', () => serverLines?.end());
  childOut.on('close', () => {
    stdoutClosed = true;
    if (exitCode !== null) void finish(exitCode);
  });
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    if (clientGone) return;
    clientGone = true;
    log.debug('writing to stdout failed: the client is gone', { error: err.code ?? err.message });
    childOut.resume(); // discard what the server still writes
    onClientEnd();
  };
  stdout.on('error', onStdoutError);

  // ---- the child's life ----
  child.on('error', (err: NodeJS.ErrnoException) => {
    if (child.pid === undefined) {
      const why = err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : err.message;
      log.error(`cannot start the server command ${JSON.stringify(command)}: ${why}`, { code: err.code });
      void finish(err.code === 'EACCES' ? 126 : 127);
    } else {
      log.warn('server process error', { error: err.message });
    }
  });
  child.on('exit', (code, sig) => {
    exitCode = code ?? signalExitCode(sig);
    if (sig) log.info('server exited on a signal', { signal: sig, exit_code: exitCode });
    else log.debug('server exited', { exit_code: exitCode });
    if (stdoutClosed) return void finish(exitCode);
    // Normally its stdout closes right away; a grandchild holding it open must not keep us alive.
    closeWait = setTimeout(() => void finish(exitCode as number), STDOUT_CLOSE_WAIT_MS);
  });

  function releaseStdin(): void {
    stdin.removeAllListeners('data');
    stdin.pause();
    stdin.destroy?.(); // so the event loop can end while the client still holds our stdin open
  }

  async function finish(code: number): Promise<void> {
    if (finished) return;
    finished = true;
    clearTimeout(killTimer);
    clearTimeout(closeWait);
    stdin.off('data', onClientData);
    stdin.off('end', onClientEnd);
    releaseStdin();
    childOut.destroy();
    childIn.destroy();
    tapSafely(() => tap?.close('no_response'));
    await flush();
    stdout.off('error', onStdoutError);
    resolveExit(code);
  }

  /** Waits until what was written to stdout has been handed to the OS, bounded by the grace period. */
  function flush(): Promise<void> {
    const s = stdout as NodeJS.WritableStream & { destroyed?: boolean; writableLength?: number };
    if (clientGone || s.destroyed || s.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, config.shutdownGraceMs);
      t.unref();
      s.write('', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  return {
    exit,
    signal(sig: NodeJS.Signals): void {
      if (finished || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      log.info(`${sig}: forwarding to the server`, { pid: child.pid });
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
      killTimer ??= setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        log.warn('the server did not exit within the shutdown grace period: killing it', { grace_ms: config.shutdownGraceMs });
        child.kill('SIGKILL');
      }, config.shutdownGraceMs);
      killTimer.unref();
    },
  };
}
