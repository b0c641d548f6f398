import assert from 'node:assert/strict';
import { Interrupted } from '../common/abort.ts';
import { interruptibleClient, signalOf } from './interruptible.ts';

describe('interruptibleClient', () => {
  const fake = () => {
    const calls: string[] = [];
    let release: (v: string) => void = () => {};
    const client = {
      requestCount: 7,
      slow(name: string) {
        calls.push(name);
        return new Promise<string>((resolve) => (release = resolve));
      },
    };
    return { client, calls, release: (v: string) => release(v) };
  };

  it('passes calls and properties through while the signal is quiet', async () => {
    const { client, release } = fake();
    const view = interruptibleClient(client, new AbortController().signal);
    assert.equal(view.requestCount, 7);
    const answer = view.slow('a');
    release('ok');
    assert.equal(await answer, 'ok');
  });

  it('gives up a call in flight at once, and makes no request after the signal', async () => {
    const { client, calls } = fake();
    const stop = new AbortController();
    const view = interruptibleClient(client, stop.signal);
    const inFlight = view.slow('first');
    stop.abort();
    await assert.rejects(inFlight, Interrupted);
    await assert.rejects(view.slow('second'), Interrupted);
    assert.deepEqual(calls, ['first']);
  });

  it('tells its signal (none for a plain client)', () => {
    const { client } = fake();
    const stop = new AbortController();
    assert.equal(signalOf(interruptibleClient(client, stop.signal)), stop.signal);
    assert.equal(signalOf(client), undefined);
  });
});
