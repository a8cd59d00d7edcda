/**
 * Rubin Science Platform lab image tags: parse, order and resolve them, so every
 * execution can record which image type and version it ran on, and so image classes
 * (`latest-weekly`, …) can be resolved from the list of images a hub exposes.
 *
 * Grammar (`BODY` then optional suffixes, in this order):
 *   release    `r27_0_0` (legacy `r170` = 17.0.0)    version "27.0.0"
 *   candidate  `r27_0_0_rc1`                         version "27.0.0-rc1"
 *   weekly     `w_2024_10` (week 1–53)               version "2024_10"
 *   daily      `d_2024_03_05` (valid month/day)      version "2024-03-05"
 *   then `_cNNNN.NNN` cycle (build optional) and `_rspNN` in either order, each at most
 *   once, then `_<extra>` (everything left, underscores allowed; extra numeric parts of
 *   an r-tag such as `r27_0_0_1` are extra, not a fourth version number), then
 *   `-amd64` / `-arm64`.
 *   experimental `exp_<anything>`: when `<anything>` is itself a release/candidate/
 *   weekly/daily tag its fields are adopted and `wraps` names its type; otherwise
 *   `extra` holds `<anything>` and `version` is null.
 *   alias      a name in {@link RUBIN_ALIAS_TAGS}, optional `_cNNNN[.NNN]` and arch suffix
 *              (`recommended_c0029`, `latest-amd64`). Hubs may configure other alias
 *              names; those are indistinguishable from garbage and parse as unknown.
 *   unknown    everything else (all fields null, display name = the tag).
 * Tags are case-sensitive and never trimmed.
 */

/** The kinds of tag we distinguish. */
export type RubinTagType = VersionedTagType | "experimental" | "alias" | "unknown";

/** Types that carry a version (and can be wrapped by an experimental tag). */
export type VersionedTagType = "release" | "candidate" | "weekly" | "daily";

/** A parsed image tag. */
export interface RubinTag {
  /** The tag exactly as given. */
  tag: string;
  type: RubinTagType;
  /** "27.0.0", "27.0.0-rc1", "2024_10" or "2024-03-05"; null for alias/unknown/bare exp. */
  version: string | null;
  /** E.g. "Daily 2024_03_05 (cycle 37, build 12) (RSP build 19) [foo] (amd64)". */
  displayName: string;
  /** T&S cycle (`_c0037.012` → 37). */
  cycle: number | null;
  /** Build within the cycle (`_c0037.012` → 12). */
  cycleBuild: number | null;
  /** RSP build machinery number (`_rsp19` → 19). */
  rspBuild: number | null;
  /** Trailing free-form suffix; for a bare experimental tag, everything after `exp_`. */
  extra: string | null;
  /** `amd64` / `arm64` when the tag is architecture-specific. */
  architecture: string | null;
  /** For experimental tags wrapping a versioned tag, that tag's type. */
  wraps: VersionedTagType | null;
}

/** Image classes {@link resolveImageClass} understands (mobu's Nublado image options). */
export type RubinImageClass = "latest-release" | "latest-weekly" | "latest-daily" | "by-tag";

/** A described image reference: where it came from plus its parsed tag. */
export interface ImageDescription extends RubinTag {
  /** The input, trimmed. */
  reference: string;
  /** Registry and repository (`ghcr.io/lsst-sqre/sciplat-lab`); null for a bare tag. */
  repository: string | null;
  /** `sha256:…` if the reference is pinned by digest. */
  digest: string | null;
}

/** Alias names recognised as type `alias` (the ones Rubin hubs commonly configure). */
export const RUBIN_ALIAS_TAGS: readonly string[] = [
  "recommended", "latest", "latest-release", "latest-weekly", "latest-daily",
];

const LABELS: Record<VersionedTagType, string> = {
  release: "Release", candidate: "Release Candidate", weekly: "Weekly", daily: "Daily",
};
/** Ascending rank across types: sorting descending gives a spawner-menu-like order. */
const TYPE_RANK: Record<RubinTagType, number> = {
  unknown: 0, experimental: 1, daily: 2, weekly: 3, candidate: 4, release: 5, alias: 6,
};
const CLASS_TYPES: Record<Exclude<RubinImageClass, "by-tag">, RubinTagType> = {
  "latest-release": "release", "latest-weekly": "weekly", "latest-daily": "daily",
};

interface Suffix { cycle: number | null; cycleBuild: number | null; rspBuild: number | null; extra: string | null }
interface Base { type: VersionedTagType; version: string; label: string; rest: string | undefined }

