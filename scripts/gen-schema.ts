/**
 * Writes scenarios/schema.json, the JSON Schema (draft-07) of scenario files, from the TypeBox
 * source in sim/scenario/schema.ts, so editors can complete keys and show each field's help.
 * Run `npm run schema` after changing the schema; a unit test fails while the file is stale.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { scenarioJsonSchemaText } from "../sim/scenario/schema.ts";

const target = fileURLToPath(new URL("../scenarios/schema.json", import.meta.url));
writeFileSync(target, scenarioJsonSchemaText());
console.log(`wrote ${target}`);
