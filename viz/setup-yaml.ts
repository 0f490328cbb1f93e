/**
 * Small edits of YAML (or JSON) text that keep everything else as written: set a value at a path,
 * delete a key, append an item to a list, remove an item. Each edit splices the text at the
 * nodes' source ranges (the `yaml` package's Document API finds them), so comments, quoting, key
 * order and folded descriptions stay as the author wrote them; re-printing the whole document
 * would re-flow them all.
 *
 * Invariant: every edit checks its result by parsing it again and comparing the edited place with
 * the intended value; when a splice cannot be made or does not check out (an unusual layout),
 * the edit falls back to the Document API (setIn / deleteIn / toString), which re-prints the
 * document but is always right. Files that look like JSON get JSON-style insertions.
 *
 * Pure functions: text in, text out; they throw an Error for a path that does not fit the
 * document (a scalar where a map is needed).
 */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  stringify,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";

export type Json =
  | string
  | number
  | boolean
  | null
  | readonly Json[]
  | { readonly [k: string]: Json };
export type YamlPath = readonly (string | number)[];

type Range = [number, number, number];

function rangeOf(node: unknown): Range | undefined {
  const r = (node as { range?: Range | null } | null | undefined)?.range;
  return r ?? undefined;
}

function parse(text: string): Document.Parsed {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new Error(`the text is not valid YAML: ${doc.errors[0]!.message}`);
  return doc;
}

/** JSON files get JSON-style insertions (quoted keys). */
function looksLikeJson(text: string): boolean {
  return text.trimStart().startsWith("{");
}

/** A value as one line of YAML (or JSON): scalars quoted only when needed, collections in flow style. */
export function renderFlow(value: Json, json: boolean): string {
  if (json) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => renderFlow(v, false)).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${scalar(k)}: ${renderFlow(v, false)}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  return scalar(value as string | number | boolean | null);
}

function scalar(value: string | number | boolean | null): string {
  return stringify(value).trimEnd();
}

/**
 * The start of the comment lines right above the line at `start` with its indentation: they
 * describe it, so they go with it. Comments after it stay (they belong to what follows).
 */