const num = (s: string | undefined): number => Number(s);
const inRange = (s: string | undefined, lo: number, hi: number): boolean => num(s) >= lo && num(s) <= hi;

/** Recognise the versioned part of a tag (with the architecture already removed). */
function matchBase(body: string): Base | null {
  let m = /^r(\d+)_(\d+)_(\d+)_rc(\d+)(?:_(.+))?$/.exec(body);
  if (m) {
    const version = `${num(m[1])}.${num(m[2])}.${num(m[3])}-rc${num(m[4])}`;
    return { type: "candidate", version, label: `r${version}`, rest: m[5] };
  }
  m = /^r(\d+)_(\d+)_(\d+)(?:_(.+))?$/.exec(body) ?? /^r(\d\d)(\d)()$/.exec(body);
  if (m) {
    const version = `${num(m[1])}.${num(m[2])}.${num(m[3])}`;
    return { type: "release", version, label: `r${version}`, rest: m[4] || undefined };
  }
  m = /^w_(\d{4})_(\d{1,2})(?:_(.+))?$/.exec(body);
  if (m && inRange(m[2], 1, 53)) {
    const version = `${m[1]}_${m[2]}`;
    return { type: "weekly", version, label: version, rest: m[3] };
  }
  m = /^d_(\d{4})_(\d{2})_(\d{2})(?:_(.+))?$/.exec(body);
  if (m && inRange(m[2], 1, 12) && inRange(m[3], 1, 31)) {
    return { type: "daily", version: `${m[1]}-${m[2]}-${m[3]}`, label: `${m[1]}_${m[2]}_${m[3]}`, rest: m[4] };
  }
  return null;
}

/** Split `_c…`, `_rsp…` (any order, each once) and the free-form extra off a suffix. */
function parseSuffix(rest: string | undefined): Suffix {
  const out: Suffix = { cycle: null, cycleBuild: null, rspBuild: null, extra: null };
  const parts = rest === undefined ? [] : rest.split("_");
  for (let head = parts[0]; head !== undefined; head = parts[0]) {
    const c = out.cycle === null ? /^c(\d+)(?:\.(\d+))?$/.exec(head) : null;
    const r = out.rspBuild === null ? /^rsp(\d+)$/.exec(head) : null;
    if (c) {
      out.cycle = num(c[1]);
      out.cycleBuild = c[2] === undefined ? null : num(c[2]);
    } else if (r) out.rspBuild = num(r[1]);
    else break;
    parts.shift();
  }
  out.extra = parts.join("_") || null;
  return out;
}

const archSuffix = (architecture: string | null): string => (architecture === null ? "" : ` (${architecture})`);

function decorate(name: string, s: Suffix, architecture: string | null): string {
  if (s.cycle !== null) name += ` (cycle ${s.cycle}${s.cycleBuild === null ? "" : `, build ${s.cycleBuild}`})`;
  if (s.rspBuild !== null) name += ` (RSP build ${s.rspBuild})`;
  if (s.extra !== null) name += ` [${s.extra}]`;
  return name + archSuffix(architecture);
}

function unknownTag(tag: string): RubinTag {
  return {
    tag, type: "unknown", version: null, displayName: tag === "" ? "(untagged)" : tag,
    cycle: null, cycleBuild: null, rspBuild: null, extra: null, architecture: null, wraps: null,
  };
}

function parse(tag: string): RubinTag {
  const archMatch = /^(.+)-(amd64|arm64)$/.exec(tag);
  const body = archMatch?.[1] ?? tag;
  const architecture = archMatch?.[2] ?? null;
  const alias = /^([a-z]+(?:-[a-z]+)*)(?:_(c\d+(?:\.\d+)?))?$/.exec(body);
  if (alias?.[1] !== undefined && RUBIN_ALIAS_TAGS.includes(alias[1])) {
    const s = parseSuffix(alias[2]);
    const title = alias[1].split("-").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(" ");
    return { tag, type: "alias", version: null, displayName: decorate(title, s, architecture), ...s, architecture, wraps: null };
  }
  const base = matchBase(body);
  if (base) {
    const s = parseSuffix(base.rest);
    const displayName = decorate(`${LABELS[base.type]} ${base.label}`, s, architecture);
    return { tag, type: base.type, version: base.version, displayName, ...s, architecture, wraps: null };
  }
  const exp = /^exp_(.+)$/.exec(body);
  if (exp?.[1] !== undefined) {
    const inner = parse(exp[1]);
    const wrapped = Object.hasOwn(LABELS, inner.type);
    const displayName = `Experimental ${wrapped ? inner.displayName : exp[1]}${archSuffix(architecture)}`;
    if (wrapped) {
      const wraps = inner.type as VersionedTagType;
      return { ...inner, tag, type: "experimental", displayName, architecture: architecture ?? inner.architecture, wraps };
    }
    return { ...unknownTag(tag), type: "experimental", displayName, extra: exp[1], architecture };
  }
  return unknownTag(tag);
}

