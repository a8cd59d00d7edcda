/**
 * A flock's configuration in mobu's wire format (the body of `PUT /flocks` and each entry of
 * `autostart`): `name`, `count`, `users` xor `user_spec`, `scopes`, start batches and the
 * `business`. Unknown keys are errors, as in mobu.
 * @module
 */
import { z } from "zod";
import { businessConfigSchema } from "../businesses/registry.js";
import type { BotUser } from "../clients/hub/types.js";
import { duration } from "../config/duration.js";

/** Largest flock accepted (one process holds thousands, but a typo should not spawn them). */
export const MAX_FLOCK_COUNT = 10_000;

const groupSchema = z.strictObject({
  name: z.string().min(1).meta({ examples: ["g_users"] }),
  id: z.number().int().nonnegative().meta({ examples: [1000] }),
});

const botName = z
  .string()
  .regex(/^bot-[a-z0-9][a-z0-9._-]*$/, "usernames must begin with bot- and use only lowercase letters, digits, '.', '_' and '-'")
  .max(64);

export const userSchema = z.strictObject({
  username: botName.meta({ examples: ["bot-mobu-user"] }),
  uidnumber: z.number().int().nonnegative().optional(),
  gidnumber: z.number().int().nonnegative().optional(),
  groups: z.array(groupSchema).default([]),
});

export const userSpecSchema = z.strictObject({
  username_prefix: botName.meta({ description: "Usernames are this prefix plus 1..count, zero-padded", examples: ["bot-mobu-recommended"] }),
  uid_start: z.number().int().nonnegative().optional(),
  gid_start: z.number().int().nonnegative().optional(),
  groups: z.array(groupSchema).default([]),
});

export const flockConfigSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "flock names use only letters, digits, '.', '_' and '-' (they appear in URLs)")
      .max(64)
      .meta({ examples: ["python"] }),
    count: z.number().int().min(1).max(MAX_FLOCK_COUNT).meta({ description: "Number of monkeys", examples: [1] }),
    users: z.array(userSchema).optional().meta({ description: "One user per monkey (xor user_spec)" }),
    user_spec: userSpecSchema.optional().meta({ description: "Generate users (xor users)" }),
    scopes: z.array(z.string()).default([]).meta({ description: "Scopes of the bot tokens (Gafaelfawr)", examples: [["exec:notebook"]] }),
    start_batch_size: z.number().int().min(1).max(1000).optional().meta({ description: "Start monkeys this many at a time" }),
    start_batch_wait: duration("Wait between start batches").optional(),
    business: businessConfigSchema,
  })
  .superRefine((flock, ctx) => {
    if (flock.users && flock.user_spec) ctx.addIssue({ code: "custom", path: ["user_spec"], message: "give users or user_spec, not both" });
    if (!flock.users && !flock.user_spec) ctx.addIssue({ code: "custom", path: ["users"], message: "give users or user_spec" });
    if (flock.users && flock.users.length !== flock.count) {
      ctx.addIssue({ code: "custom", path: ["users"], message: `count is ${flock.count} but ${flock.users.length} users are listed` });
    }
    if (flock.users) {
      const seen = new Set<string>();
      flock.users.forEach((u, i) => {
        if (seen.has(u.username)) ctx.addIssue({ code: "custom", path: ["users", i, "username"], message: `duplicate username ${u.username}` });
        seen.add(u.username);
      });
    }
    if (flock.start_batch_size !== undefined && flock.start_batch_wait === undefined) {
      ctx.addIssue({ code: "custom", path: ["start_batch_wait"], message: "start_batch_wait is required with start_batch_size" });
    }
  })
  .meta({ id: "FlockConfig", description: "A flock of monkeys (mobu's FlockConfig)" });

export type FlockConfigInput = z.input<typeof flockConfigSchema>;
export type FlockConfig = z.output<typeof flockConfigSchema>;

/** The bot users of a flock, from `users` or generated from `user_spec`. */
export function flockUsers(flock: FlockConfig): BotUser[] {
  if (flock.users) return flock.users.map((u) => ({ ...u, scopes: flock.scopes }));
  const spec = flock.user_spec!;
  const width = String(flock.count).length;
  return Array.from({ length: flock.count }, (_, i) => ({
    username: `${spec.username_prefix}${String(i + 1).padStart(width, "0")}`,
    uidnumber: spec.uid_start === undefined ? undefined : spec.uid_start + i,
    gidnumber: spec.gid_start === undefined ? undefined : spec.gid_start + i,
    groups: spec.groups,
    scopes: flock.scopes,
  }));
}
