/**
 * Flock routes: mobu's (`/flocks`, summary, monkeys, log) and Troop's (pause, resume, count).
 * Handlers are thin: one service call each.
 * @module
 */
import { z } from "zod";
import { monkeyNotFound } from "../../errors.js";
import { flockConfigSchema, MAX_FLOCK_COUNT } from "../../models/flock.js";
import { flockDataSchema, flockSummarySchema, monkeyDataSchema } from "../../models/status.js";
import type { FlockManager } from "../../services/flock-manager.js";
import { parseBody } from "../parse.js";
import type { RouteSpec } from "../route-spec.js";

const patchSchema = z.strictObject({ count: z.number().int().min(1).max(MAX_FLOCK_COUNT) }).meta({ id: "FlockPatch" });
const refreshSchema = z.strictObject({ flock: z.string(), monkeys: z.number().meta({ description: "Running monkeys that will pick up the new commit at their next notebook boundary" }) }).meta({ id: "FlockRefresh" });

export function flockRoutes(manager: FlockManager, prefix: string): RouteSpec[] {
  const monkey = (flock: string, name: string) => {
    const m = manager.getFlock(flock).monkey(name);
    if (!m) throw monkeyNotFound(flock, name);
    return m;
  };
  return [
    { method: "GET", path: "/flocks", tag: "flocks", summary: "Names of running flocks", permission: "read", response: z.array(z.string()), handler: () => manager.listFlocks() },
    {
      method: "PUT",
      path: "/flocks",
      tag: "flocks",
      summary: "Start a flock (replaces a running flock of the same name); returns at once while monkeys start",
      permission: "flock",
      audit: "put_flock",
      body: flockConfigSchema,
      response: flockDataSchema,
      status: 201,
      handler: async ({ body, reply }) => {
        const flock = await manager.putFlock(body);
        reply.header("location", `${prefix}/flocks/${flock.name}`);
        return flock.data();
      },
    },
    { method: "GET", path: "/flocks/:flock", tag: "flocks", summary: "A flock and its monkeys", permission: "read", response: flockDataSchema, handler: ({ params }) => manager.getFlock(params["flock"]!).data() },
    {
      method: "DELETE",
      path: "/flocks/:flock",
      tag: "flocks",
      summary: "Stop a flock: labs deleted, tokens revoked",
      permission: "flock",
      audit: "delete_flock",
      status: 204,
      handler: async ({ params }) => {
        await manager.deleteFlock(params["flock"]!);
        return null;
      },
    },
    {
      method: "PATCH",
      path: "/flocks/:flock",
      tag: "flocks",
      summary: "Change the number of monkeys of a user_spec flock",
      permission: "flock",
      audit: "set_count",
      body: patchSchema,
      response: flockDataSchema,
      handler: async ({ params, body }) => (await manager.setCount(params["flock"]!, parseBody(patchSchema, body).count)).data(),
    },
    { method: "POST", path: "/flocks/:flock/pause", tag: "flocks", summary: "Pause: monkeys stop and release their labs", permission: "flock", audit: "pause_flock", response: flockSummarySchema, handler: async ({ params }) => (await manager.pauseFlock(params["flock"]!)).summary() },
    { method: "POST", path: "/flocks/:flock/resume", tag: "flocks", summary: "Resume a paused flock", permission: "flock", audit: "resume_flock", response: flockSummarySchema, handler: async ({ params }) => (await manager.resumeFlock(params["flock"]!)).summary() },
    { method: "POST", path: "/flocks/:flock/refresh", tag: "flocks", summary: "Notebook runners: pick up the newest commit of the repository at the next notebook boundary", permission: "flock", audit: "refresh_flock", response: refreshSchema, status: 202, handler: ({ params }) => manager.refreshFlock(params["flock"]!) },
    { method: "GET", path: "/flocks/:flock/monkeys", tag: "monkeys", summary: "Names of a flock's monkeys", permission: "read", response: z.array(z.string()), handler: ({ params }) => manager.getFlock(params["flock"]!).listMonkeys().map((m) => m.name) },
    { method: "GET", path: "/flocks/:flock/monkeys/:monkey", tag: "monkeys", summary: "A monkey's state", permission: "read", response: monkeyDataSchema, handler: ({ params }) => monkey(params["flock"]!, params["monkey"]!).data() },
    {
      method: "GET",
      path: "/flocks/:flock/monkeys/:monkey/log",
      tag: "monkeys",
      summary: "A monkey's log (bounded; oldest lines dropped first)",
      permission: "read",
      produces: "text/plain",
      handler: ({ params, reply }) => {
        const m = monkey(params["flock"]!, params["monkey"]!);
        reply.header("content-type", "text/plain; charset=utf-8");
        reply.header("content-disposition", `inline; filename="${params["flock"]}-${m.name}-${new Date().toISOString()}.log"`);
        return m.log.text();
      },
    },
  ];
}
