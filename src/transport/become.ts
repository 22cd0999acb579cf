/**
 * Privilege escalation with sudo. Without a password: `sudo -n` (fail instead of prompting).
 * With one: `sudo -k -S -p MARKER`, and the password is written on stdin only when sudo shows
 * our random prompt marker; the command itself first prints a random start marker on stderr,
 * and only then does its own stdin follow. So the password never lands in the command's stdin
 * (NOPASSWD rules, cached credentials) and never appears in argv, logs or errors.
 */
import { randomBytes } from 'node:crypto';
import { sh, type Command } from './quote.js';
import type { Secret } from '../util/secret.js';
import { CappedBuffer, DEFAULT_MAX_OUTPUT_BYTES } from './capped.js';

export interface BecomePlan {
  command: Command;
  /** Present when sudo may ask for a password: drives the stdin exchange. */
  exchange?: SudoExchange;
}

export interface SudoExchange {
  prompt: string;
  startMarker: string;
  password: Secret;
}

export function planBecome(command: Command, user: string, password?: Secret): BecomePlan {
  if (!password) return { command: sh`sudo -n -u ${user} -- sh -c ${command.text}` };
  const token = randomBytes(9).toString('hex');
  const prompt = `[mtafleet-sudo-${token}]`;
  const startMarker = `mtafleet-start-${token}`;
  const inner = sh`printf '%s\n' ${startMarker} >&2; exec sh -c ${command.text}`;
  return {
    command: sh`sudo -k -S -p ${prompt} -u ${user} -- sh -c ${inner.text}`,
    exchange: { prompt, startMarker, password },
  };
}

/**
 * Reads stderr until the command has started. Returns what to do after each chunk:
 * the password to send, whether the command started (then stdin may flow), and the stderr
 * bytes to pass on (prompts and the start marker removed).
 *
 * One pass over each chunk: only the last few bytes, too short to hold a whole prompt or
 * marker, are carried to the next chunk (a marker may be split anywhere), and what sudo
 * prints before the command starts is kept up to `maxHeld` bytes. So a host printing
 * megabytes before the marker costs linear time and bounded memory (issue #13 item 8).
 */
export class SudoStderrFilter {
  /** Unscanned tail of the previous chunk: a prefix of a prompt or marker, never a whole one. */
  #carry = '';
  readonly #held: CappedBuffer;
  #started = false;
  #prompts = 0;
  readonly #markerLine: string;
  readonly #keep: number;

  constructor(
    private readonly exchange: SudoExchange,
    maxHeld: number = DEFAULT_MAX_OUTPUT_BYTES,
  ) {
    this.#held = new CappedBuffer(maxHeld);
    this.#markerLine = `${exchange.startMarker}\n`;
    this.#keep = Math.max(exchange.prompt.length, this.#markerLine.length) - 1;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Bytes of sudo's own messages dropped at the cap. */
  get discarded(): number {
    return this.#held.discarded;
  }

  push(chunk: Buffer): { passOn: Buffer; sendPassword: boolean; giveUp: boolean; startedNow: boolean } {
    if (this.#started) return { passOn: chunk, sendPassword: false, giveUp: false, startedNow: false };
    // latin1 maps bytes 1:1 to chars, so positions and the bytes given back are exact.
    const text = this.#carry + chunk.toString('latin1');
    const { prompt } = this.exchange;
    let sendPassword = false;
    let giveUp = false;
    let pos = 0;
    for (;;) {
      const p = text.indexOf(prompt, pos);
      const m = text.indexOf(this.#markerLine, pos);
      if (m !== -1 && (p === -1 || m < p)) {
        this.#hold(text.slice(pos, m));
        this.#started = true;
        this.#carry = '';
        const passOn = Buffer.concat([this.#held.toBuffer(), Buffer.from(text.slice(m + this.#markerLine.length), 'latin1')]);
        return { passOn, sendPassword, giveUp, startedNow: true };
      }
      if (p === -1) break;
      this.#hold(text.slice(pos, p));
      pos = p + prompt.length;
      this.#prompts += 1;
      // A second prompt means the password was wrong: close stdin so sudo stops asking.
      if (this.#prompts === 1) sendPassword = true;
      else giveUp = true;
    }
    const carryFrom = Math.max(pos, text.length - this.#keep);
    this.#hold(text.slice(pos, carryFrom));
    this.#carry = text.slice(carryFrom);
    return { passOn: Buffer.alloc(0), sendPassword, giveUp, startedNow: false };
  }

  /** Whatever sudo wrote when the command never started (its error message). */
  flush(): Buffer {
    this.#hold(this.#carry);
    this.#carry = '';
    return this.#held.toBuffer();
  }

  #hold(text: string): void {
    if (text.length > 0) this.#held.push(Buffer.from(text, 'latin1'));
  }
}
