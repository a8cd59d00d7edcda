/**
 * The fake lab controller's image catalogue and spawn-form handling: which image a form asks
 * for (Nublado's `LabRequestOptions`: exactly one of `image_list`, `image_dropdown`,
 * `image_class`, `image_tag`; `size`; `enable_debug`), resolved the way the controller does
 * (recommended = the configured alias, `latest-*` = newest tag of that type, by tag, or any
 * reference), plus the description labs show as `IMAGE_DESCRIPTION`.
 * @module
 */
import { createHash } from "node:crypto";
import { describeImage, parseRubinTag, resolveImageClass } from "../../../src/images/rubin-tag.js";

/** Sentinel the spawner form puts in `image_list` when the dropdown is used. */
export const DROPDOWN_SENTINEL = "use_image_from_dropdown";

/** Lab sizes Nublado knows (matched case-insensitively). */
export const LAB_SIZES = ["fine", "diminutive", "tiny", "small", "medium", "large", "huge", "gargantuan", "colossal"];

/** The images a fake platform offers. */
export interface FakeImageCatalogue {
  repository: string;
  tags: string[];
  /** Tag of the recommended image (an alias of another tag). */
  recommendedTag: string;
  /** The tag `recommendedTag` points at. */
  recommendedTarget: string;
}

/** Default catalogue: a few releases, weeklies and dailies, an experimental and an arch tag. */
export const DEFAULT_IMAGES: FakeImageCatalogue = {
  repository: "ghcr.io/lsst-sqre/sciplat-lab",
  tags: [
    "recommended", "r28_0_1", "r29_0_0_rc1", "w_2077_46", "w_2077_45", "w_2077_47-amd64",
    "d_2077_11_14", "d_2077_11_13", "exp_w_2077_46_nosudo",
  ],
  recommendedTag: "recommended",
  recommendedTarget: "w_2077_45",
};

/** A resolved image: reference with digest, and description. */
export interface ResolvedImage {
  reference: string;
  description: string;
}

/** Why a form is refused (400), or the image it selects plus size and debug flag. */
export type FormResult =
  | { ok: false; message: string }
  | { ok: true; size: string; debug: boolean; pick: { kind: "reference" | "class" | "tag"; value: string } };

/** Validate a posted spawn form like the controller's `LabRequestOptions`. */
export function readSpawnForm(form: URLSearchParams): FormResult {
  for (const key of new Set(form.keys())) {
    if (form.getAll(key).length > 1) return { ok: false, message: `Too many values for ${key}` };
  }
  let list = form.get("image_list") || null;
  let dropdown = form.get("image_dropdown") || null;
  if (list === DROPDOWN_SENTINEL) list = null;
  if (list) dropdown = null;
  const cls = form.get("image_class") || null;
  const tag = form.get("image_tag") || null;
  const set = [list, dropdown, cls, tag].filter((v) => v !== null);
  if (set.length === 0) return { ok: false, message: "No image to spawn specified" };
  if (set.length > 1) return { ok: false, message: "Image specified multiple ways" };
  if (cls !== null && !["recommended", "latest-release", "latest-weekly", "latest-daily"].includes(cls)) {
    return { ok: false, message: `Invalid image class ${cls}` };
  }
  const size = (form.get("size") ?? "").toLowerCase();
  if (!LAB_SIZES.includes(size)) return { ok: false, message: `Invalid lab size ${form.get("size") ?? "(none)"}` };
  const debug = form.get("enable_debug") ?? "false";
  if (debug !== "true" && debug !== "false") return { ok: false, message: `Invalid boolean value ${debug}` };
  const ref = list ?? dropdown;
  const pick = ref ? { kind: "reference" as const, value: ref } : cls ? { kind: "class" as const, value: cls } : { kind: "tag" as const, value: tag ?? "" };
  return { ok: true, size, debug: debug === "true", pick };
}

/** Fake digest of a tag (stable across runs). */
function digestOf(tag: string): string {
  return `sha256:${createHash("sha256").update(tag).digest("hex")}`;
}

/** Resolve what a form picked into an image, or explain why the controller cannot. */
export function resolveImage(cat: FakeImageCatalogue, pick: { kind: string; value: string }): ResolvedImage | { error: string } {
  const withDigest = (tag: string, target = tag) => `${cat.repository}:${tag}@${digestOf(target)}`;
  if (pick.kind === "reference") {
    const d = describeImage(pick.value);
    const reference = d.digest ? pick.value : `${pick.value}@${digestOf(d.tag)}`;
    return { reference, description: d.displayName };
  }
  let tag: string | null;
  if (pick.value === "recommended" && pick.kind === "class") tag = cat.recommendedTag;
  else if (pick.kind === "class") tag = resolveImageClass(cat.tags, pick.value as "latest-release" | "latest-weekly" | "latest-daily");
  else tag = resolveImageClass(cat.tags, "by-tag", pick.value);
  if (tag === null) return { error: pick.kind === "tag" ? `Docker image with tag ${pick.value} not found` : `No image found for class ${pick.value}` };
  if (tag === cat.recommendedTag) {
    const target = parseRubinTag(cat.recommendedTarget).displayName;
    return { reference: withDigest(tag, cat.recommendedTarget), description: `Recommended (${target})` };
  }
  return { reference: withDigest(tag), description: parseRubinTag(tag).displayName };
}

/** Options of the spawner form page (for realism; the client posts without reading them). */
export function spawnFormHtml(cat: FakeImageCatalogue): string {
  const options = cat.tags.map((t) => `<option value="${cat.repository}:${t}">${parseRubinTag(t).displayName}</option>`).join("");
  const sizes = LAB_SIZES.map((s) => `<input type="radio" name="size" value="${s}">`).join("");
  return `<form method="post"><input type="radio" name="image_list" value="${DROPDOWN_SENTINEL}"><select name="image_dropdown">${options}</select>${sizes}<input type="checkbox" name="enable_debug" value="true"></form>`;
}
