// Watches as the API server streams them: one JSON event per line, replaying what changed
// after the requested resourceVersion (so a list-then-watch never misses a write), the initial
// events plus a BOOKMARK for `sendInitialEvents=true`, and an end after `timeoutSeconds`.
import type http from 'node:http';
import {
  apiVersionOf,
  KIND_OF,
  meta,
  type JsonObject,
  type K8sStore,
  type Resource,
  type WatchType,
} from './store';

interface Event {
  rv: number;
  type: WatchType;
  resource: Resource;
  obj: JsonObject;
}

const HISTORY = 5000;

export class WatchHub {
  private readonly history: Event[] = [];
  private readonly open = new Set<http.ServerResponse>();

  constructor(private readonly store: K8sStore) {
    store.subscribe((type, resource, obj) => {
      this.history.push({ rv: Number(meta(obj).resourceVersion), type, resource, obj });
      if (this.history.length > HISTORY) this.history.shift();
    });
  }

  serve(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    resource: Resource,
    filter: (o: JsonObject) => boolean,
  ): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // Headers go out now: a client waits for them before it counts the watch as started.
    res.flushHeaders();
    const write = (type: string, obj: JsonObject) => res.write(`${JSON.stringify({ type, object: obj })}\n`);
    const from = url.searchParams.get('resourceVersion');
    if (url.searchParams.get('sendInitialEvents') === 'true' || !from || from === '0') {
      for (const o of this.store.list(resource).filter(filter)) write('ADDED', o);
      if (url.searchParams.get('sendInitialEvents') === 'true') {
        write('BOOKMARK', {
          kind: KIND_OF[resource],
          apiVersion: apiVersionOf(resource),
          metadata: {
            resourceVersion: this.store.resourceVersion,
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
      }
    } else {
      const since = Number(from);
      for (const e of this.history)
        if (e.rv > since && e.resource === resource && filter(e.obj)) write(e.type, e.obj);
    }
    const unsubscribe = this.store.subscribe((type, r, obj) => {
      if (r === resource && filter(obj)) write(type, obj);
    });
    const seconds = Number(url.searchParams.get('timeoutSeconds') ?? '1800');
    const timer = setTimeout(() => res.end(), Math.max(1, seconds) * 1000);
    timer.unref();
    this.open.add(res);
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      this.open.delete(res);
    };
    res.on('close', done);
    req.on('close', done);
  }

  closeAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }
}
