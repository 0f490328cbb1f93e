/**
 * Share links: the URL's hash holds what is needed to open the same moment elsewhere: the
 * scenario (a bundled file's name, or the text itself, base64url of its UTF-8), the seed and the
 * virtual time. `#file=leader-failover.yaml&seed=1&t=14000000`, or `#text=...&t=...`.
 */

export interface ShareState {
  /** A bundled scenario's file name, when the text is exactly that file's. */
  readonly file?: string;
  /** Otherwise the scenario text. */
  readonly text?: string;
  readonly seed?: number;
  readonly timeUs: number;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(encoded: string): string {
  const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export function encodeShare(s: ShareState): string {
  const params = new URLSearchParams();
  if (s.file !== undefined) params.set("file", s.file);
  else if (s.text !== undefined) params.set("text", toBase64Url(s.text));
  if (s.seed !== undefined) params.set("seed", String(s.seed));
  params.set("t", String(Math.max(0, Math.floor(s.timeUs))));
  return `#${params.toString()}`;
}

/** The share state in a URL hash, or undefined when the hash holds none (or a broken one). */
export function decodeShare(hash: string): ShareState | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const file = params.get("file") ?? undefined;
  const encoded = params.get("text") ?? undefined;
  if (file === undefined && encoded === undefined) return undefined;
  const t = Number(params.get("t") ?? "0");
  const seedText = params.get("seed");
  const seed = seedText === null ? undefined : Number(seedText);
  if (!Number.isSafeInteger(t) || (seed !== undefined && !Number.isSafeInteger(seed)))
    return undefined;
  let text: string | undefined;
  try {
    text = encoded === undefined ? undefined : fromBase64Url(encoded);
  } catch {
    return undefined;
  }
  return {
    ...(file === undefined ? {} : { file }),
    ...(text === undefined ? {} : { text }),
    ...(seed === undefined ? {} : { seed }),
    timeUs: t,
  };
}
