// A mode that cannot run here (no access, nothing reachable): one line naming what to fix (exit 3).
export class ModeError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ModeError';
  }

  get line(): string {
    return `${this.message} — ${this.hint}`;
  }
}
