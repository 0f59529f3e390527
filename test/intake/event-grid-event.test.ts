// Event Grid's ImagePushed envelope maps to the webhook's push; other ACR types are ignored by
// name; anything else is invalid with every problem named.
import { describe, expect, it } from 'vitest';
import { parseEventGridEvent } from '../../src/core/intake';
import { DOC_DIGEST, eventGridPushEvent } from '../support/acr-payloads';

describe('parseEventGridEvent', () => {
  it('maps ImagePushed to the push the webhook sends, under the envelope id', () => {
    const event = eventGridPushEvent({ eventId: 'b7e5f0c4-1f0e-4c59-9a5b-7d1f2a3c4d5e', tag: 'v2' });
    const parsed = parseEventGridEvent(event);
    expect(parsed.kind).toBe('push');
    if (parsed.kind !== 'push') return;
    expect(parsed.eventId).toBe('b7e5f0c4-1f0e-4c59-9a5b-7d1f2a3c4d5e');
    expect(parsed.event).toMatchObject({
      id: 'b7e5f0c4-1f0e-4c59-9a5b-7d1f2a3c4d5e',
      action: 'push',
      target: { repository: 'hello-world', tag: 'v2', digest: DOC_DIGEST },
    });
  });

  it('ignores the other ACR event types by name', () => {
    const event = { ...eventGridPushEvent(), eventType: 'Microsoft.ContainerRegistry.ImageDeleted' };
    expect(parseEventGridEvent(event)).toMatchObject({
      kind: 'ignored',
      eventType: 'Microsoft.ContainerRegistry.ImageDeleted',
    });
  });

  it('names what is wrong: an unknown type, a bad digest, a missing id, a non-object', () => {
    const unknown = parseEventGridEvent({ ...eventGridPushEvent(), eventType: 'Contoso.Thing' });
    expect(unknown).toEqual({
      kind: 'invalid',
      problems: [expect.stringContaining('eventType: must be Microsoft.ContainerRegistry.ImagePushed')],
    });
    const bad = eventGridPushEvent();
    (bad.data as { target: { digest: string } }).target.digest = 'sha256:nothex';
    expect(parseEventGridEvent(bad)).toEqual({
      kind: 'invalid',
      problems: [expect.stringMatching(/^data\.target\.digest: /)],
    });
    const { id: _id, ...noId } = eventGridPushEvent();
    expect(parseEventGridEvent(noId)).toMatchObject({
      kind: 'invalid',
      problems: [expect.stringMatching(/^id: /)],
    });
    expect(parseEventGridEvent([eventGridPushEvent()])).toMatchObject({ kind: 'invalid' });
    const deleteData = eventGridPushEvent();
    (deleteData.data as { action: string }).action = 'delete';
    expect(parseEventGridEvent(deleteData)).toMatchObject({ kind: 'invalid' });
  });
});
