// Back-pressure, written once: a write that fills the destination pauses the source until it drains.

/** A source that back-pressure can pause: a stream, or undici's dispatch controller. */
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

/** A write function from `from` to `to`: while `to` is full, `from` is paused. */
export function writer(from: Pausable, to: NodeJS.WritableStream, canResume: () => boolean = () => true): (chunk: Buffer | string) => void {
  let waiting = false;
  const drained = () => {
    waiting = false;
    if (canResume()) from.resume();
  };
  return (chunk) => {
    if (!to.write(chunk) && !waiting) {
      waiting = true;
      from.pause();
      to.once('drain', drained);
    }
  };
}
