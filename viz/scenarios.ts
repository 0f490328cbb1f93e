/** The bundled scenarios, by file name, as text (Vite inlines scenarios/*.yaml at build time). */
const files = import.meta.glob("../scenarios/*.yaml", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

export const BUNDLED: ReadonlyArray<{ readonly file: string; readonly text: string }> = Object.keys(
  files,
)
  .sort()
  .map((path) => ({ file: path.replace(/^.*\//, ""), text: files[path]! }));
