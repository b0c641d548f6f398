import assert from 'node:assert/strict';
import { interruptible } from './check.ts';

describe('interruptible', () => {
  it('a fleet or --probe-nodes all listening to the signal from many cycles at once raises no MaxListeners warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const run = interruptible(1000);
    try {
      for (let i = 0; i < 32; i++) run.signal.addEventListener('abort', () => {});
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
    } finally {
      run.dispose();
      process.off('warning', onWarning);
    }
  });
});
