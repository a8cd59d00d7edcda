/**
 * The parameters file of a query set (`params.yaml`) and the random values drawn from it.
 * mobu's keys keep their meaning (ranges for ra/dec/radius, object ids, an MJD time range), so
 * a mobu query set can be dropped in; `variables` adds template variables of one's own.
 * Every draw takes a `random()` source, so a fixed seed gives fixed queries.
 * @module
 */
import { z } from "zod";

/** A number as YAML may give it (integers are read as bigint so object ids stay exact). */
const num = z.union([z.number(), z.bigint().transform(Number)]);
const scalar = z.union([z.string(), z.bigint().transform(String), z.number(), z.boolean()]);

/** One user-defined variable: a constant, a uniform range, a choice, or a sample of a list. */
const variableSchema = z.union([
  scalar,
  z.strictObject({ min: num, max: num, integer: z.boolean().default(false) }).refine((v) => v.max >= v.min, "max must be ≥ min"),
  z.strictObject({ choice: z.array(scalar).min(1) }),
  z.strictObject({ sample: z.array(scalar).min(1), count: z.number().int().min(1) }),
]);

/** Schema of `params.yaml` (every key optional; the defaults are mobu's). */
export const paramsFileSchema = z.strictObject({
  min_ra: num.default(55),
  max_ra: num.default(70),
  min_dec: num.default(-42),
  max_dec: num.default(-30),
  min_radius: num.default(0.01),
  radius_range: num.default(0.04),
  radius_near_range: num.default(0.09),
  object_ids: z.array(z.union([z.bigint().transform(String), z.number().transform(String), z.string()])).default([]),
  start_time: num.optional().meta({ description: "Start of the time range (MJD) of SIA searches" }),
  end_time: num.optional().meta({ description: "End of the time range (MJD) of SIA searches" }),
  time_range: num.optional().meta({ description: "Length (days) of the random TIME interval within start_time..end_time; absent: the whole range" }),
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable name is a letter or _ then letters, digits, _"), variableSchema).default({}),
});
export type QueryParams = z.output<typeof paramsFileSchema>;

/** The parameters of a set without params.yaml. */
export const DEFAULT_PARAMS: QueryParams = paramsFileSchema.parse({});

/** Uniform in [min, max). */
function uniform(random: () => number, min: number, max: number): number {
  return min + random() * (max - min);
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.min(list.length - 1, Math.floor(random() * list.length))]!;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `troop-` + 16 base-62 characters, from `random` (so seeded runs repeat it). */
export function queryId(random: () => number): string {
  let id = "troop-";
  for (let i = 0; i < 16; i++) id += BASE62.charAt(Math.min(61, Math.floor(random() * 62)));
  return id;
}

/** A random convex polygon around a random centre: "ra1, dec1, ra2, dec2, …" (3 to 7 vertices). */
function polygon(random: () => number, p: QueryParams): string {
  const ra = uniform(random, p.min_ra, p.max_ra);
  const dec = uniform(random, p.min_dec, p.max_dec);
  const r = p.min_radius + random() * p.radius_range;
  const n = 3 + Math.floor(random() * 5);
  const phi = random() * 2 * Math.PI;
  const coords: number[] = [];
  for (let i = 0; i < n; i++) {
    const theta = phi + (i * 2 * Math.PI) / n;
    coords.push(ra + r * Math.sin(theta), dec + r * Math.cos(theta));
  }
  return coords.join(", ");
}

/** Values of a template's variables for one query. */
export type TemplateVariables = Record<string, string | number | boolean>;

/**
 * Draw the variables of one query: ra, dec, radius, radius_near, polygon, min_flux, max_flux,
 * min_mag, max_mag, object and objects (when object_ids is set), username, query_id, and every
 * entry of `variables`.
 */
export function drawVariables(p: QueryParams, random: () => number, username: string): TemplateVariables {
  const minFlux = random() * 0.001;
  const minMag = 15 + random() * 15;
  const v: TemplateVariables = {
    ra: uniform(random, p.min_ra, p.max_ra),
    dec: uniform(random, p.min_dec, p.max_dec),
    radius: p.min_radius + random() * p.radius_range,
    radius_near: p.min_radius + random() * p.radius_near_range,
    polygon: polygon(random, p),
    min_flux: minFlux,
    max_flux: minFlux + 0.00001,
    min_mag: minMag,
    max_mag: minMag + 0.1,
    username,
    query_id: queryId(random),
  };
  if (p.object_ids.length > 0) {
    v.object = pick(random, p.object_ids);
    v.objects = Array.from({ length: 12 }, () => pick(random, p.object_ids)).join(", ");
  }
  for (const [name, spec] of Object.entries(p.variables)) {
    if (typeof spec !== "object") v[name] = spec;
    else if ("choice" in spec) v[name] = pick(random, spec.choice);
    else if ("sample" in spec) v[name] = Array.from({ length: spec.count }, () => pick(random, spec.sample)).join(", ");
    else v[name] = spec.integer ? Math.floor(uniform(random, spec.min, spec.max + 1)) : uniform(random, spec.min, spec.max);
  }
  return v;
}

/** One SIA search drawn from a query set: a cone and, when the set has a time range, an interval. */
export interface SiaDraw {
  circle: { ra: number; dec: number; radius: number };
  time?: [number, number];
}

/** Draw a random POS (circle) and TIME (interval within start_time..end_time) for SIA. */
export function drawSiaQuery(p: QueryParams, random: () => number): SiaDraw {
  const draw: SiaDraw = {
    circle: { ra: uniform(random, p.min_ra, p.max_ra), dec: uniform(random, p.min_dec, p.max_dec), radius: p.min_radius + random() * p.radius_range },
  };
  if (p.start_time !== undefined && p.end_time !== undefined) {
    const span = p.end_time - p.start_time;
    const length = p.time_range === undefined ? span : Math.min(p.time_range, span);
    const start = p.start_time + random() * (span - length);
    draw.time = [start, start + length];
  }
  return draw;
}
