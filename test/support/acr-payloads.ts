// ACR webhook payload fixtures in the exact shapes of ACR's webhook reference (Microsoft Learn).
// Builders return fresh plain objects (field order as documented) with overrides for the values
// tests vary. Valid fixtures use the unmasked digests/ids of the 2017 copy [B]; the masked `xxxx`
// examples of the current Learn page [A] are kept verbatim, because the intake must REJECT them.
import { createHash, randomUUID } from 'node:crypto';

/** The unmasked digest of doc [B] (push and delete examples). */
export const DOC_DIGEST = 'sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d';
/** The digest of the argocd-image-updater real-world capture. */
export const ARGOCD_DIGEST = 'sha256:c766679d161d4ffe3dc4503b4c9f90b978f0d363fcedb02d1ae0cd271e645c0a';
/**
 * The chart examples exist only masked ([A]); this is that digest with every `xxxx` replaced by
 * `0000` so it follows the grammar while keeping the documented value otherwise.
 */
export const CHART_DIGEST = 'sha256:00008075264b5ba7c14c23672000052ae6a3ebac1c47916e4efe19cd624d0000';

export const DOCKER_MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_MANIFEST_V1 = 'application/vnd.oci.image.manifest.v1+json';
export const HELM_CHART_MEDIA_TYPE = 'application/vnd.acr.helm.chart';

export interface PayloadOverrides {
  id?: string;
  timestamp?: string;
  repository?: string;
  tag?: string;
  digest?: string;
}

export type Payload = Record<string, unknown>;

