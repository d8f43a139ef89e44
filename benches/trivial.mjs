// The cold start anchor: a trivial wasm module (one function answering 42,
// served by benches/bench.mjs at ./trivial.wasm) compiled by streaming, and
// a patched fetch that answers with it.

export async function install() {
  const { instance } = await WebAssembly.instantiateStreaming(fetch(new URL('./trivial.wasm', import.meta.url)));
  globalThis.fetch = async () =>
    new Response(`{"header":{"revision":"${instance.exports.answer()}"}}`, {
      headers: { 'Content-Type': 'application/json' },
    });
}
