/**
 * The CLI run in-process (`main([...])`) with its stdout and stderr kept as text: `start()` in
 * each test, and `restoreCapture` after each (it also resets the exit code the command set).
 */
import { vi } from 'vitest';

export interface CapturedOutput {
  out: string;
  err: string;
  start(): void;
}

export function capturedOutput(): CapturedOutput {
  const io: CapturedOutput = {
    out: '',
    err: '',
    start() {
      io.out = '';
      io.err = '';
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((io.out += String(chunk)), true));
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((io.err += String(chunk)), true));
    },
  };
  return io;
}

export function restoreCapture(): void {
  vi.restoreAllMocks();
  process.exitCode = undefined;
}
