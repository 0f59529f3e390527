// ROLLOUT_CONFIG's problems between fields: a home region, a workload's region or an approval wave
// that names what regions[] does not have, a region or workload listed twice. They read the raw
// JSON, so they are found in the same run as any type error elsewhere in it (a schema refinement
// would only run once the whole object parsed).

export interface CrossProblem {
  path: Array<string | number>;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isWave = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Each region's wave as the app assigns it: its own `wave`, else 0 for home and 1 for the rest. */
function wavesOf(regions: unknown[], home: unknown): Map<number, string[]> {
  const waves = new Map<number, string[]>();
  for (const r of regions) {
    if (!isObject(r) || typeof r.name !== 'string') continue;
    const wave = isWave(r.wave) ? r.wave : r.name === home ? 0 : 1;
    waves.set(wave, [...(waves.get(wave) ?? []), r.name]);
  }
  return waves;
}

export function crossFieldProblems(config: unknown): CrossProblem[] {
  if (!isObject(config)) return [];
  const problems: CrossProblem[] = [];
  const regions = listOf(config.regions);
  const names = regions.map((r) => (isObject(r) && typeof r.name === 'string' ? r.name : undefined));
  const known = names.filter((n): n is string => n !== undefined);
  const listed = known.length > 0 ? `regions[] has ${known.join(', ')}` : 'regions[] names none';

  names.forEach((n, i) => {
    if (n !== undefined && names.indexOf(n) !== i)
      problems.push({ path: ['regions', i, 'name'], message: `region ${n} is listed twice` });
  });

  const home = isObject(config.registry) ? config.registry.homeRegion : undefined;
  if (typeof home === 'string' && Array.isArray(config.regions) && !known.includes(home))
    problems.push({
      path: ['registry', 'homeRegion'],
      message: `${home} is not in regions[] (${listed}); the home region must be one of them`,
    });

  const workloads = listOf(config.workloads);
  workloads.forEach((w, i) => {
    if (!isObject(w)) return;
    listOf(w.regions).forEach((r, j) => {
      if (typeof r === 'string' && !known.includes(r))
        problems.push({
          path: ['workloads', i, 'regions', j],
          message: `region ${r} is not in regions[] (${listed})`,
        });
    });
    const id = [w.namespace, w.kind ?? 'Deployment', w.name, w.container];
    if (id.some((part) => typeof part !== 'string')) return;
    const twin = workloads.findIndex(
      (o, k) =>
        k < i &&
        isObject(o) &&
        [o.namespace, o.kind ?? 'Deployment', o.name, o.container].every((part, n) => part === id[n]),
    );
    if (twin >= 0)
      problems.push({
        path: ['workloads', i],
        message: `workload ${id.join('/')} is listed twice (also workloads[${twin}])`,
      });
  });

  const waves = wavesOf(regions, home);
  const policy = isObject(config.policy) ? config.policy : {};
  listOf(policy.approvalWaves).forEach((wave, k) => {
    if (!isWave(wave) || waves.has(wave)) return;
    const have = [...waves.entries()]
      .sort(([a], [b]) => a - b)
      .map(([n, rs]) => `${n} (${rs.join(', ')})`)
      .join(', ');
    problems.push({
      path: ['policy', 'approvalWaves', k],
      message: `no region is in wave ${wave}, so this approval would never be asked for; the waves are ${have || 'none'}`,
    });
  });
  return problems;
}
