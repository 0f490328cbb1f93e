/**
 * The browser entry point: runs a scenario with the same simulator as the CLI, through the public
 * API only, and shows the report. The scenario text the user edits is kept in localStorage, so an
 * edit survives a reload. Scenario text is shown as text, never as HTML.
 */
import demo from "../scenarios/leader-failover.yaml?raw";
import {
  formatIssues,
  formatReport,
  parseScenarioText,
  runScenario,
  ScenarioError,
} from "../sim/index.ts";

const STORAGE_KEY = "kafkasim.scenario";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`missing #${id}`);
  return found as T;
}

const editor = element<HTMLTextAreaElement>("scenario");
const seedInput = element<HTMLInputElement>("seed");
const output = element<HTMLPreElement>("report");

editor.value = localStorage.getItem(STORAGE_KEY) ?? demo;
editor.addEventListener("input", () => localStorage.setItem(STORAGE_KEY, editor.value));

function run(): void {
  output.classList.remove("error");
  try {
    const scenario = parseScenarioText(editor.value, "scenario.yaml");
    const seedText = seedInput.value.trim();
    const seed = seedText === "" ? undefined : Number(seedText);
    if (seed !== undefined && !Number.isSafeInteger(seed))
      throw new Error(`seed must be a whole number; got ${seedText}`);
    const report = runScenario(scenario, seed === undefined ? {} : { seed });
    output.textContent = formatReport(report);
    (window as unknown as { __kafkasim: unknown }).__kafkasim = {
      traceHash: () => report.results.traceHash,
      results: report.results,
    };
  } catch (error) {
    output.classList.add("error");
    output.textContent =
      error instanceof ScenarioError ? formatIssues(error.issues) : String(error);
  }
}

element<HTMLButtonElement>("run").addEventListener("click", run);
run();
