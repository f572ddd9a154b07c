// The serving certificate and key, read again when their files change. cert-manager rotates them in
// a Secret; the kubelet then swaps the mounted files by renaming a `..data` symlink in their folder,
// which replaces the files' inodes. So the folders are watched (a watch on a file would see the first
// swap and no later one), and a slow stat poll covers file systems where watching does not work.
import { createSecureContext } from 'node:tls';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InjectError } from './errors';

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Reads the pair and checks that the key matches the certificate; throws MTP_INJECT_TLS. */
export function readKeyPair(certFile: string, keyFile: string): KeyPair {
  let pair: KeyPair;
  try {
    pair = { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
  } catch (err) {
    throw new InjectError('MTP_INJECT_TLS', `cannot read the certificate or key: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  try {
    createSecureContext(pair); // fails on a key that is not the certificate's
  } catch (err) {
    throw new InjectError('MTP_INJECT_TLS', `the certificate and key do not form a pair: ${(err as Error).message}`, { cause: err });
  }
  return pair;
}

export interface TlsWatch {
  close(): void;
}

/** While cert-manager writes, the two files may not match for a moment: a later event reads them again. */
const POLL_MS = 10_000;

/**
 * Calls onReload with the new pair after the files change, and onError when they cannot be used
 * (the server keeps the pair it has).
 */
export function watchKeyPair(certFile: string, keyFile: string, initial: KeyPair, onReload: (pair: KeyPair) => void, onError: (err: InjectError) => void): TlsWatch {
  const digest = (p: KeyPair) => createHash('sha256').update(p.cert).update('\0').update(p.key).digest('hex');
  let current = digest(initial);
  let failed: string | null = null; // the content that failed last: an error is reported once per content
  const check = () => {
    let raw: string;
    try {
      raw = digest({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) });
    } catch {
      return; // in the middle of a swap: the next event or poll reads them
    }
    if (raw === current || raw === failed) return;
    try {
      const pair = readKeyPair(certFile, keyFile);
      current = digest(pair);
      failed = null;
      onReload(pair);
    } catch (err) {
      failed = raw;
      onError(err as InjectError);
    }
  };
  const watchers: fs.FSWatcher[] = [];
  for (const dir of new Set([path.dirname(path.resolve(certFile)), path.dirname(path.resolve(keyFile))])) {
    try {
      const w = fs.watch(dir, { persistent: false }, check);
      w.on('error', () => w.close()); // e.g. the folder was removed: the poll goes on
      watchers.push(w);
    } catch {
      // no inotify here: the poll does the work
    }
  }
  const poll = setInterval(check, POLL_MS);
  poll.unref();
  return {
    close: () => {
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
