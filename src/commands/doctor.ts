import { defineCommand } from "citty";
import { PptError } from "../core/errors.ts";

export default defineCommand({
  meta: { name: "doctor", description: "not yet built" },
  args: {},
  run() {
    throw new PptError("doctor: not built yet", 1);
  },
});
