// The simulated AKS clusters behind a loopback ARM endpoint (see server.ts).
export { AksSimulator, acrControlHolds } from './server';
export type { AksSimulatorOptions, SimRequestRecord, SimRunCommandRecord, SimTunables } from './server';
export type {
  PullRecord,
  ReplicaHolds,
  SimClusterConfig,
  SimContainer,
  SimWorkloadConfig,
  SimWorkloadState,
} from './cluster';
export type { FaultOperation, FaultRule } from './faults';
export { KubectlRunner, findExecutable, findKubectl, type KubernetesApiAccess } from './kubectl-runner';
