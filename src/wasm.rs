//! JavaScript bindings of [`World`]: each method converts JS values in,
//! makes one call and converts the result out. No etcd rules here.

use crate::world::{Config, HttpRequest, Output, Ticket, World};
use js_sys::Array;
use wasm_bindgen::prelude::*;

/// One simulated world: a cluster behind its HTTP/JSON gateway.
#[wasm_bindgen]
pub struct Sim {
    world: World,
}

#[wasm_bindgen]
impl Sim {
    /// `config`: JSON `{"members":N,"seed":N,"watch_progress_notify_interval_ms":N,
    /// "initial_cluster_token":S}`, all optional; an empty string means all defaults.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &str) -> Result<Sim, JsError> {
        console_error_panic_hook::set_once();
        let config =
            Config::overlay(&Config::default(), config.as_bytes()).map_err(|e| JsError::new(&e))?;
        Ok(Sim {
            world: World::new(config),
        })
    }

    /// Starts a request; `headers` is an array of `[name, value]` pairs.
    pub fn submit(
        &mut self,
        member: u32,
        method: String,
        path: String,
        #[wasm_bindgen(unchecked_param_type = "[name: string, value: string][]")] headers: JsValue,
    ) -> Result<f64, JsError> {
        let headers = headers_from_js(&headers)
            .ok_or_else(|| JsError::new("headers must be a list of [name, value] string pairs"))?;
        let ticket = self.world.submit(
            member as usize,
            HttpRequest {
                method,
                path,
                headers,
            },
        );
        Ok(ticket as f64)
    }

    /// More request body; whether the body is still read (once not, the
    /// rest of it need not be handed over: only `finish` still counts).
    pub fn body(&mut self, ticket: f64, data: &[u8]) -> bool {
        self.world.body(ticket as Ticket, data)
    }

    pub fn finish(&mut self, ticket: f64) {
        self.world.finish(ticket as Ticket);
    }

    pub fn cancel(&mut self, ticket: f64) {
        self.world.cancel(ticket as Ticket);
    }

    /// Virtual time in milliseconds.
    pub fn now(&self) -> f64 {
        self.world.now() as f64
    }

    pub fn advance_to(&mut self, ms: f64) {
        self.world.advance_to(ms.max(0.0) as u64);
    }

    /// Virtual time of the next timer, or `undefined`.
    pub fn next_due(&self) -> Option<f64> {
        self.world.next_due().map(|ms| ms as f64)
    }

    pub fn run_until_idle(&mut self) {
        self.world.run_until_idle();
    }

    /// `run_until_idle`, but never past virtual time `limit` (ms).
    pub fn run_until_idle_or(&mut self, limit: f64) {
        self.world.run_until_idle_or(limit.max(0.0) as u64);
    }

    /// Whether the world is paused (`/_sim/pause`): a real-time driver
    /// leaves the clock alone until it is resumed.
    pub fn paused(&self) -> bool {
        self.world.paused()
    }

    /// Changes whenever the clock jumps or stops outside the driver's
    /// control (reset, load, pause, resume, step): the driver re-anchors.
    pub fn epoch(&self) -> f64 {
        self.world.epoch() as f64
    }

    /// Virtual ms per wall ms in real-time mode (`/_sim/speed`).
    pub fn speed(&self) -> f64 {
        self.world.speed()
    }

    pub fn members(&self) -> u32 {
        self.world.members() as u32
    }

    /// The outputs produced so far, as plain objects
    /// `{ticket, kind, status?, headers?, body?, data?}`.
    pub fn drain(&mut self) -> Array {
        self.world.drain().into_iter().map(output_to_js).collect()
    }
}

// One output becomes one JS object in one call: the object is built on the
// JS side, from the kind's number, the headers' text in one string with
// each name's and value's length, and the bytes (a view into wasm memory
// that the builder copies). Setting its fields one by one from here cost a
// call and a key string each.
#[wasm_bindgen(inline_js = "
const KINDS = ['response', 'head', 'chunk', 'end', 'refused'];
export function output(kind, ticket, status, text, lengths, bytes) {
  const o = { ticket, kind: KINDS[kind] };
  if (kind > 1) {
    if (kind === 2) o.data = bytes.slice();
    return o;
  }
  o.status = status;
  const headers = [];
  for (let i = 0, at = 0; i < lengths.length; i += 2) {
    const name = text.slice(at, (at += lengths[i]));
    headers.push([name, text.slice(at, (at += lengths[i + 1]))]);
  }
  o.headers = headers;
  if (kind === 0) o.body = bytes.slice();
  return o;
}
")]
extern "C" {
    fn output(
        kind: u32,
        ticket: f64,
        status: u16,
        text: &str,
        lengths: &[u32],
        bytes: &[u8],
    ) -> JsValue;
}

fn output_to_js(o: Output) -> JsValue {
    let ticket = o.ticket() as f64;
    let (kind, status, headers, bytes) = match o {
        Output::Response { response, .. } => (0, response.status, response.headers, response.body),
        Output::StreamHead {
            status, headers, ..
        } => (1, status, headers, Vec::new()),
        Output::StreamChunk { data, .. } => (2, 0, Vec::new(), data),
        Output::StreamEnd { .. } => (3, 0, Vec::new(), Vec::new()),
        Output::Refused { .. } => (4, 0, Vec::new(), Vec::new()),
    };
    let mut text = String::new();
    let mut lengths = Vec::with_capacity(2 * headers.len());
    for s in headers.iter().flat_map(|(k, v)| [k, v]) {
        text.push_str(s);
        // JS strings count UTF-16 units
        lengths.push(s.encode_utf16().count() as u32);
    }
    output(kind, ticket, status, &text, &lengths, &bytes)
}

/// `[[name, value], ...]`: an array of arrays of strings, a pair's items
/// after the second ignored.
fn headers_from_js(headers: &JsValue) -> Option<Vec<(String, String)>> {
    let pairs = headers.dyn_ref::<Array>()?;
    pairs
        .iter()
        .map(|pair| {
            let pair = pair.dyn_into::<Array>().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}
