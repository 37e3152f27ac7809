// The Ready condition of an extension from its state and what each proxy did (conditions.ts).
import { describe, expect, it } from 'vitest';
import { extensionCondition, type ConditionInputs } from '../../control-plane/conditions.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const base: ConditionInputs = { state: 'Serving', digest: B, wanted: { digest: B }, proxies: [] };

describe('extension conditions', () => {
  it('Serving when every proxy took it, with how many ACKed', () => {
    const c = extensionCondition({
      ...base,
      proxies: [
        { nodeId: 'p1', acked: true, runningVersion: '2', runningDigest: B },
        { nodeId: 'p2', acked: false, runningVersion: '1', runningDigest: A },
      ],
    });
    expect(c).toEqual({ type: 'Ready', status: 'True', reason: 'Serving', message: expect.stringContaining('1 of 2') });
  });

  it('ServingPrevious when a proxy NACKed and keeps the version it ran; Degraded when it ran none', () => {
    const kept = extensionCondition({
      ...base,
      proxies: [
        { nodeId: 'p1', acked: false, runningVersion: '1', runningDigest: A, nack: 'bad ABI', nackedDigest: B },
      ],
    });
    expect(kept).toMatchObject({ status: 'False', reason: 'ServingPrevious' });
    expect(kept.message).toBe(
      `proxy p1 rejected sha256:${B.slice(0, 12)} (bad ABI); it keeps running sha256:${A.slice(0, 12)}`,
    );
    const none = extensionCondition({
      ...base,
      proxies: [{ nodeId: 'p9', acked: false, nack: 'bad ABI', nackedDigest: B }],
    });
    expect(none).toMatchObject({ status: 'False', reason: 'Degraded' });
    expect(none.message).toContain('proxy p9 rejected');
  });

  it('ServingPrevious when the update could not be fetched; Fallback when nothing ever was; Invalid when it cannot be served', () => {
    const prev = extensionCondition({ ...base, state: 'ServingPrevious', digest: A, error: 'HTTP 404' });
    expect(prev).toMatchObject({ reason: 'ServingPrevious', status: 'False' });
    expect(prev.message).toContain(
      `the update to sha256:${B.slice(0, 12)} failed: HTTP 404; proxies keep sha256:${A.slice(0, 12)}`,
    );
    const fb = extensionCondition({ ...base, state: 'Fallback', digest: '', fallback: 'deny-all', error: 'HTTP 404' });
    expect(fb).toMatchObject({ reason: 'Fallback', message: 'HTTP 404; proxies run the deny-all fallback instead' });
    expect(
      extensionCondition({ ...base, state: 'Unsupported', error: 'NETWORK plugins are not distributed' }),
    ).toMatchObject({
      reason: 'Invalid',
      status: 'False',
    });
  });
});
