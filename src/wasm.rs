//! JavaScript bindings of [`World`]: each method converts JS values in,
//! makes one call and converts the result out. No etcd rules here.

use crate::world::{Config, HttpRequest, Output, Ticket, World};
use js_sys::{Array, Object, Reflect, Uint8Array};
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
    /// `{kind, ticket, status?, headers?, body?, data?}`.
    pub fn drain(&mut self) -> Array {
        self.world
            .drain()
            .into_iter()
            .map(|o| JsValue::from(output_to_js(o)))
            .collect()
    }
}

fn output_to_js(output: Output) -> Object {
    let obj = Object::new();
    let set = |k: &str, v: JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(k), &v);
    };
    set("ticket", JsValue::from_f64(output.ticket() as f64));
    match output {
        Output::Response { response, .. } => {
            set("kind", "response".into());
            set("status", response.status.into());
            set("headers", headers_to_js(response.headers).into());
            set("body", Uint8Array::from(response.body.as_slice()).into());
        }
        Output::StreamHead {
            status, headers, ..
        } => {
            set("kind", "head".into());
            set("status", status.into());
            set("headers", headers_to_js(headers).into());
        }
        Output::StreamChunk { data, .. } => {
            set("kind", "chunk".into());
            set("data", Uint8Array::from(data.as_slice()).into());
        }
        Output::StreamEnd { .. } => set("kind", "end".into()),
        Output::Refused { .. } => set("kind", "refused".into()),
    }
    obj
}

/// `[[name, value], ...]`: any iterables, a pair's items after the second
/// ignored (as serde-wasm-bindgen read them).
fn headers_from_js(headers: &JsValue) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for pair in js_sys::try_iter(headers).ok()?? {
        let mut items = js_sys::try_iter(&pair.ok()?).ok()??;
        let mut item = || items.next()?.ok()?.as_string();
        out.push((item()?, item()?));
    }
    Some(out)
}

fn headers_to_js(headers: Vec<(String, String)>) -> Array {
    headers
        .into_iter()
        .map(|(k, v)| JsValue::from(Array::of2(&k.into(), &v.into())))
        .collect()
}
