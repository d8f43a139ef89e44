// Build step: puts wasm-bindgen's `inline_js` snippets into the glue module
// (pkg/wasm/etcd_sim.js) and drops their files. A page then fetches one
// module less, one round trip less before the wasm can start loading (the
// module graph is fetched level by level).
//
//   node tools/inline-snippets.mjs pkg/wasm/etcd_sim.js

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const glue = process.argv[2];
const dir = dirname(glue);
const IMPORT = /^import \{ ([\w, ]+) \} from '(\.\/snippets\/[^']+\.js)';$/gm;

let inlined = 0;
const text = readFileSync(glue, 'utf8').replace(IMPORT, (_, names, path) => {
  const snippet = readFileSync(join(dir, path), 'utf8');
  if (/^\s*import\b/m.test(snippet)) throw new Error(`${path}: a snippet with imports cannot be inlined`);
  const body = snippet.replace(/^export (function|const|let|class) /gm, '$1 ');
  inlined++;
  // in a scope of its own, so that its names meet none of the glue's
  return `const { ${names} } = (() => {\n${body}\nreturn { ${names} };\n})();`;
});
if (/\.\/snippets\//.test(text)) throw new Error(`${glue}: a snippet import this step does not know`);
writeFileSync(glue, text);
rmSync(join(dir, 'snippets'), { recursive: true, force: true });
console.log(`inline-snippets: ${inlined} snippet(s) in ${glue}`);
