// Progress read from status (what `kubectl rollout status` decides) and the fail-fast rule.
import { describe, expect, it } from 'vitest';
import {
  failFast,
  stuckContainers,
  trackStuck,
  workloadProgress,
  type PodView,
} from '../../src/core/rollout/k8s-progress';

const deploy = (status: object, generation = 2, replicas = 3) => ({
  metadata: { generation },
  spec: { replicas },
  status,
});

describe('workloadProgress', () => {
  it('Deployment: waits for the observed generation, then updated, old-terminated and available replicas', () => {
    expect(
      workloadProgress(
        'Deployment',
        deploy({ observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
      ).state,
    ).toBe('progressing');
    expect(
      workloadProgress(
        'Deployment',
        deploy({ observedGeneration: 2, updatedReplicas: 1, replicas: 4, availableReplicas: 3 }),
      ),
    ).toMatchObject({
      state: 'progressing',
      detail: '1 of 3 new replicas updated',
    });
    expect(
      workloadProgress(
        'Deployment',
        deploy({ observedGeneration: 2, updatedReplicas: 3, replicas: 5, availableReplicas: 5 }),
      ).state,
    ).toBe('progressing');
    expect(
      workloadProgress(
        'Deployment',
        deploy({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }),
      ).state,
    ).toBe('progressing');
    expect(
      workloadProgress(
        'Deployment',
        deploy({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
      ).state,
    ).toBe('succeeded');
  });

  it('Deployment: ProgressDeadlineExceeded fails with the condition message', () => {
    const conditions = [
      {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: 'ReplicaSet "web-1" has timed out progressing.',
      },
    ];
    expect(
      workloadProgress(
        'Deployment',
        deploy({ observedGeneration: 2, updatedReplicas: 3, replicas: 6, conditions }),
      ),
    ).toEqual({
      state: 'failed',
      reason: 'ProgressDeadlineExceeded',
      detail: 'ReplicaSet "web-1" has timed out progressing.',
    });
  });

  it('StatefulSet: ready replicas and updateRevision == currentRevision', () => {
    const sts = (status: object) => ({
      metadata: { generation: 3 },
      spec: { replicas: 2 },
      status: { observedGeneration: 3, ...status },
    });
    expect(
      workloadProgress(
        'StatefulSet',
        sts({ readyReplicas: 2, updateRevision: 'db-2', currentRevision: 'db-1' }),
      ).state,
    ).toBe('progressing');
    expect(
      workloadProgress(
        'StatefulSet',
        sts({ readyReplicas: 1, updateRevision: 'db-2', currentRevision: 'db-2' }),
      ).state,
    ).toBe('progressing');
    expect(
      workloadProgress(
        'StatefulSet',
        sts({ readyReplicas: 2, updateRevision: 'db-2', currentRevision: 'db-2' }),
      ).state,
    ).toBe('succeeded');
  });

  it('DaemonSet: updatedNumberScheduled and numberAvailable against desiredNumberScheduled', () => {
    const ds = (status: object) => ({
      metadata: { generation: 2 },
      status: { observedGeneration: 2, desiredNumberScheduled: 3, ...status },
    });
    expect(workloadProgress('DaemonSet', ds({ updatedNumberScheduled: 2, numberAvailable: 3 })).state).toBe(
      'progressing',
    );
    expect(workloadProgress('DaemonSet', ds({ updatedNumberScheduled: 3, numberAvailable: 2 })).state).toBe(
      'progressing',
    );
    expect(workloadProgress('DaemonSet', ds({ updatedNumberScheduled: 3, numberAvailable: 3 })).state).toBe(
      'succeeded',
    );
  });
});

describe('fail fast', () => {
  const pod = (name: string, reason?: string): PodView => ({
    metadata: { name },
    status: {
      containerStatuses: [
        { name: 'app', state: reason ? { waiting: { reason, message: `${reason} msg` } } : {} },
      ],
    },
  });

  it('only the stuck reasons count; ContainerCreating does not', () => {
    const stuck = stuckContainers([
      pod('a', 'ImagePullBackOff'),
      pod('b', 'ContainerCreating'),
      pod('c'),
      pod('d', 'CreateContainerConfigError'),
    ]);
    expect(stuck.map((s) => `${s.pod}:${s.reason}`)).toEqual([
      'a:ImagePullBackOff',
      'd:CreateContainerConfigError',
    ]);
  });

  it('fails only after a container stayed stuck longer than failFastSeconds, across ErrImagePull/BackOff flips', () => {
    let seen = trackStuck(new Map(), stuckContainers([pod('a', 'ErrImagePull')]), 0);
    seen = trackStuck(seen, stuckContainers([pod('a', 'ImagePullBackOff')]), 60_000);
    expect(failFast(stuckContainers([pod('a', 'ImagePullBackOff')]), seen, 120_000, 120)).toEqual({
      fail: false,
    });
    const decision = failFast(stuckContainers([pod('a', 'ImagePullBackOff')]), seen, 120_001, 120);
    expect(decision).toMatchObject({
      fail: true,
      reason: 'ImagePullBackOff',
      pod: 'a',
      message: 'a/app: ImagePullBackOff: ImagePullBackOff msg',
    });
  });

  it('a pod that recovers starts its clock over', () => {
    let seen = trackStuck(new Map(), stuckContainers([pod('a', 'ErrImagePull')]), 0);
    seen = trackStuck(seen, stuckContainers([pod('a')]), 50_000);
    seen = trackStuck(seen, stuckContainers([pod('a', 'CrashLoopBackOff')]), 100_000);
    expect(failFast(stuckContainers([pod('a', 'CrashLoopBackOff')]), seen, 200_000, 120).fail).toBe(false);
  });
});
