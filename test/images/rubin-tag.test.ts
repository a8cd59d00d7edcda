import { describe, expect, it } from "vitest";
import {
  compareRubinTags,
  describeImage,
  parseRubinTag,
  resolveImageClass,
  type RubinImageClass,
  type RubinTag,
} from "../../src/images/rubin-tag.js";

type Expected = Partial<Omit<RubinTag, "tag">> & Pick<RubinTag, "type">;

const NULLS = {
  version: null,
  cycle: null,
  cycleBuild: null,
  rspBuild: null,
  extra: null,
  architecture: null,
  wraps: null,
};

function expectParsed(tag: string, expected: Expected): void {
  expect(parseRubinTag(tag)).toEqual({ ...NULLS, displayName: tag, tag, ...expected });
}

describe("parseRubinTag: plain tags of each type", () => {
  const cases: [string, Expected][] = [
    ["r27_0_0", { type: "release", version: "27.0.0", displayName: "Release r27.0.0" }],
    ["r22_10_3", { type: "release", version: "22.10.3", displayName: "Release r22.10.3" }],
    ["r170", { type: "release", version: "17.0.0", displayName: "Release r17.0.0" }],
    ["r27_0_0_rc1", { type: "candidate", version: "27.0.0-rc1", displayName: "Release Candidate r27.0.0-rc1" }],
    ["r28_1_2_rc12", { type: "candidate", version: "28.1.2-rc12", displayName: "Release Candidate r28.1.2-rc12" }],
    ["w_2024_10", { type: "weekly", version: "2024_10", displayName: "Weekly 2024_10" }],
    ["w_2024_5", { type: "weekly", version: "2024_5", displayName: "Weekly 2024_5" }],
    ["d_2024_03_05", { type: "daily", version: "2024-03-05", displayName: "Daily 2024_03_05" }],
    ["recommended", { type: "alias", displayName: "Recommended" }],
    ["latest", { type: "alias", displayName: "Latest" }],
    ["latest-weekly", { type: "alias", displayName: "Latest Weekly" }],
    ["latest-release", { type: "alias", displayName: "Latest Release" }],
    ["latest-daily", { type: "alias", displayName: "Latest Daily" }],
    ["recommended_c0029", { type: "alias", cycle: 29, displayName: "Recommended (cycle 29)" }],
    ["latest-amd64", { type: "alias", architecture: "amd64", displayName: "Latest (amd64)" }],
    ["recommended_c0029.001", { type: "alias", cycle: 29, cycleBuild: 1, displayName: "Recommended (cycle 29, build 1)" }],
    ["latest-weekly-arm64", { type: "alias", architecture: "arm64", displayName: "Latest Weekly (arm64)" }],
  ];
  it.each(cases)("parses %s", (tag, expected) => expectParsed(tag, expected));

  it("treats extra numeric parts of an r-tag as extra, not a fourth version part", () => {
    expectParsed("r27_0_0_1", { type: "release", version: "27.0.0", extra: "1", displayName: "Release r27.0.0 [1]" });
  });

  it("normalises leading zeros in release numbers", () => {
    expect(parseRubinTag("r27_00_01").version).toBe("27.0.1");
  });
});

