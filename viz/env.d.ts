/// <reference types="vite/client" />
// Types for the browser entry: Vite's client types (import.meta.glob) and raw YAML imports.
declare module "*.yaml?raw" {
  const text: string;
  export default text;
}
