/**
 * Issue #13 item 8: the sudo stderr filter scans each byte once (a host printing 32 MB
 * before the start marker cost 17 s of the shared event loop with the old rescan of all
 * pending text) and still finds prompts and the marker split at any chunk boundary.
 */
import { describe, expect, it } from 'vitest';
import { SudoStderrFilter } from '../../../src/transport/become.js';
import { Secret } from '../../../src/util/secret.js';
import { prng } from '../../helpers/prng.js';

const exchange = { prompt: '[mtafleet-sudo-0123456789abcdef01]', startMarker: 'mtafleet-start-0123456789abcdef01', password: new Secret('pw') };

interface Outcome {
  passwords: number;
  giveUps: number;
  startedAt: number[];
  passOn: string;
}

/** Feeds the chunks; what the channel would see (passOn before start plus after, or flush). */
function feed(chunks: Buffer[], maxHeld?: number): Outcome {
  const f = new SudoStderrFilter(exchange, maxHeld);
  const out: Outcome = { passwords: 0, giveUps: 0, startedAt: [], passOn: '' };
  chunks.forEach((chunk, i) => {
    const step = f.push(chunk);
    if (step.sendPassword) out.passwords += 1;
    if (step.giveUp) out.giveUps += 1;
    if (step.startedNow) out.startedAt.push(i);
    out.passOn += step.passOn.toString('latin1');
  });
  if (!f.started) out.passOn += f.flush().toString('latin1');
  return out;
}

function splitAt(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text, 'latin1');
  const points = [0, ...cuts, bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

describe('SudoStderrFilter on streamed stderr', () => {
  const before = 'sudo: a lecture\n';
  const after = 'command stderr\n';
  const stream = `${before}${exchange.prompt}${exchange.startMarker}\n${after}`;

  it('finds the prompt and the start marker split at every offset (two and three chunks)', () => {
    for (let i = 0; i <= stream.length; i++) {
      const r = feed(splitAt(stream, [i]));
      expect(r, `cut at ${i}`).toMatchObject({ passwords: 1, giveUps: 0, passOn: before + after });
      expect(r.startedAt).toHaveLength(1);
      for (let j = i; j <= stream.length; j += 3) {
        expect(feed(splitAt(stream, [i, j])), `cuts at ${i},${j}`).toMatchObject({ passwords: 1, giveUps: 0, passOn: before + after });
      }
    }
  });

  it('random chunkings of prompts, noise and marker give the same result as one chunk (200 seeds)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = prng(seed);
      // Noise made of the prompt's and marker's own characters, the hardest case for a split scan.
      const alphabet = `${exchange.prompt}${exchange.startMarker}\n`;
      const noise = (): string => Array.from({ length: Math.floor(rnd() * 40) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const prompts = Math.floor(rnd() * 3);
      let text = '';
      let expected = '';
      for (let p = 0; p < prompts; p++) {
        const n = noise().replaceAll(exchange.prompt, '').replaceAll(`${exchange.startMarker}\n`, '');
        text += n + exchange.prompt;
        expected += n;
      }
      text += `${exchange.startMarker}\n${after}${exchange.prompt}`;
      expected += after + exchange.prompt;
      const cuts = Array.from({ length: Math.floor(rnd() * 8) }, () => Math.floor(rnd() * (text.length + 1))).sort((a, b) => a - b);
      const r = feed(splitAt(text, cuts));
      expect(r, `seed ${seed}`).toMatchObject({ passwords: prompts > 0 ? 1 : 0, giveUps: prompts > 1 ? 1 : 0, passOn: expected });
      expect(r.startedAt, `seed ${seed}`).toHaveLength(1);
    }
  });

  it('32 MB of stderr before the marker, in 64 KiB chunks: linear time, bounded memory, marker still found', () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const chunks = Array.from({ length: 512 }, () => chunk);
    chunks.push(Buffer.from(`${exchange.startMarker}\ntail`));
    const cpu = process.cpuUsage();
    const r = feed(chunks, 1024 * 1024);
    const used = process.cpuUsage(cpu);
    // The quadratic filter took ~17 s here; one pass takes well under a second.
    expect((used.user + used.system) / 1e6).toBeLessThan(2);
    expect(r.startedAt).toEqual([512]);
    // Only the cap of what sudo printed is kept, then the command's own stderr.
    expect(r.passOn.length).toBe(1024 * 1024 + 'tail'.length);
    expect(r.passOn.endsWith('xtail')).toBe(true);
  });

  it('a command that never starts returns sudo messages up to the cap', () => {
    const f = new SudoStderrFilter(exchange, 10);
    f.push(Buffer.from('Sorry, try again.\n'));
    expect(f.flush().toString()).toBe('Sorry, try');
    expect(f.discarded).toBe(8);
  });
});
