/**
 * Asking for a key's passphrase on the terminal (/dev/tty, like ssh-keygen), without echo: the
 * terminal is put in raw mode and nothing typed is written back. Ctrl-C cancels.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { InputError } from '../util/errors.js';

export async function askPassphrase(prompt: string): Promise<string> {
  let inFd: number;
  let outFd: number;
  try {
    inFd = openSync('/dev/tty', 'r');
    outFd = openSync('/dev/tty', 'w');
  } catch {
    throw new InputError('the key is encrypted and there is no terminal to ask for its passphrase: set MTAFLEET_KEY_PASSPHRASE or pass --passphrase-file FILE');
  }
  const input = new ReadStream(inFd);
  input.setRawMode(true);
  writeSync(outFd, prompt);
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      input.on('data', (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || (ch === '\x04' && typed === '')) return resolve(typed);
          if (ch === '\x03') return reject(new InputError('cancelled: no passphrase given'));
          if (ch === '\x7f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
          else if (ch === '\x15') typed = '';
          else typed += ch;
        }
      });
      input.on('error', (err) => reject(new InputError(`cannot read the passphrase from the terminal: ${err.message}`)));
    });
  } finally {
    input.setRawMode(false);
    input.destroy();
    writeSync(outFd, '\n');
    closeSync(outFd);
  }
}