/** Parse a bare image tag (no repository). Never throws: anything unrecognised is `unknown`. */
export function parseRubinTag(tag: string): RubinTag {
  if (typeof tag !== "string") return unknownTag(String(tag));
  try {
    return parse(tag);
  } catch {
    return unknownTag(tag);
  }
}

const versionNumbers = (v: string | null): number[] => (v?.match(/\d+/g) ?? []).map(Number);
const cmp = <T extends number | string>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);
const cmpNull = <T extends number | string>(a: T | null, b: T | null): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : cmp(a, b);
/** Plain (multi-arch) tags sort above amd64, which sorts above arm64. */
const archRank = (a: string | null): number => (a === null ? 2 : a === "amd64" ? 1 : 0);

/**
 * Total order, ascending (oldest/least preferred first). Across types:
 * unknown < experimental < daily < weekly < candidate < release < alias, so a descending
 * sort reads like a spawner menu. Within a type: wrapped type (experimental), version
 * numerically, cycle, cycle build, RSP build (absent < present), extra (absent first,
 * then by string), architecture (arm64 < amd64 < plain), and finally the tag string.
 * Returns -1, 0 (only for identical tags) or 1. Accepts parsed tags or raw strings.
 */
export function compareRubinTags(a: RubinTag | string, b: RubinTag | string): number {
  const x = typeof a === "string" ? parseRubinTag(a) : a;
  const y = typeof b === "string" ? parseRubinTag(b) : b;
  const byType = cmp(TYPE_RANK[x.type], TYPE_RANK[y.type]) ||
    cmp(x.wraps ? TYPE_RANK[x.wraps] : -1, y.wraps ? TYPE_RANK[y.wraps] : -1);
  if (byType) return byType;
  const xs = versionNumbers(x.version);
  const ys = versionNumbers(y.version);
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const d = cmpNull(xs[i] ?? null, ys[i] ?? null);
    if (d) return d;
  }
  return cmpNull(x.cycle, y.cycle) || cmpNull(x.cycleBuild, y.cycleBuild) ||
    cmpNull(x.rspBuild, y.rspBuild) || cmpNull(x.extra, y.extra) ||
    cmp(archRank(x.architecture), archRank(y.architecture)) || cmp(x.tag, y.tag);
}

/**
 * Pick a tag from the tags a hub exposes. `latest-*` returns the newest tag of that type
 * (per {@link compareRubinTags}); architecture-suffixed tags are ignored whenever any
 * plain tag of the type exists (they duplicate a multi-arch tag, or are a build still
 * being pushed), and are only used when nothing else of that type is available.
 * `by-tag` returns `tag` if the list contains it. Returns null when nothing matches.
 */
export function resolveImageClass(tags: readonly string[], imageClass: RubinImageClass, tag?: string): string | null {
  if (imageClass === "by-tag") return tag !== undefined && tags.includes(tag) ? tag : null;
  const wanted = CLASS_TYPES[imageClass] as RubinTagType | undefined;
  const ofType = tags.map(parseRubinTag).filter((t) => t.type === wanted);
  const plain = ofType.filter((t) => t.architecture === null);
  const pool = plain.length > 0 ? plain : ofType;
  let best: RubinTag | null = null;
  for (const t of pool) if (best === null || compareRubinTags(t, best) > 0) best = t;
  return best?.tag ?? null;
}

/**
 * Describe a full image reference (`registry[:port]/path/name[:tag][@digest]`) or a
 * bare tag (input with no `/`, `:` or `@`). A reference without a tag gets Docker's
 * implicit `latest`, unless it is pinned by digest, in which case the tag is "" (unknown).
 */
export function describeImage(referenceOrTag: string): ImageDescription {
  const reference = String(referenceOrTag).trim();
  const at = reference.indexOf("@");
  const name = at < 0 ? reference : reference.slice(0, at);
  const digest = at < 0 ? null : reference.slice(at + 1) || null;
  const colon = name.lastIndexOf(":");
  const slash = name.lastIndexOf("/");
  if (colon < 0 && slash < 0 && at < 0) return { ...parseRubinTag(name), reference, repository: null, digest };
  const repository = colon > slash ? name.slice(0, colon) : name;
  const tag = colon > slash ? name.slice(colon + 1) : digest === null ? "latest" : "";
  return { ...parseRubinTag(tag), reference, repository, digest };
}
