import assert from 'node:assert/strict';
import { DiscoverError } from '../discover/discover.ts';
import { KubeError } from '../kube/index.ts';
import { asksProbePod } from './discover.ts';
import type { CheckSettings } from './settings.ts';

describe('discover stage: when a probe pod reads the pods\' nameserver', () => {
  const notFound = new DiscoverError('no-service', 'no cluster DNS found: …', 'pass --service');
  const noPods = new DiscoverError('no-pods', 'no pod matches -l app=x in namespace kube-system', 'check the selector');
  const settings = (discover: CheckSettings['discover'] = {}, mode: CheckSettings['mode'] = 'auto') => ({ discover, mode });

  it('only when the known names found nothing, nothing says where to look, and the mode runs probe pods', () => {
    const table: [string, unknown, ReturnType<typeof settings>, string | undefined, boolean][] = [
      ['nothing found from outside, auto', notFound, settings(), undefined, true],
      ['nothing found from outside, probe-pod', notFound, settings({}, 'probe-pod'), undefined, true],
      ['in a pod: its own nameserver was already the anchor', notFound, settings(), '10.96.0.10', false],
      ['-n given', notFound, settings({ namespace: 'dns-system' }), undefined, false],
      ['--service given', notFound, settings({ service: 'cluster-dns' }), undefined, false],
      ['-l given', notFound, settings({ selector: 'app=my-dns' }), undefined, false],
      ['direct mode runs no pod', notFound, settings({}, 'direct'), undefined, false],
      ['port-forward runs no pod', notFound, settings({}, 'port-forward'), undefined, false],
      ['a wrong -l is not a renamed Service', noPods, settings(), undefined, false],
      ['an API failure', new KubeError('unreachable', 0, 'connect ECONNREFUSED', 'check the server'), settings(), undefined, false],
    ];
    for (const [name, err, s, nameserver, want] of table) assert.equal(asksProbePod(err, s, nameserver), want, name);
  });
});
