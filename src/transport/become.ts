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
 */
export class SudoStderrFilter {
  #pending = '';
  #started = false;
  #prompts = 0;
  constructor(private readonly exchange: SudoExchange) {}

  get started(): boolean {
    return this.#started;
  }

  push(chunk: Buffer): { passOn: Buffer; sendPassword: boolean; giveUp: boolean; startedNow: boolean } {
    if (this.#started) return { passOn: chunk, sendPassword: false, giveUp: false, startedNow: false };
    this.#pending += chunk.toString('latin1');
    let sendPassword = false;
    let giveUp = false;
    let idx: number;
    while ((idx = this.#pending.indexOf(this.exchange.prompt)) !== -1) {
      this.#pending = this.#pending.slice(0, idx) + this.#pending.slice(idx + this.exchange.prompt.length);
      this.#prompts += 1;
      // A second prompt means the password was wrong: close stdin so sudo stops asking.
      if (this.#prompts === 1) sendPassword = true;
      else giveUp = true;
    }
    const markerLine = `${this.exchange.startMarker}\n`;
    const at = this.#pending.indexOf(markerLine);
    if (at === -1) return { passOn: Buffer.alloc(0), sendPassword, giveUp, startedNow: false };
    this.#started = true;
    const passOn = Buffer.from(this.#pending.slice(0, at) + this.#pending.slice(at + markerLine.length), 'latin1');
    this.#pending = '';
    return { passOn, sendPassword, giveUp, startedNow: true };
  }

  /** Whatever sudo wrote when the command never started (its error message). */
  flush(): Buffer {
    const rest = Buffer.from(this.#pending, 'latin1');
    this.#pending = '';
    return rest;
  }
}
