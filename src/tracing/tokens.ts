// The token estimate of --estimate-tokens: js-tiktoken with the o200k_base encoding (the GPT-4o
// family's; other models' tokenizers differ, so the figure is an estimate of what a result costs a
// context, not any one model's count). Loaded only when the flag is on: the library and its ranks
// weigh a few MB, and a proxy without the flag never requires them.

export const TOKENIZER_NAME = 'js-tiktoken';
export const TOKENIZER_ENCODING = 'o200k_base';
/**
 * Text past this many characters is not tokenized: its count is extrapolated from the first part
 * (tokens per character), so one huge result costs the request path a bounded amount of CPU.
 */
export const MAX_TOKENIZED_CHARS = 64 * 1024;

export interface TokenCounter {
  readonly tokenizer: string;
  readonly encoding: string;
  count(text: string): number;
}

/** Loads the tokenizer (synchronously, once, at startup). Throws when the library is missing. */
export function loadTokenCounter(): TokenCounter {
  // Lazy: required only here, so the module is loaded only with --estimate-tokens.
  const { Tiktoken } = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite');
  const ranks = require('js-tiktoken/ranks/o200k_base') as { default?: unknown };
  const enc = new Tiktoken((ranks.default ?? ranks) as ConstructorParameters<typeof Tiktoken>[0]);
  return { tokenizer: TOKENIZER_NAME, encoding: TOKENIZER_ENCODING, count: (text) => countTokens(text, (t) => enc.encode(t).length) };
}

/** `encode` on the text, or on its first MAX_TOKENIZED_CHARS scaled to the whole length. */
export function countTokens(text: string, encode: (t: string) => number, max = MAX_TOKENIZED_CHARS): number {
  if (text.length <= max) return encode(text);
  return Math.round((encode(text.slice(0, max)) * text.length) / max);
}
