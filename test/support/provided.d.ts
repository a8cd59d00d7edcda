// Type of the values the global setup provides (see test/support/global-setup.ts).
declare module "vitest" {
  export interface ProvidedContext {
    hub: { url: string; apiUrl: string; adminToken: string; stateDir: string };
  }
}
export {};
