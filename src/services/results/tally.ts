/**
 * A tally of executions: counts, failure classes, and duration histograms per phase and per
 * notebook. Durations go into one bin per ms up to 64 ms, then logarithmic bins (each 5 % wider
 * than the last), so a quantile read from a tally is exact to the ms below 64 ms and within
 * 2.5 % above, and tallies can be added and subtracted
 * exactly — which is what lets rolling windows drop an expired bucket in O(its size).
 * @module
 */
import type { ExecutionSample } from "../../store/history-types.js";

const GAMMA = 1.05;
const LOG_GAMMA = Math.log(GAMMA);
/** Durations under LINEAR ms get one bin per whole ms (exact for the integer ms Troop records). */
const LINEAR = 64;
/** Bin k ≥ LINEAR holds [LINEAR·γ^(k-LINEAR), LINEAR·γ^(k-LINEAR+1)) ms; the last bin is open. */
const LAST_BIN = LINEAR + 420; // 64 ms · γ^420 ≈ 18 years

/** The bin of a duration in ms. */
export function binOf(ms: number): number {
  if (!(ms > 0)) return 0;
  if (ms < LINEAR) return Math.floor(ms);
  return Math.min(LAST_BIN, LINEAR + Math.floor(Math.log(ms / LINEAR) / LOG_GAMMA + 1e-9));
}

/** The value standing for a bin: its whole ms below LINEAR, else the harmonic mean of its bounds (least worst relative error). */
export function valueOfBin(bin: number): number {
  if (bin < LINEAR) return Math.max(0, bin);
  const lo = LINEAR * GAMMA ** (bin - LINEAR);
  const hi = lo * GAMMA;
  return (2 * lo * hi) / (lo + hi);
}

/** Sparse histogram: bin → count. */
export type Bins = Map<number, number>;

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}

function bumpBin(bins: Bins, bin: number, by: number): void {
  const n = (bins.get(bin) ?? 0) + by;
  if (n === 0) bins.delete(bin);
  else bins.set(bin, n);
}

/** Quantile `q` (0–1) of a histogram, nearest rank; null when empty. */
export function quantile(bins: Bins, q: number): number | null {
  let total = 0;
  for (const n of bins.values()) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  const keys = [...bins.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const k of keys) {
    seen += bins.get(k)!;
    if (seen >= rank) return valueOfBin(k);
  }
  return valueOfBin(keys.at(-1)!);
}

export interface NotebookTally {
  runs: number;
  failures: number;
  bins: Bins;
}

/** Counts and histograms of a set of executions; `sign` -1 removes what +1 added. */
export class Tally {
  executions = 0;
  successes = 0;
  failures = 0;
  skipped = 0;
  readonly classes = new Map<string, number>();
  readonly phases = new Map<string, Bins>();
  readonly notebooks = new Map<string, NotebookTally>();

  get empty(): boolean {
    return this.executions === 0;
  }

  add(s: ExecutionSample, sign: 1 | -1 = 1): void {
    this.executions += sign;
    if (s.result === "success") this.successes += sign;
    else if (s.result === "failure") this.failures += sign;
    else this.skipped += sign;
    if (s.result === "failure") bump(this.classes, s.failureClass ?? "internal", sign);
    for (const [name, ms] of s.phases) this.binsOf(name, this.phases, sign, binOf(ms));
    if (s.notebook !== null) {
      const nb = this.notebookOf(s.notebook);
      nb.runs += sign;
      if (s.result === "failure") nb.failures += sign;
      if (s.notebookMs !== null) bumpBin(nb.bins, binOf(s.notebookMs), sign);
      if (nb.runs === 0) this.notebooks.delete(s.notebook);
    }
  }

  /** Add (or with -1 subtract) another tally. */
  merge(other: Tally, sign: 1 | -1): void {
    this.executions += sign * other.executions;
    this.successes += sign * other.successes;
    this.failures += sign * other.failures;
    this.skipped += sign * other.skipped;
    for (const [k, n] of other.classes) bump(this.classes, k, sign * n);
    for (const [name, bins] of other.phases) for (const [bin, n] of bins) this.binsOf(name, this.phases, sign * n, bin);
    for (const [path, o] of other.notebooks) {
      const nb = this.notebookOf(path);
      nb.runs += sign * o.runs;
      nb.failures += sign * o.failures;
      for (const [bin, n] of o.bins) bumpBin(nb.bins, bin, sign * n);
      if (nb.runs === 0) this.notebooks.delete(path);
    }
  }

  private binsOf(name: string, map: Map<string, Bins>, by: number, bin: number): void {
    let bins = map.get(name);
    if (!bins) map.set(name, (bins = new Map()));
    bumpBin(bins, bin, by);
    if (bins.size === 0) map.delete(name);
  }

  private notebookOf(path: string): NotebookTally {
    let nb = this.notebooks.get(path);
    if (!nb) this.notebooks.set(path, (nb = { runs: 0, failures: 0, bins: new Map() }));
    return nb;
  }
}
