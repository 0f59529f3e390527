// Public shapes of the ACR simulator: options, pushes, faults, webhooks and introspection.

/** Fixed delay in ms, or a [min, max] range drawn per push from the seeded PRNG. */
export type DelaySpec = number | readonly [number, number];

export interface WebhookConfig {
  /** The replica region this webhook belongs to (ACR `--location`). */
  region: string;
  /** Usually `.../api/acr/events/<region>`. */
  url: string;
  /** Custom headers, e.g. `{ Authorization: 'Bearer <secret>' }`. */
  headers?: Record<string, string>;
  /** ACR scope syntax: `repo:*`, `repo:tag`, `repo` (= repo:latest); empty or absent = everything. */
  scope?: string;
  /** Actions this webhook fires for; default push and delete. */
  actions?: Array<'push' | 'delete' | 'quarantine' | 'ping'>;
  /**
   * `acr` (default): ACR's webhook, a bare payload, no retry. `event-grid`: the registry's Event
   * Grid subscription instead: the Event Grid schema (an array of one event, `aeg-event-type:
   * Notification`), pushes only, and a non-2xx answer or no answer is retried with back-off.
   */
  schema?: 'acr' | 'event-grid';
}

/** A registry-call fault in one region. */
export interface RegistryFault {
  /** 403: the identity lacks AcrPull (ACR's DENIED); 429/503 throttled/unavailable; hang: no answer. */
  kind: '403' | '429' | '503' | 'hang';
  /** For 429/503: the Retry-After seconds to send (omitted when undefined). */
  retryAfterSeconds?: number;
  /** Fault only the next N matching requests; undefined = until cleared. */
  count?: number;
  /** Which calls it hits: registry (/v2, /acr/v1; default), auth (/oauth2/*) or all. */
  target?: 'registry' | 'auth' | 'all';
}

export interface FaultSettings {
  /** Fraction (0..1) of webhook deliveries silently not sent (the seeded PRNG decides). */
  dropRate: number;
  /** Extra copies sent for each delivery. */
  duplicates: number;
  /** Extra delay before each delivery. */
  extraDelayMs: DelaySpec;
  /** When true each delivery copy gets a random 0..reorderWindowMs delay, so they arrive out of order. */
  reorder: boolean;
  reorderWindowMs: number;
  /** Per-region registry faults. */
  registry: Record<string, RegistryFault | undefined>;
  /** Regions whose replication never completes while listed (landing resumes once removed). */
  stuckRegions: string[];
}

export interface AcrSimulatorOptions {
  /**
   * What a regional push event's `timestamp` carries: when the image landed in that region
   * (default) or the push time. ACR does not document which; tests choose per scenario.
   */
  regionalTimestamp?: 'landing' | 'push' | undefined;
  /** Regions of the registry; the home region among them. */
  regions: string[];
  home: string;
  /** 0 (default) = a free port. Always bound to 127.0.0.1. */
  port?: number;
  /** The global login server named in payloads and challenges; default myregistry.azurecr.io. */
  loginServer?: string;
  /** The Entra token /oauth2/exchange accepts; default local-dev-token. */
  aadToken?: string;
  /** Token lifetimes in seconds; defaults 10800 (refresh) and 3600 (access). */
  refreshTokenTtlSeconds?: number;
  accessTokenTtlSeconds?: number;
  /** Replication delay per non-receiving region; default `defaultDelayMs`. */
  delays?: Record<string, DelaySpec>;
  defaultDelayMs?: DelaySpec;
  seed?: number;
  /** 404 an index unless every manifest Accept type is sent (as ACR does); default true. */
  requireAllAcceptTypes?: boolean;
  webhooks?: WebhookConfig[];
  /** Largest page _tags serves whatever `n` asks (to exercise paging); default 100. */
  tagsPageSize?: number;
  /** Webhook client timeout; ACR's is 5 s. */
  webhookTimeoutMs?: number;
  faults?: Partial<FaultSettings>;
}

export interface PushInput {
  repository: string;
  /** Empty or absent: a push by digest only. */
  tag?: string;
  digest?: string;
  receivingRegion?: string;
  mediaType?: string;
  /** false: the image lands as usual but no region sends its webhook (as if each were lost). */
  webhooks?: boolean;
}

export interface PushRecord {
  id: string;
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
  receivingRegion: string;
  pushedAt: string;
  /** Per region: when it is due to land (undefined while stuck) and when it landed. */
  regions: Record<string, { dueAt?: string | undefined; landedAt?: string | undefined }>;
  /** Present (false) for a push whose webhooks are not sent. */
  webhooks?: false;
}

export interface DeliveryRecord {
  seq: number;
  eventId: string;
  action: string;
  region: string;
  url: string;
  status?: number | undefined;
  error?: string | undefined;
  sentAt: string;
  durationMs: number;
  dropped: boolean;
  duplicate: boolean;
  payload: AcrEventPayload;
  /** Event Grid deliveries: how many attempts were made. */
  attempts?: number | undefined;
}

export interface AcrEventPayload {
  id: string;
  timestamp: string;
  action: string;
  target?: {
    mediaType?: string;
    size?: number;
    digest?: string;
    length?: number;
    repository?: string;
    tag?: string;
  };
  request?: { id: string; host: string; method: string; useragent: string };
}

export type PathKind = 'manifest' | 'tags' | 'tag' | 'exchange' | 'token' | 'ping' | 'other';

/** `holds` as the AKS simulator receives it: synchronous. */
export type ReplicaHolds = (region: string, repository: string, digest: string) => boolean;
