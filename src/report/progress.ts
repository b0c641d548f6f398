// One progress line per stage on stderr, only for a human at a terminal (CI logs and pipes stay clean).
import { printable } from '../common/printable.ts';
export type Stage = 'discover' | 'plan' | 'probe pod' | 'exec' | 'judge' | 'repair';

export interface Progress {
  stage(stage: Stage, detail: string): void;
  done(): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { stage: () => {}, done: () => {} };
  const started = Date.now();
  return {
    stage(stage, detail) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      stream.write(`\r\x1b[2K[${seconds}s] ${stage}: ${printable(detail, { oneLine: true })}`);
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}
