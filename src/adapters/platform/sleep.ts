// The real wait behind the core's injectable Sleep (tests pass one that returns at once).
import { setTimeout as timersSleep } from 'node:timers/promises';
import type { Sleep } from '../../core/platform';

export const realSleep: Sleep = (ms, signal) => timersSleep(ms, undefined, signal ? { signal } : undefined);
