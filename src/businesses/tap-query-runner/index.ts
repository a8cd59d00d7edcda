/** Registry entries of the TAP/SIA businesses: options known, runners not implemented yet. @module */
import { defineBusiness } from "../types.js";
import { siaQuerySetRunnerOptionsSchema, tapQueryRunnerOptionsSchema, tapQuerySetRunnerOptionsSchema } from "./options.js";

const notYet = "the TAP and SIA businesses are not implemented yet in this version of Troop";

export const tapQueryRunner = defineBusiness({
  type: "TAPQueryRunner",
  description: "Runs a random TAP query from a list",
  optionsSchema: tapQueryRunnerOptionsSchema,
  notImplemented: notYet,
});
export const tapQuerySetRunner = defineBusiness({
  type: "TAPQuerySetRunner",
  description: "Runs random queries rendered from a query set",
  optionsSchema: tapQuerySetRunnerOptionsSchema,
  notImplemented: notYet,
});
export const siaQuerySetRunner = defineBusiness({
  type: "SIAQuerySetRunner",
  description: "Runs random SIA 2 image searches",
  optionsSchema: siaQuerySetRunnerOptionsSchema,
  notImplemented: notYet,
});