/** A well-formed digest derived from a seed, so tests get distinct digests without randomness. */
export function digestOf(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

/** A fresh event id (ACR sends a GUID per event). */
export function newEventId(): string {
  return randomUUID();
}

/** ACR's timestamp format: 7-9 fractional digits (here 7), UTC. */
export function acrTimestamp(at: Date | number = Date.now()): string {
  const d = typeof at === 'number' ? new Date(at) : at;
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/** Doc [B], "image push event" (unmasked). */
export function pushPayload(o: PayloadOverrides = {}): Payload {
  return {
    id: o.id ?? 'cb8c3971-9adc-488b-bdd8-43cbb4974ff5',
    timestamp: o.timestamp ?? '2017-11-17T16:52:01.343145347Z',
    action: 'push',
    target: {
      mediaType: DOCKER_MANIFEST_V2,
      size: 524,
      digest: o.digest ?? DOC_DIGEST,
      length: 524,
      repository: o.repository ?? 'hello-world',
      tag: o.tag ?? 'v1',
    },
    request: {
      id: '3cbb6949-7549-4fa1-86cd-a6d5451dffc7',
      host: 'myregistry.azurecr.io',
      method: 'PUT',
      useragent:
        'docker/17.09.0-ce go/go1.8.3 git-commit/afdb6d4 kernel/4.10.0-27-generic os/linux arch/amd64 UpstreamClient(Docker-Client/17.09.0-ce \\(linux\\))',
    },
  };
}

/** Doc [B], "image delete event" (unmasked): no size, length or tag. */
export function deletePayload(o: Omit<PayloadOverrides, 'tag'> = {}): Payload {
  return {
    id: o.id ?? 'afc359ce-df7f-4e32-bdde-1ff8aa80927b',
    timestamp: o.timestamp ?? '2017-11-17T16:54:53.657764628Z',
    action: 'delete',
    target: {
      mediaType: DOCKER_MANIFEST_V2,
      digest: o.digest ?? DOC_DIGEST,
      repository: o.repository ?? 'hello-world',
    },
    request: {
      id: '3d78b540-ab61-4f75-807f-7ca9ecf559b3',
      host: 'myregistry.azurecr.io',
      method: 'DELETE',
      useragent: 'python-requests/2.18.4',
    },
  };
}

/**
 * Source [C], quarantine event. The original's digest is truncated (`sha256:91ef6`) and its
 * request id a placeholder; the builder keeps the shape (no mediaType, no useragent) and the
 * placeholder id, with a full digest (doc [B]'s by default). The verbatim original is below.
 */
export function quarantinePayload(o: PayloadOverrides = {}): Payload {
  return {
    id: o.id ?? '0d799b14-404b-4859-b2f6-50c5ee2a2c3a',
    timestamp: o.timestamp ?? '2018-02-28T00:42:54.4509516Z',
    action: 'quarantine',
    target: {
      size: 1791,
      digest: o.digest ?? DOC_DIGEST,
      length: 1791,
      repository: o.repository ?? 'helloworld',
      tag: o.tag ?? '1',
    },
    request: {
      id: '978fc988-zzz-yyyy-xxxx-4f6e331d1591',
      host: '[registry].azurecr.io',
      method: 'PUT',
    },
  };
}

/** The chart events' shared target (doc [A]). */
function chartTarget(o: PayloadOverrides): Payload {
  return {
    mediaType: HELM_CHART_MEDIA_TYPE,
    size: 25265,
    digest: o.digest ?? CHART_DIGEST,
    repository: o.repository ?? 'repo',
    tag: o.tag ?? 'wordpress-5.4.0.tgz',
    name: 'wordpress',
    version: '5.4.0.tgz',
  };
}

/** Doc [A], "chart push event": no request object, no length; `xxxx` unmasked as `0000`. */
export function chartPushPayload(o: PayloadOverrides = {}): Payload {
  return {
    id: o.id ?? '6356e9e0-627f-4fed-0000-d9059b5143ac',
    timestamp: o.timestamp ?? '2023-03-05T23:45:31.2614267Z',
    action: 'chart_push',
    target: chartTarget(o),
  };
}

/** Doc [A], "chart delete event"; `xxxx` unmasked as `0000`. */
export function chartDeletePayload(o: PayloadOverrides = {}): Payload {
  return {
    id: o.id ?? '338a3ef7-ad68-4128-0000-fdd3af8e8f67',
    timestamp: o.timestamp ?? '2023-03-06T00:10:48.1270754Z',
    action: 'chart_delete',
    target: chartTarget(o),
  };
}

/** Ping is undocumented; the recommended fixture (id, timestamp, action). */
export function pingPayload(o: Pick<PayloadOverrides, 'id' | 'timestamp'> = {}): Payload {
  return {
    id: o.id ?? 'b1a6e0c2-6f1e-4c36-9a57-5c0f1e2d3a4b',
    timestamp: o.timestamp ?? '2023-11-17T16:50:00.0000000Z',
    action: 'ping',
  };
}

/** The minimal ping third parties test with (akuity/kargo). */
export function minimalPingPayload(): Payload {
  return { action: 'ping' };
}

/** argoproj-labs/argocd-image-updater real-world capture: no `useragent` in `request`. */
export function argocdPushPayload(o: PayloadOverrides = {}): Payload {
  return {
    id: o.id ?? 'ea889308-3834-4a1d-a631-cadc572dab91',
    timestamp: o.timestamp ?? '2026-06-01T12:22:07.0958813Z',
    action: 'push',
    target: {
      mediaType: DOCKER_MANIFEST_V2,
      size: 524,
      digest: o.digest ?? ARGOCD_DIGEST,
      length: 524,
      repository: o.repository ?? 'hello-world',
      tag: o.tag ?? 'test-v1',
    },
    request: {
      id: '9ad4af4e-95b2-4787-8f28-7f817b05a56a',
      host: 'mojrodevops.azurecr.io',
      method: 'PUT',
    },
  };
}

/** A push by digest only: the argocd capture with `tag: ""`. */
export function digestOnlyPushPayload(o: Omit<PayloadOverrides, 'tag'> = {}): Payload {
  return argocdPushPayload({ ...o, tag: '' });
}

/** The current Learn page's examples, verbatim, with `xxxx`-masked digests (NOT valid hex). */
export const MASKED_DOC_PAYLOADS: Readonly<
  Record<'push' | 'delete' | 'chart_push' | 'chart_delete', Payload>
> = {
  push: {
    id: 'cb8c3971-9adc-488b-xxxx-43cbb4974ff5',
    timestamp: '2023-11-17T16:52:01.343145347Z',
    action: 'push',
    target: {
      mediaType: DOCKER_MANIFEST_V2,
      size: 524,
      digest: 'sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx',
      length: 524,
      repository: 'hello-world',
      tag: 'v1',
    },
    request: {
      id: '3cbb6949-7549-4fa1-xxxx-a6d5451dffc7',
      host: 'myregistry.azurecr.io',
      method: 'PUT',
      useragent:
        'docker/17.09.0-ce go/go1.8.3 git-commit/afdb6d4 kernel/4.10.0-27-generic os/linux arch/amd64 UpstreamClient(Docker-Client/17.09.0-ce \\(linux\\))',
    },
  },
  delete: {
    id: 'afc359ce-df7f-4e32-xxxx-1ff8aa80927b',
    timestamp: '2023-11-17T16:54:53.657764628Z',
    action: 'delete',
    target: {
      mediaType: DOCKER_MANIFEST_V2,
      digest: 'sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx',
      repository: 'hello-world',
    },
    request: {
      id: '3d78b540-ab61-4f75-xxxx-7ca9ecf559b3',
      host: 'myregistry.azurecr.io',
      method: 'DELETE',
      useragent: 'python-requests/2.18.4',
    },
  },
  chart_push: {
    id: '6356e9e0-627f-4fed-xxxx-d9059b5143ac',
    timestamp: '2023-03-05T23:45:31.2614267Z',
    action: 'chart_push',
    target: {
      mediaType: HELM_CHART_MEDIA_TYPE,
      size: 25265,
      digest: 'sha256:xxxx8075264b5ba7c14c23672xxxx52ae6a3ebac1c47916e4efe19cd624dxxxx',
      repository: 'repo',
      tag: 'wordpress-5.4.0.tgz',
      name: 'wordpress',
      version: '5.4.0.tgz',
    },
  },
  chart_delete: {
    id: '338a3ef7-ad68-4128-xxxx-fdd3af8e8f67',
    timestamp: '2023-03-06T00:10:48.1270754Z',
    action: 'chart_delete',
    target: {
      mediaType: HELM_CHART_MEDIA_TYPE,
      size: 25265,
      digest: 'sha256:xxxx8075264b5ba7c14c23672xxxx52ae6a3ebac1c47916e4efe19cd624dxxxx',
      repository: 'repo',
      tag: 'wordpress-5.4.0.tgz',
      name: 'wordpress',
      version: '5.4.0.tgz',
    },
  },
};

/** Source [C]'s quarantine example verbatim: its digest is truncated (`sha256:91ef6`). */
export const QUARANTINE_DOC_VERBATIM: Payload = {
  id: '0d799b14-404b-4859-b2f6-50c5ee2a2c3a',
  timestamp: '2018-02-28T00:42:54.4509516Z',
  action: 'quarantine',
  target: { size: 1791, digest: 'sha256:91ef6', length: 1791, repository: 'helloworld', tag: '1' },
  request: { id: '978fc988-zzz-yyyy-xxxx-4f6e331d1591', host: '[registry].azurecr.io', method: 'PUT' },
};

/** The day partition of the delivery log for an event timestamp. */
export function dayOf(timestamp: string): string {
  return new Date(Date.parse(timestamp)).toISOString().slice(0, 10);
}

/**
 * Microsoft's ImagePushed sample (Event Grid schema, "Azure Container Registry as an Event Grid
 * source"): the envelope around the same push data the webhook sends.
 */
export function eventGridPushEvent(o: PayloadOverrides & { eventId?: string } = {}): Payload {
  const data = pushPayload(o);
  return {
    id: o.eventId ?? randomUUID(),
    topic:
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myregistry',
    subject: `${String((data.target as Payload).repository)}:${String((data.target as Payload).tag)}`,
    eventType: 'Microsoft.ContainerRegistry.ImagePushed',
    eventTime: String(data.timestamp),
    data,
    dataVersion: '1.0',
    metadataVersion: '1',
  };
}
