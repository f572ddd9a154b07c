// Typed errors of the record/replay commands, with stable codes: callers branch on `code`. Each
// bad-input message names the file and line, as an editor's "file:line" jump wants it.

export type RecordErrorCode =
  | 'MTP_CASSETTE_MISSING' // the file cannot be read
  | 'MTP_CASSETTE_EMPTY' // no header line: an empty or truncated file
  | 'MTP_CASSETTE_FOREIGN' // the first line is not our header
  | 'MTP_CASSETTE_VERSION' // written by a newer format version
  | 'MTP_CASSETTE_LINE' // a line that is not JSON, or not a record
  | 'MTP_REPLAY_USAGE'; // a bad flag or combination of the subcommands

export class RecordError extends Error {
  constructor(readonly code: RecordErrorCode, message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

/** Exit status for bad input or bad flags, as the proxy's own config errors. */
export const EXIT_BAD_INPUT = 2;
