/**
 * Reading a scenario from disk: the one Node-only entry of the scenario loader. It lives apart
 * from load.ts so the browser bundle (and Vite's dev server, which refuses `node:fs` in page
 * code) never imports the file system.
 */
import { readFileSync } from "node:fs";
import { ROOT_PATH, ScenarioError } from "./errors.ts";
import { parseScenarioText, type Scenario, type ScenarioOverride } from "./load.ts";

/** Reads and loads a scenario file. Throws ScenarioError for any bad input, unreadable files too. */
export function loadScenarioFile(
  path: string,
  overrides: readonly ScenarioOverride[] = [],
): Scenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ScenarioError([
      {
        file: path,
        line: 1,
        column: 1,
        path: ROOT_PATH,
        message: `cannot read the file: ${reason}`,
      },
    ]);
  }
  return parseScenarioText(text, path, overrides);
}
