import { defineCommand } from "citty";
import { PptError } from "../core/errors.ts";

export default defineCommand({
  meta: { name: "args", description: "not yet built" },
  args: {},
  run() {
    throw new PptError("args: not built yet", 1);
  },
});