describe("parseRubinTag: every suffix combination", () => {
  const bases = [
    { body: "r27_0_0", type: "release", version: "27.0.0", name: "Release r27.0.0", wraps: null },
    { body: "r27_0_0_rc1", type: "candidate", version: "27.0.0-rc1", name: "Release Candidate r27.0.0-rc1", wraps: null },
    { body: "w_2024_10", type: "weekly", version: "2024_10", name: "Weekly 2024_10", wraps: null },
    { body: "d_2024_03_05", type: "daily", version: "2024-03-05", name: "Daily 2024_03_05", wraps: null },
    { body: "exp_w_2024_10", type: "experimental", version: "2024_10", name: "Experimental Weekly 2024_10", wraps: "weekly" },
    { body: "exp_r27_0_0_rc1", type: "experimental", version: "27.0.0-rc1", name: "Experimental Release Candidate r27.0.0-rc1", wraps: "candidate" },
  ] as const;
  const cycles = [
    { s: "", cycle: null, cycleBuild: null, name: "" },
    { s: "_c0037.012", cycle: 37, cycleBuild: 12, name: " (cycle 37, build 12)" },
  ];
  const rsps = [
    { s: "", rspBuild: null, name: "" },
    { s: "_rsp19", rspBuild: 19, name: " (RSP build 19)" },
  ];
  const extras = [
    { s: "", extra: null, name: "" },
    { s: "_20240307", extra: "20240307", name: " [20240307]" },
    { s: "_foo_bar", extra: "foo_bar", name: " [foo_bar]" },
  ];
  const arches = [
    { s: "", architecture: null, name: "" },
    { s: "-amd64", architecture: "amd64", name: " (amd64)" },
    { s: "-arm64", architecture: "arm64", name: " (arm64)" },
  ];
  const cases: [string, Expected][] = [];
  for (const b of bases)
    for (const c of cycles)
      for (const r of rsps)
        for (const e of extras)
          for (const a of arches) {
            const expected: Expected = {
              type: b.type,
              version: b.version,
              wraps: b.wraps,
              cycle: c.cycle,
              cycleBuild: c.cycleBuild,
              rspBuild: r.rspBuild,
              extra: e.extra,
              architecture: a.architecture,
              displayName: b.name + c.name + r.name + e.name + a.name,
            };
            cases.push([b.body + c.s + r.s + e.s + a.s, expected]);
            // The RSP build may also come before the cycle.
            if (c.s && r.s) cases.push([b.body + r.s + c.s + e.s + a.s, expected]);
          }

  it.each(cases)("parses %s", (tag, expected) => expectParsed(tag, expected));

  it("accepts a cycle without a cycle build", () => {
    expectParsed("w_2024_10_c0037", { type: "weekly", version: "2024_10", cycle: 37, displayName: "Weekly 2024_10 (cycle 37)" });
  });

  it("takes only the first cycle and rsp parts; repeats go to extra", () => {
    const t = parseRubinTag("w_2024_10_rsp1_c0001.002_rsp2_c0003.004");
    expect(t).toMatchObject({ rspBuild: 1, cycle: 1, cycleBuild: 2, extra: "rsp2_c0003.004" });
  });

  it("keeps cycle/rsp lookalikes after the extra inside the extra", () => {
    expect(parseRubinTag("d_2024_03_05_foo_c0037.012").extra).toBe("foo_c0037.012");
  });
});

describe("parseRubinTag: experimental tags", () => {
  it.each<[string, Expected]>([
    ["exp_w_2024_10_foo", { type: "experimental", version: "2024_10", extra: "foo", wraps: "weekly", displayName: "Experimental Weekly 2024_10 [foo]" }],
    ["exp_d_2024_03_05", { type: "experimental", version: "2024-03-05", wraps: "daily", displayName: "Experimental Daily 2024_03_05" }],
    ["exp_r27_0_0-arm64", { type: "experimental", version: "27.0.0", wraps: "release", architecture: "arm64", displayName: "Experimental Release r27.0.0 (arm64)" }],
    ["exp_random_thing", { type: "experimental", extra: "random_thing", displayName: "Experimental random_thing" }],
    ["exp_random-amd64", { type: "experimental", extra: "random", architecture: "amd64", displayName: "Experimental random (amd64)" }],
    ["exp_recommended", { type: "experimental", extra: "recommended", displayName: "Experimental recommended" }],
    ["exp_exp_w_2024_10", { type: "experimental", extra: "exp_w_2024_10", displayName: "Experimental exp_w_2024_10" }],
  ])("parses %s", (tag, expected) => expectParsed(tag, expected));
});

describe("parseRubinTag: unknown tags", () => {
  it.each([
    "foo", "weekly", "latest_weekly", "latest-foo", "exp", "exp_", "r27", "r27_0", "r1700", "R27_0_0",
    "w_2024", "w_24_10", "w_2024_100", "w_2024_00", "w_2024_54", "w_2024_10_", "w_2024_10-foo",
    "d_2024_3_5", "d_2024_13_01", "d_2024_02_32", "d_2024_00_10", "foo-amd64", " w_2024_10", "w_2024_10 ",
    "sha256:abcdef",
  ])("classifies %j as unknown with all fields null", (tag) => {
    expectParsed(tag, { type: "unknown" });
  });

  it("gives the empty tag a readable display name", () => {
    expectParsed("", { type: "unknown", displayName: "(untagged)" });
  });

  it("never throws, even for non-string input from untyped callers", () => {
    for (const bad of [undefined, null, 42, {}]) {
      expect(parseRubinTag(bad as unknown as string).type).toBe("unknown");
    }
  });
});

