// admin.js is the zone's browser script, imported by index.ts as a file (`with { type: "file" }`):
// to TypeScript, its path.
declare const path: string;
export default path;
