import { defineCommand } from "citty";
import { PptError } from "../core/errors.ts";

export default defineCommand({
  meta: { name: "list", description: "not yet built" },
  args: {},
  run() {
    throw new PptError("list: not built yet", 1);
  },
});
