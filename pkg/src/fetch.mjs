// fetch() for member URLs: turns a request into one ticket of the driver
// and the ticket's outputs into a Response (unary) or a Response whose body
// is a ReadableStream of the chunks (watch, keepalive, snapshot).
//
// The common call, a URL and a plain init with a string body, goes straight
// to the driver (`plainRequest`): no Request object, no body stream, one run
// of the world. Everything else takes the general path through `Request`.
// Both hand the core the same request, byte for byte.

/**
 * @param {import('./driver.mjs').Driver} driver
 * @param {(url: URL) => number | undefined} memberOf member index for a URL, or undefined
 * @param {() => typeof fetch} passThrough the fetch for every other URL
 * @returns {typeof fetch}
 */
export function memberFetch(driver, memberOf, passThrough) {
  // What the URLs called lately come to (a page calls the same few): the
  // member, and what a call needs of the URL. Only absolute URLs, which
  // mean the same wherever the page is.
  const targets = new Map();
  const targetOf = (text) => {
    let target = targets.get(text);
    if (target === undefined) {
      const url = new URL(text, globalThis.location?.href);
      const { href, pathname, search, username, password } = url;
      target = { member: memberOf(url), href, path: pathname + search, userinfo: username !== '' || password !== '' };
      if (ABSOLUTE.test(text)) {
        if (targets.size === 64) targets.clear();
        targets.set(text, target);
      }
    }
    return target;
  };

  return async function fetch(input, init) {
    const target = targetOf(input instanceof Request ? input.url : String(input));
    const { member, href: url } = target;
    if (member === undefined) return passThrough()(input, init);
    const plain = target.userinfo ? null : plainRequest(input, init);
    const request = plain ?? new Request(input, init);
    const { signal } = request;
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      let stream = null;
      let settled = false;
      const onOutput = (output) => {
        switch (output.kind) {
          case 'response':
            settled = true;
            resolve(answer(url, output.status, output.headers, output.body));
            break;
          case 'head':
            settled = true;
            stream = chunkStream(() => driver.cancel(ticket));
            resolve(answer(url, output.status, output.headers, stream.body));
            break;
          case 'chunk':
            stream?.push(output.data);
            break;
          case 'end':
            stream?.close();
            break;
          case 'refused':
            settled = true;
            reject(new TypeError('Failed to fetch'));
            break;
        }
      };
      const head = {
        method: request.method,
        path: target.path,
        headers: plain?.headers ?? [...request.headers],
      };
      const ticket = plain ? driver.request(member, head, plain.body, onOutput) : driver.submit(member, head, onOutput);
      signal?.addEventListener(
        'abort',
        () => {
          driver.cancel(ticket);
          if (!settled) reject(signal.reason);
          stream?.error(signal.reason);
        },
        { once: true },
      );
      if (!plain) {
        sendBody(driver, ticket, request.body).catch((err) => {
          driver.cancel(ticket);
          if (!settled) reject(err);
        });
      }
    });
  };
}

// What `new Request(input, init)` would make of a plain call, without making
// it: `{method, headers, body, signal}` with the body encoded, or null when
// the call needs the general path (a Request, a body other than a string,
// any init member besides these four, a method or header Request would
// change, refuse or drop).
const ABSOLUTE = /^https?:\/\//i;
const PLAIN_INIT = new Set(['method', 'headers', 'body', 'signal']);
// Request upper-cases these methods (Fetch standard, "normalize a method").
const NORMAL_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
// Header names no browser forbids in a request (a forbidden one Request drops).
const PLAIN_HEADER = /^(?:accept|authorization|content-type|grpc-metadata-[-0-9a-z]+)$/;

function plainRequest(input, init) {
  if (typeof input !== 'string' && !(input instanceof URL)) return null;
  const { method = 'GET', headers, body = null, signal = null } = init ?? {};
  if (init !== undefined && init !== null) {
    for (const key in init) if (!PLAIN_INIT.has(key)) return null;
  }
  if (typeof method !== 'string' || !NORMAL_METHODS.has(method.toUpperCase())) return null;
  const normal = method.toUpperCase();
  if (body !== null && (typeof body !== 'string' || normal === 'GET' || normal === 'HEAD')) return null;
  if (signal !== null && !(signal instanceof AbortSignal)) return null;
  let pairs = [];
  if (headers !== undefined) {
    let list;
    try {
      list = new Headers(headers);
    } catch {
      return null;
    }
    if (body !== null && !list.has('content-type')) list.set('content-type', 'text/plain;charset=UTF-8');
    pairs = [...list];
    if (!pairs.every(([name]) => PLAIN_HEADER.test(name))) return null;
  } else if (body !== null) {
    pairs = [['content-type', 'text/plain;charset=UTF-8']];
  }
  // the string itself: the driver encodes it as the core reads it
  return { method: normal, headers: pairs, body: body ?? '', signal };
}

