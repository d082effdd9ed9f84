import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ManagerModule, PlatformEventTypes } from '@bulwark/protocol';
import { knownEventTypes, unknownEventType } from './event-types.js';
import { sampleModule } from './test-services.js';

const withTypes = (id: string, eventTypes?: string[]): ManagerModule => ({ ...sampleModule, id, eventTypes });

describe('event types', () => {
  it('an unknown type is named with the types there are, for all modules or the one asked', () => {
    const known = knownEventTypes([
      withTypes('firewall', ['packet', 'reconnaissance']),
      withTypes('loginspect', ['rule-match']),
    ]);
    assert.equal(unknownEventType(known, 'packet', undefined), null);
    assert.equal(unknownEventType(known, PlatformEventTypes.moduleError, undefined), null, 'platform types count');
    assert.equal(
      unknownEventType(known, 'pakcet', undefined),
      'no module emits events of type "pakcet"; the types are configuration-applied, events-dropped, module-error, packet, reconnaissance, rule-match',
    );
    assert.equal(
      unknownEventType(known, 'packet', 'loginspect'),
      'module loginspect emits no events of type "packet"; the types are rule-match',
    );
  });

  it('nothing is refused while a module does not declare its types', () => {
    const known = knownEventTypes([withTypes('firewall', ['packet']), withTypes('legacy')]);
    assert.equal(known.complete, false);
    assert.equal(unknownEventType(known, 'anything', undefined), null);
  });
});
