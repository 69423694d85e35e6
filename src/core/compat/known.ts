import { REPORT_FILES } from "./reports/index.ts";
import type { Report } from "./schema.ts";

/**
 * The reports pptctl ships. `bun run build` refuses a report that fails `report --check`
 * (scripts/build.ts) and `npm test` checks every one, so the binary does not check them again
 * on each run (checking all of them took 8 to 25 ms here, more than list's whole budget allows).
 */
const SHIPPED: readonly Report[] = REPORT_FILES.map(({ data }) => data as Report);

export function shippedReports(): readonly Report[] {
  return SHIPPED;
}