// Feeds the request body to the core chunk by chunk as it is read; once
// the core reads no more of it, the rest is read through (its end is still
// the request's end) but not handed over.
async function sendBody(driver, ticket, body) {
  if (body !== null) {
    let reading = true;
    for await (const chunk of body) if (reading) reading = driver.body(ticket, chunk);
  }
  driver.finish(ticket);
}

// A response body that the core fills; the reader cancelling it cancels the ticket.
function chunkStream(onCancel) {
  let controller;
  let open = true;
  const body = new ReadableStream({
    start(c) {
      controller = c;
    },
    cancel() {
      open = false;
      onCancel();
    },
  });
  const whileOpen = (f) => (x) => {
    if (open) f(x);
  };
  return {
    body,
    push: whileOpen((data) => controller.enqueue(data)),
    close: whileOpen(() => {
      open = false;
      controller.close();
    }),
    error: whileOpen((reason) => {
      open = false;
      controller.error(reason);
    }),
  };
}

// Statuses whose Response must not have a body (Fetch standard "null body status").
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A Response from the core's answer; `url` is the request's, as fetch gives it. */
function answer(url, status, headers, body) {
  const response = NULL_BODY.has(status)
    ? new Response(null, { status, headers })
    : body instanceof Uint8Array
      ? new AnsweredResponse(body, { status, headers })
      : new Response(body, { status, headers });
  Object.defineProperty(response, 'url', { value: url });
  return response;
}

const decoder = new TextDecoder();

// A unary answer's Response: a real Response with the answer as its body,
// whose `json()` and `text()` take the bytes it was made from instead of
// reading that body back. A platform read resolves only after a task of
// the event loop (and the caches the world's run went through are cold by
// then); this resolves at once. Everything else is the platform's: the
// body is there for `body`, `arrayBuffer()`, `blob()`, `clone()`, and
// whoever reads first, reads it. After a read here `bodyUsed` is true, and
// anything that looks at the body first consumes it as a platform read
// would have (locked and disturbed), so a second read, `clone()` or the
// stream behave as they would; that is done only when asked, since most
// answers are read once and dropped.
class AnsweredResponse extends Response {
  // the body's bytes, until json() or text() takes them
  #bytes;
  // taken by json() or text(), and the platform body not consumed yet
  #owed = false;
  // the body stream was handed out: reads are the platform's from then on
  #exposed = false;

  constructor(bytes, init) {
    super(bytes, init);
    this.#bytes = bytes;
  }

  get bodyUsed() {
    return this.#owed || super.bodyUsed;
  }

  get body() {
    this.#settle();
    this.#exposed = true;
    return super.body;
  }

  text() {
    const bytes = this.#take();
    return bytes ? Promise.resolve(decoder.decode(bytes)) : super.text();
  }

  json() {
    const bytes = this.#take();
    if (!bytes) return super.json();
    try {
      return Promise.resolve(JSON.parse(decoder.decode(bytes)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  arrayBuffer() {
    this.#settle();
    return super.arrayBuffer();
  }

  blob() {
    this.#settle();
    return super.blob();
  }

  formData() {
    this.#settle();
    return super.formData();
  }

  clone() {
    this.#settle();
    return super.clone();
  }

  /** The bytes, if this read may take them (nothing read or exposed the body yet). */
  #take() {
    const bytes = this.#bytes;
    if (bytes === null || this.#exposed || super.bodyUsed) return null;
    this.#bytes = null;
    this.#owed = true;
    return bytes;
  }

  // What the read taken here owes the platform body: locked and disturbed.
  #settle() {
    if (!this.#owed) return;
    this.#owed = false;
    super.body
      .getReader()
      .cancel()
      .catch(() => {});
  }

  bytes() {
    this.#settle();
    return super.bytes();
  }

  static {
    // a platform without bytes() has none here either
    if (typeof Response.prototype.bytes !== 'function') delete AnsweredResponse.prototype.bytes;
  }
}