describe("compareRubinTags", () => {
  // Ascending: oldest / least preferred first.
  const ordered = [
    "", "foo", "latest-foo",
    "exp_alpha", "exp_random", "exp_d_2024_03_05", "exp_w_2024_10_foo", "exp_r27_0_0",
    "d_2024_03_05-arm64", "d_2024_03_05-amd64", "d_2024_03_05", "d_2024_03_05_c0037.012",
    "d_2024_03_05_c0037.013", "d_2024_03_05_c0038.001", "d_2024_03_06", "d_2025_01_01",
    "w_2023_52", "w_2024_09", "w_2024_10-amd64", "w_2024_10", "w_2024_10_20240307", "w_2024_10_rsp19",
    "w_2024_10_rsp20", "w_2024_10_c0037.012", "w_2024_10_c0037.012_rsp19", "w_2024_11",
    "r26_0_0_rc1", "r27_0_0_rc1", "r27_0_0_rc2", "r27_0_0_rc10",
    "r170", "r26_0_0", "r27_0_0", "r27_0_1", "r27_0_1_rsp3", "r28_0_0",
    "latest-amd64", "latest", "latest-weekly", "recommended", "recommended_c0029",
  ];

  function shuffled(list: string[], seed: number): string[] {
    const out = [...list];
    let s = seed;
    for (let i = out.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  it.each([1, 2, 3, 42, 1234])("sorts a shuffled list (seed %i) into the documented order", (seed) => {
    const input = shuffled(ordered, seed);
    expect(input).not.toEqual(ordered);
    expect([...input].sort(compareRubinTags)).toEqual(ordered);
  });

  it("sorts parsed tags the same way as strings", () => {
    const parsed = shuffled(ordered, 7).map(parseRubinTag);
    expect(parsed.sort(compareRubinTags).map((t) => t.tag)).toEqual(ordered);
  });

  it("is antisymmetric and returns only -1, 0 or 1", () => {
    for (const a of ordered)
      for (const b of ordered) {
        const ab = compareRubinTags(a, b);
        expect([-1, 0, 1]).toContain(ab);
        expect(compareRubinTags(b, a)).toBe(-ab || 0);
        expect(ab === 0).toBe(a === b);
      }
  });

  it("compares version numbers numerically, not as strings", () => {
    expect(compareRubinTags("r9_0_0", "r10_0_0")).toBe(-1);
    expect(compareRubinTags("w_2024_9", "w_2024_10")).toBe(-1);
    expect(compareRubinTags("r27_0_0_rc9", "r27_0_0_rc10")).toBe(-1);
  });

  it("breaks ties between numerically equal tags by the tag string", () => {
    expect(compareRubinTags("r170", "r17_0_0")).toBe(-1);
    expect(compareRubinTags("w_2024_05", "w_2024_5")).toBe(-1);
  });
});

describe("resolveImageClass", () => {
  const hub = [
    "recommended", "latest-weekly", "garbage",
    "r26_0_0", "r27_0_0-amd64", "r27_0_0", "r27_0_0-arm64", "r28_0_0_rc1",
    "w_2024_09", "w_2024_10-amd64", "w_2024_10", "w_2024_10-arm64", "w_2024_11-amd64", "w_2024_11-arm64",
    "exp_w_2024_12_foo", "d_2024_03_04", "d_2024_03_05", "exp_d_2024_03_06",
  ];

  it.each<[RubinImageClass, string | undefined, string | null]>([
    ["latest-release", undefined, "r27_0_0"],
    ["latest-weekly", undefined, "w_2024_10"],
    ["latest-daily", undefined, "d_2024_03_05"],
    ["by-tag", "w_2024_09", "w_2024_09"],
    ["by-tag", "w_2024_11-arm64", "w_2024_11-arm64"],
    ["by-tag", "w_2030_01", null],
    ["by-tag", undefined, null],
  ])("resolves %s (tag %s) to %s, skipping candidates, experimentals and arch-specific tags", (cls, tag, expected) => {
    expect(resolveImageClass(hub, cls, tag)).toBe(expected);
    expect(resolveImageClass([...hub].reverse(), cls, tag)).toBe(expected);
  });

  it("returns null when the hub has no image of the class", () => {
    for (const cls of ["latest-release", "latest-weekly", "latest-daily", "by-tag"] as const) {
      expect(resolveImageClass([], cls, "w_2024_10")).toBeNull();
    }
    expect(resolveImageClass(["w_2024_10", "r27_0_0_rc1"], "latest-release")).toBeNull();
  });

  it("falls back to architecture-specific tags only when no plain tag of the type exists, preferring amd64", () => {
    expect(resolveImageClass(["w_2024_10-arm64", "w_2024_10-amd64", "w_2024_09-arm64"], "latest-weekly")).toBe("w_2024_10-amd64");
  });

  it("prefers the newest cycle, cycle build and RSP build of the same version", () => {
    expect(resolveImageClass(["d_2024_03_05_c0038.001", "d_2024_03_05_c0037.012", "d_2024_03_05"], "latest-daily")).toBe("d_2024_03_05_c0038.001");
    expect(resolveImageClass(["r27_0_0_rsp3", "r27_0_0_rsp12", "r27_0_0"], "latest-release")).toBe("r27_0_0_rsp12");
  });

  it("returns null for an unrecognised image class from untyped callers", () => {
    expect(resolveImageClass(hub, "recommended" as RubinImageClass)).toBeNull();
  });
});

describe("describeImage", () => {
  it.each<[string, { repository: string | null; tag: string; digest: string | null; type: RubinTag["type"]; version?: string | null; architecture?: string | null }]>([
    ["docker.io/lsstsqre/sciplat-lab:w_2024_10@sha256:0123abcd", { repository: "docker.io/lsstsqre/sciplat-lab", tag: "w_2024_10", digest: "sha256:0123abcd", type: "weekly", version: "2024_10" }],
    ["ghcr.io/lsst-sqre/sciplat-lab:r27_0_0_rc1-amd64", { repository: "ghcr.io/lsst-sqre/sciplat-lab", tag: "r27_0_0_rc1-amd64", digest: null, type: "candidate", version: "27.0.0-rc1", architecture: "amd64" }],
    ["registry.example.org:5000/lsst/sciplat-lab:d_2024_03_05_c0037.012", { repository: "registry.example.org:5000/lsst/sciplat-lab", tag: "d_2024_03_05_c0037.012", digest: null, type: "daily", version: "2024-03-05" }],
    ["localhost:5000/sciplat-lab:r27_0_0@sha256:ff", { repository: "localhost:5000/sciplat-lab", tag: "r27_0_0", digest: "sha256:ff", type: "release", version: "27.0.0" }],
    ["registry.example.org:5000/lsst/sciplat-lab", { repository: "registry.example.org:5000/lsst/sciplat-lab", tag: "latest", digest: null, type: "alias" }],
    ["registry.example.org:5000/lsst/sciplat-lab@sha256:ff", { repository: "registry.example.org:5000/lsst/sciplat-lab", tag: "", digest: "sha256:ff", type: "unknown" }],
    ["sciplat-lab:recommended", { repository: "sciplat-lab", tag: "recommended", digest: null, type: "alias" }],
    ["sciplat-lab@sha256:ff", { repository: "sciplat-lab", tag: "", digest: "sha256:ff", type: "unknown" }],
    ["w_2024_10", { repository: null, tag: "w_2024_10", digest: null, type: "weekly", version: "2024_10" }],
    ["exp_w_2024_10_foo", { repository: null, tag: "exp_w_2024_10_foo", digest: null, type: "experimental", version: "2024_10" }],
    ["", { repository: null, tag: "", digest: null, type: "unknown" }],
  ])("describes %j", (input, expected) => {
    expect(describeImage(input)).toMatchObject({ reference: input, ...expected });
  });

  it("includes the full parsed tag alongside the reference", () => {
    const ref = "ghcr.io/lsst-sqre/sciplat-lab:w_2024_10_c0037.012_rsp19-arm64";
    expect(describeImage(ref)).toEqual({
      ...parseRubinTag("w_2024_10_c0037.012_rsp19-arm64"),
      reference: ref,
      repository: "ghcr.io/lsst-sqre/sciplat-lab",
      digest: null,
    });
  });

  it("trims surrounding whitespace from the reference", () => {
    expect(describeImage("  ghcr.io/lsst-sqre/sciplat-lab:w_2024_10\n")).toMatchObject({
      reference: "ghcr.io/lsst-sqre/sciplat-lab:w_2024_10",
      tag: "w_2024_10",
      type: "weekly",
    });
  });
});
