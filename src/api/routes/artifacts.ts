/**
 * Artifact routes: `GET /artifacts/{id}` returns an artifact kept by a business — today the
 * executed notebook of a notebook run (its id is `execution.artifact`).
 * @module
 */
import { ApiError } from "../../errors.js";
import type { ArtifactStore } from "../../store/artifacts.js";
import type { RouteSpec } from "../route-spec.js";

export function artifactRoutes(artifacts: ArtifactStore): RouteSpec[] {
  return [
    {
      method: "GET",
      path: "/artifacts/:id",
      tag: "artifacts",
      summary: "An executed notebook (nbformat 4 JSON) by the id in an execution's `artifact` field",
      produces: "application/x-ipynb+json",
      permission: "read",
      handler: async ({ params, reply }) => {
        const id = params["id"]!;
        const content = await artifacts.read(id);
        if (content === null) throw new ApiError({ code: "not_found", status: 404, message: `Artifact ${id} not found (unknown id, or pruned)` });
        reply.header("content-type", "application/x-ipynb+json; charset=utf-8");
        reply.header("content-disposition", `inline; filename="${id}.ipynb"`);
        return content;
      },
    },
  ];
}
