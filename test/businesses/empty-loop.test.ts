import { describe } from "vitest";
import { EmptyLoop } from "../../src/businesses/empty-loop/business.js";
import { emptyLoopOptionsSchema } from "../../src/businesses/empty-loop/options.js";
import { businessContract } from "./contract.js";
import { testContext } from "./context.js";

describe("EmptyLoop", () => {
  businessContract(() => ({
    canFail: false,
    make: ({ restart, idleMs, onExecution }) =>
      new EmptyLoop(testContext({ options: emptyLoopOptionsSchema.parse({ idle_time: idleMs / 1000, error_idle_time: 0.01 }), restart, onExecution })),
  }));
});
