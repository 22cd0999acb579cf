/**
 * A secret value (sudo password, key passphrase). It renders as *** everywhere a value
 * can leak: String(), template literals, JSON.stringify, util.inspect. Only reveal()
 * hands out the real value, and only transport/ calls it.
 */
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '***';
  }
  toJSON(): string {
    return '***';
  }
  [inspectSymbol](): string {
    return 'Secret(***)';
  }
}

/** Variable names whose values are treated as secrets (DESIGN.md safety rules). */
export function isSecretName(name: string): boolean {
  return /password|passphrase|secret|token/i.test(name);
}
