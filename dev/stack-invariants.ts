// The product's invariants, read from a running stack: each cluster runs the newest release, the
// ledger says exactly what each cluster runs, no (release, cluster) was started more often than it
// had attempts, and nothing was pulled before its region's replica held it. The demo prints them;
// the tests that move images assert them (test/support/invariants.ts).
import type { LedgerView } from '../src/app/status/ledger';
import type { ReleasesPageView } from '../src/app/status/releases';
import { OLD_DIGEST, type Stack } from './stack';

/** A change that started a rollout on a cluster: the workload and the release annotation it carried. */
interface Start {
  workload: string;
  release: string | undefined;
}

/** The changes that moved each workload's spec (a new rollout), from the cluster's own records. */
export function clusterStarts(stack: Stack, region: string): Start[] {
  const k8s = stack.k8s[region];
  if (!k8s) {
    // An in-process AKS cluster: every pull of a new image is a new rollout (a kubelet's re-pull
    // of an image that failed to pull is not).
    const seen = new Map<string, string>();
    const starts: Start[] = [];
    for (const p of stack.aks.pulls().filter((x) => x.region === region)) {
      const previous = seen.get(p.workload);
      seen.set(p.workload, p.image);
      if (previous !== p.image) starts.push({ workload: p.workload, release: p.release });
    }
    return starts;
  }
  // A Kubernetes API simulator: a patch that moved the generation changed the spec.
  const generation = new Map<string, number>();
  const starts: Start[] = [];
  for (const p of k8s.patchLog) {
    const workload = `${p.namespace}/${p.resource}/${p.name}`;
    if (p.generation > (generation.get(workload) ?? 1)) starts.push({ workload, release: p.release });
    generation.set(workload, Math.max(p.generation, generation.get(workload) ?? 1));
  }
  return starts;
}

const digestOf = (image: string | undefined) => image?.split('@')[1];

/**
 * Every invariant that does not hold, as sentences (empty: all hold). `newest`: the digest each
 * cluster must run now, by workload key (`namespace/Kind/name/container`).
 */
export async function invariantProblems(stack: Stack, newest: Record<string, string>): Promise<string[]> {
  const problems: string[] = [];
  const ledger = await stack.api<LedgerView>('/api/ledger');
  const page = await stack.api<ReleasesPageView>('/api/releases?limit=100');
  const attempts = new Map<string, number>();
  for (const rel of page.releases)
    for (const r of rel.rollouts) attempts.set(`${rel.id}|${r.region}`, r.attempts);

  for (const region of stack.regions) {
    const running = stack.images(region);
    for (const [workload, digest] of Object.entries(newest)) {
      if (!(workload in running)) continue; // not deployed in this region
      if (digestOf(running[workload]) !== digest)
        problems.push(`${region}: ${workload} runs ${running[workload]}, not the newest release's ${digest}`);
    }
    const entries = ledger.regions.find((r) => r.region === region)?.workloads ?? [];
    for (const [workload, image] of Object.entries(running)) {
      const entry = entries.find((e) => e.workload === workload);
      // What the spec points at: the failed newer attempt's digest when there is one.
      const recorded = entry?.status === 'failed' ? entry.failed?.digest : entry?.digest;
      const runs = digestOf(image);
      if (recorded === undefined || recorded === null) {
        if (runs !== OLD_DIGEST) problems.push(`${region}: ${workload} runs ${runs}, the ledger has nothing`);
      } else if (recorded !== runs)
        problems.push(`${region}: ${workload} runs ${runs}, the ledger says ${recorded}`);
    }
    const counts = new Map<string, number>();
    for (const s of clusterStarts(stack, region)) {
      const key = `${s.release ?? '(no release annotation)'}|${s.workload}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of counts) {
      const [release, workload] = key.split('|') as [string, string];
      const allowed = Math.max(1, attempts.get(`${release}|${region}`) ?? 0);
      if (n > allowed)
        problems.push(
          `${region}: ${workload} was started ${n} times for release ${release} (${allowed} attempt(s))`,
        );
    }
    const refused = stack.pullFailures(region);
    if (refused > 0) problems.push(`${region}: ${refused} pull(s) before the replica held the digest`);
  }
  return problems;
}
