// --stdio: wrap a stdio MCP server command. The proxy's stdin/stdout are the MCP channel to the
// client; the child's stdin/stdout the channel to the server; stderr passes straight through.
// Newline-delimited JSON-RPC is relayed line by line, byte for byte: client lines get the trace
// context spliced into params._meta, server lines are forwarded unchanged and tapped.
import { ChildProcess, spawn } from 'node:child_process';
import { isUtf8 } from 'node:buffer';
import { constants as osConstants } from 'node:os';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from '../log';
import { LineSplitter } from '../pipeline/lines';
import { Scope } from '../pipeline/scope';
import type { Tap } from '../pipeline/tap';
import type { ConnInfo } from '../tracing/attributes';
import { writer } from './flow';

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
/** After the child exits, wait at most this long for its stdout to close (a grandchild may hold it open). */
const STDOUT_CLOSE_WAIT_MS = 500;

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

/** What the stdio adapter needs to know, from the composition root. */
export interface StdioOptions {
  /** The server command to run, and its arguments. */
  readonly command: string;
  readonly args: readonly string[];
  /** Lines up to this size pass through the tap; longer ones are only relayed. */
  readonly maxBodyBytes: number;
  /** How long the server may take to exit after a signal before it is killed. */
  readonly shutdownGraceMs: number;
}

export function runStdio(config: StdioOptions, tap: Tap | null, log: Logger, io?: Io): StdioRun {
  const { command, args } = config;
  const stdin = (io?.stdin ?? process.stdin) as NodeJS.ReadableStream & { destroy?: () => void };
  const stdout = io?.stdout ?? process.stdout;
  // The session era is learned from the initialize response the tap sees.
  const channel = tap && tap.channel(Scope.connection('stdio'), CONN, ROOT_CONTEXT, false);

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
  // ---- client → server: stdin lines, trace context spliced in, to the child's stdin ----
  const toServer = writer(stdin, childIn, () => !finished);
  const writeToServer = (bytes: Buffer | string): void => {
    if (!serverInClosed) toServer(bytes);
  };
  const clientLines = tap && channel
    ? new LineSplitter(
      config.maxBodyBytes,
      (line, contentEnd, terminated) => {
        const text = candidateText(line, contentEnd);
        const out = text === null ? null : tap.fromClient(channel, text); // never throws
        // Unchanged (not JSON-RPC, or nothing to inject): the original bytes, not a re-encoding.
        if (out === null || out === text) writeToServer(line);
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
  const serverLines = tap && channel
    ? new LineSplitter(config.maxBodyBytes, (line, contentEnd) => {
      const text = candidateText(line, contentEnd);
      if (text !== null) tap.fromServer(channel, text);
    }) // an oversized line: already forwarded, not parsed
    : null;
  const toClient = writer(childOut, stdout);
  childOut.on('data', (chunk: Buffer) => {
    if (!clientGone) toClient(chunk);
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
    if (channel) tap?.close(channel.scope, 'upstream_gone');
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
