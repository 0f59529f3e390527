// A small seeded PRNG (mulberry32) so drops, duplicates and random delays repeat per seed.
import { seededRandom } from '../prng';
import type { DelaySpec } from './types';

export class Prng {
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = seededRandom(seed);
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.random();
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  delay(spec: DelaySpec): number {
    return typeof spec === 'number' ? spec : this.int(spec[0], spec[1]);
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}
