/**
 * A one-line progress bar on stderr when it is a terminal (redrawn in place), plain progress
 * lines otherwise (CI logs, pipes).
 */
export class ProgressBar {
  readonly #label: string;
  readonly #total: number;
  readonly #tty = Boolean(process.stderr.isTTY);
  #last = 0;

  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = Math.max(1, total);
  }

  update(done: number, note = ''): void {
    const now = Date.now();
    if (!this.#tty && done < this.#total && now - this.#last < 2_000) return;
    this.#last = now;
    const ratio = Math.min(1, done / this.#total);
    const width = 24;
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${this.#label} [${bar}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${this.#total}${note ? ` ${note}` : ''}`;
    process.stderr.write(this.#tty ? `\r${line}\u001b[K` : `${line}\n`);
  }

  done(note = ''): void {
    this.update(this.#total, note);
    if (this.#tty) process.stderr.write('\n');
  }
}
