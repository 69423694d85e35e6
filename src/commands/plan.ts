import { defineCommand } from "citty";
import { PptError } from "../core/errors.ts";

export default defineCommand({
  meta: { name: "plan", description: "not yet built" },
  args: {},
  run() {
    throw new PptError("plan: not built yet", 1);
  },
});