function withCommentsAbove(text: string, start: number): number {
  const indent = (text.slice(start).match(/^ */) ?? [""])[0].length;
  let at = start;
  while (at > 0) {
    const prev = lineStart(text, at - 1);
    const line = text.slice(prev, at - 1);
    if (!/^ *#/.test(line) || (line.match(/^ */) ?? [""])[0].length !== indent) break;
    at = prev;
  }
  return at;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** The offset just after the line that holds `offset - 1` (past its newline). */
function afterLine(text: string, end: number): number {
  const nl = text.indexOf("\n", Math.max(0, end - 1));
  return nl < 0 ? text.length : nl + 1;
}

function sameValue(text: string, path: YamlPath, value: Json | undefined): boolean {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return false;
  const node = doc.getIn(path, true) as Node | undefined;
  const got = node === undefined ? undefined : (node as { toJSON(): unknown }).toJSON();
  return JSON.stringify(got) === JSON.stringify(value);
}

/** The text with `value` at `path` (maps on the way are created). */
export function setValue(text: string, path: YamlPath, value: Json): string {
  if (path.length === 0) throw new Error("empty path");
  const spliced = trySplitSet(text, path, value);
  if (spliced !== undefined && sameValue(spliced, path, value)) return spliced;
  const doc = parse(text);
  doc.setIn(path, doc.createNode(value));
  const out = doc.toString();
  if (!sameValue(out, path, value)) throw new Error(`cannot set ${path.join(".")}`);
  return out;
}

function trySplitSet(text: string, path: YamlPath, value: Json): string | undefined {
  const doc = parse(text);
  const json = looksLikeJson(text);
  const existing = doc.getIn(path, true);
  const r = rangeOf(existing);
  if (existing !== undefined && existing !== null && r !== undefined) {
    // Keep a scalar's quoting style when the new value needs none either way.
    const old = text.slice(r[0], r[1]);
    let rendered = renderFlow(value, json);
    if (typeof value === "string" && /^".*"$/.test(old) && !rendered.startsWith('"'))
      rendered = JSON.stringify(value);
    return text.slice(0, r[0]) + rendered + text.slice(r[1]);
  }
  // The key is missing: insert it into the deepest map that exists, with the rest nested.
  for (let depth = path.length - 1; depth >= 0; depth--) {
    const parent = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (parent === undefined || parent === null) continue;
    if (!isMap(parent)) return undefined;
    let nested: Json = value;
    for (let i = path.length - 1; i > depth; i--) nested = { [String(path[i])]: nested };
    return insertPair(text, parent, String(path[depth]), nested, json);
  }
  return undefined;
}

function insertPair(
  text: string,
  map: YAMLMap,
  key: string,
  value: Json,
  json: boolean,
): string | undefined {
  const r = rangeOf(map);
  const keyText = json ? JSON.stringify(key) : scalar(key);
  const pair = `${keyText}: ${renderFlow(value, json)}`;
  if (map.flow) {
    if (r === undefined) return undefined;
    const close = text.lastIndexOf("}", r[1]);
    if (close < r[0]) return undefined;
    const inner = text.slice(r[0] + 1, close);
    if (map.items.length === 0) return `${text.slice(0, r[0])}{ ${pair} }${text.slice(close + 1)}`;
    const trimmed = inner.replace(/\s+$/, "");
    const at = r[0] + 1 + trimmed.length;
    const space = inner.length > trimmed.length ? "" : " ";
    return `${text.slice(0, at)}, ${pair}${space}${text.slice(at)}`;
  }
  const first = map.items[0];
  const last = map.items.at(-1);
  const firstKey = rangeOf(first?.key);
  // An empty block map: left to the Document API.
  if (first === undefined || last === undefined || firstKey === undefined) return undefined;
  const pad = " ".repeat(firstKey[0] - lineStart(text, firstKey[0]));
  const lastEnd = rangeOf(last.value)?.[1] ?? rangeOf(last.key)?.[1];
  if (lastEnd === undefined) return undefined;
  const at = afterLine(text, lastEnd);
  const nl = at === text.length && !text.endsWith("\n") ? "\n" : "";
  return `${text.slice(0, at)}${nl}${pad}${pair}\n${text.slice(at)}`;
}

/** The text without the key at `path`; a map left empty goes too. A missing key: unchanged. */
export function deleteKey(text: string, path: YamlPath): string {
  const doc = parse(text);
  if (doc.getIn(path, true) === undefined && !doc.hasIn(path)) return text;
  const parentPath = path.slice(0, -1);
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (isMap(parent) && parent.items.length === 1 && parentPath.length > 0)
    return deleteKey(text, parentPath);
  const spliced = isMap(parent) ? trySpliceDelete(text, parent, String(path.at(-1))) : undefined;
  if (
    spliced !== undefined &&
    !parseDocument(spliced).hasIn(path) &&
    parseDocument(spliced).errors.length === 0
  )
    return spliced;
  doc.deleteIn(path);
  return doc.toString();
}

function trySpliceDelete(text: string, map: YAMLMap, key: string): string | undefined {
  const index = map.items.findIndex((p) => isScalar(p.key) && String(p.key.value) === key);
  if (index < 0) return undefined;
  const pair = map.items[index]!;
  const k = rangeOf(pair.key);
  const end = rangeOf(pair.value)?.[1] ?? k?.[1];
  if (k === undefined || end === undefined) return undefined;
  if (map.flow) {
    let start = k[0];
    let stop = end;
    const after = text.slice(stop).match(/^\s*,\s*/);
    if (after !== null) stop += after[0].length;
    else {
      const before = text.slice(0, start).match(/,\s*$/);
      if (before !== null) start -= before[0].length;
    }
    return text.slice(0, start) + text.slice(stop);
  }
  const start = lineStart(text, k[0]);
  if (text.slice(start, k[0]).trim() !== "") return undefined; // the first key of a list item
  return text.slice(0, withCommentsAbove(text, start)) + text.slice(afterLine(text, end));
}

/** The list at `path`, or undefined. */
function seqAt(doc: Document.Parsed, path: YamlPath): YAMLSeq | undefined {
  const node = doc.getIn(path, true);
  return isSeq(node) ? node : undefined;
}

/**
 * The text with `item` appended to the list at `path` (created when missing). `rawItem`, when
 * given, is the item's source text as it should appear in a block list (the lines after `- `).
 */
export function appendItem(text: string, path: YamlPath, item: Json, rawItem?: string): string {
  const doc = parse(text);
  const seq = seqAt(doc, path);
  const count = seq?.items.length ?? 0;
  const check = (out: string): boolean => {
    const d = parseDocument(out);
    const s = d.errors.length === 0 ? seqAt(d as Document.Parsed, path) : undefined;
    return (
      s !== undefined &&
      s.items.length === count + 1 &&
      JSON.stringify((s.items.at(-1) as { toJSON(): unknown }).toJSON()) === JSON.stringify(item)
    );
  };
  const spliced = trySpliceAppend(text, seq, item, rawItem);
  if (spliced !== undefined && check(spliced)) return spliced;
  if (seq === undefined) {
    const created = setValue(text, path, [item]);
    if (check(created)) return created;
  }
  if (seq !== undefined) seq.add(doc.createNode(item));
  else doc.setIn(path, doc.createNode([item]));
  return doc.toString();
}

function trySpliceAppend(
  text: string,
  seq: YAMLSeq | undefined,
  item: Json,
  rawItem: string | undefined,
): string | undefined {
  const json = looksLikeJson(text);
  if (seq === undefined) return undefined;
  const r = rangeOf(seq);
  if (seq.flow) {
    if (r === undefined) return undefined;
    const close = text.lastIndexOf("]", r[1]);
    if (close < r[0]) return undefined;
    const inner = text.slice(r[0] + 1, close).replace(/\s+$/, "");
    const at = r[0] + 1 + inner.length;
    const sep = seq.items.length === 0 ? "" : ", ";
    return `${text.slice(0, at)}${sep}${renderFlow(item, json)}${text.slice(at)}`;
  }
  const first = rangeOf(seq.items[0]);
  const last = rangeOf(seq.items.at(-1));
  if (first === undefined || last === undefined) return undefined;
  const dash = text.lastIndexOf("-", first[0]);
  const start = lineStart(text, first[0]);
  if (dash < start) return undefined;
  const pad = " ".repeat(dash - start);
  const body = rawItem ?? blockItem(item, json);
  const lines = body.split("\n");
  const rest = rawItem === undefined ? `${pad}  ` : "";
  const block = lines.map((l, i) => (i === 0 ? `${pad}- ${l}` : `${rest}${l}`)).join("\n");
  const at = afterLine(text, last[1]);
  const nl = at === text.length && !text.endsWith("\n") ? "\n" : "";
  return `${text.slice(0, at)}${nl}${block}\n${text.slice(at)}`;
}

/** A map item as block lines (the first without its `- `, the rest indented to match). */
function blockItem(item: Json, json: boolean): string {
  if (item === null || typeof item !== "object" || Array.isArray(item))
    return renderFlow(item, json);
  return Object.entries(item)
    .map(([k, v]) => `${json ? JSON.stringify(k) : scalar(k)}: ${renderFlow(v, json)}`)
    .join("\n");
}

/** A block-list item's own source text (after its `- `, to the end of its last line). */
export function itemSource(text: string, path: YamlPath, index: number): string | undefined {
  const doc = parse(text);
  const seq = seqAt(doc, path);
  const r = rangeOf(seq?.items[index]);
  if (seq === undefined || seq.flow || r === undefined) return undefined;
  // Continuation lines keep their indentation: pasted into the same list, they line up.
  return text.slice(r[0], r[1]).replace(/\s+$/, "");
}

/** The text without item `index` of the list at `path`. */
export function removeItem(text: string, path: YamlPath, index: number): string {
  const doc = parse(text);
  const seq = seqAt(doc, path);
  if (seq === undefined || index < 0 || index >= seq.items.length)
    throw new Error(`no item ${index} in ${path.join(".")}`);
  const count = seq.items.length;
  const expected = seq.items
    .filter((_, i) => i !== index)
    .map((n) => (n as { toJSON(): unknown }).toJSON?.() ?? n);
  const check = (out: string): boolean => {
    const d = parseDocument(out);
    const s = d.errors.length === 0 ? seqAt(d as Document.Parsed, path) : undefined;
    return (
      s !== undefined &&
      s.items.length === count - 1 &&
      JSON.stringify(s.toJSON()) === JSON.stringify(expected)
    );
  };
  const spliced = trySpliceRemove(text, seq, index);
  if (spliced !== undefined && check(spliced)) return spliced;
  seq.delete(index);
  return doc.toString();
}

function trySpliceRemove(text: string, seq: YAMLSeq, index: number): string | undefined {
  const r = rangeOf(seq.items[index]);
  if (r === undefined) return undefined;
  if (seq.flow) {
    let start = r[0];
    let stop = r[1];
    const after = text.slice(stop).match(/^\s*,\s*/);
    if (after !== null) stop += after[0].length;
    else {
      const before = text.slice(0, start).match(/,\s*$/);
      if (before !== null) start -= before[0].length;
    }
    return text.slice(0, start) + text.slice(stop);
  }
  if (seq.items.length === 1) return undefined;
  const dash = text.lastIndexOf("-", r[0]);
  const start = lineStart(text, r[0]);
  if (dash < start || text.slice(start, dash).trim() !== "") return undefined;
  return text.slice(0, withCommentsAbove(text, start)) + text.slice(afterLine(text, r[1]));
}
