/**
 * The dashboard's routes without a hub: shells served without a token under the prefix, with a
 * same-origin Content-Security-Policy, the view's subject escaped, and the two assets.
 */
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { DASHBOARD_CSP, DASHBOARD_MODULES, registerDashboard } from "../../src/dashboard/routes.js";
import { escapeHtml, renderShell } from "../../src/dashboard/shell.js";

function app(prefix: string) {
  const a = Fastify();
  registerDashboard(a, { prefix, version: "9.9.9" });
  return a;
}

describe("dashboard routes", () => {
  it("serves every view's shell under the prefix without a token, with the CSP", async () => {
    const a = app("/troop");
    for (const url of ["/troop/ui", "/troop/ui/", "/troop/ui/flocks/python", "/troop/ui/executions", "/troop/ui/executions/0123456789ab-x", "/troop/ui/timings", "/troop/ui/audit"]) {
      const res = await a.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
      expect(res.body).toContain('data-api="/troop"');
      expect(res.body).toContain('src="/troop/ui/app.js"');
    }
    expect((await a.inject({ url: "/troop/ui/flocks/python" })).body).toContain('data-page="flock" data-api="/troop" data-arg="python"');
  });

  it("serves the script and the stylesheet, which reference no other origin", async () => {
    const a = app("");
    const js = await a.inject({ url: "/ui/app.js" });
    expect(js.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(js.body).toContain("sessionStorage");
    const css = await a.inject({ url: "/ui/app.css" });
    expect(css.headers["content-type"]).toMatch(/^text\/css/);
    for (const body of [js.body, css.body, renderShell("overview", { prefix: "", version: "1" })]) expect(body).not.toMatch(/https?:\/\/|@import|url\(/);
    const imports = [...js.body.matchAll(/^import .* from "\.\/([a-z-]+\.js)";$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const name of DASHBOARD_MODULES) {
      const mod = await a.inject({ url: `/ui/${name}` });
      expect(mod.statusCode, name).toBe(200);
      expect(mod.headers["content-type"]).toMatch(/^text\/javascript/);
      expect(mod.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
      expect(mod.body, name).not.toMatch(/https?:\/\/|@import|url\(|import\(/);
      for (const m of mod.body.matchAll(/^import .* from "\.\/([a-z-]+\.js)";$/gm)) imports.push(m[1]!);
    }
    for (const name of imports) expect(DASHBOARD_MODULES as readonly string[], name).toContain(name); // every import is served
  });

  it("escapes the view's subject and keeps CSP-forbidden inline code out of the shell", () => {
    const html = renderShell("flock", { prefix: "/p", arg: '"><script>alert(1)</script>', version: "1" });
    expect(html).not.toContain("<script>alert");
    expect(html).toContain(escapeHtml('"><script>alert(1)</script>'));
    expect(html).not.toMatch(/<script>(?!<\/script>)|style="|onclick=/);
  });
});
