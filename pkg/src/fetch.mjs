// fetch() for member URLs: turns a Request into one ticket of the driver
// and the ticket's outputs into a Response (unary) or a Response whose body
// is a ReadableStream of the chunks (watch, keepalive, snapshot).

/**
 * @param {import('./driver.mjs').Driver} driver
 * @param {(url: URL) => number | undefined} memberOf member index for a URL, or undefined
 * @param {() => typeof fetch} passThrough the fetch for every other URL
 * @returns {typeof fetch}
 */
export function memberFetch(driver, memberOf, passThrough) {
  return async function fetch(input, init) {
    const url = new URL(input instanceof Request ? input.url : String(input), globalThis.location?.href);
    const member = memberOf(url);
    if (member === undefined) return passThrough()(input, init);
    const request = new Request(input, init);
    const { signal } = request;
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      let stream = null;
      let settled = false;
      const ticket = driver.submit(
        member,
        { method: request.method, path: url.pathname + url.search, headers: [...request.headers] },
        (output) => {
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
        },
      );
      signal.addEventListener(
        'abort',
        () => {
          driver.cancel(ticket);
          if (!settled) reject(signal.reason);
          stream?.error(signal.reason);
        },
        { once: true },
      );
      sendBody(driver, ticket, request.body).catch((err) => {
        driver.cancel(ticket);
        if (!settled) reject(err);
      });
    });
  };
}

// Feeds the request body to the core chunk by chunk as it is read.
async function sendBody(driver, ticket, body) {
  if (body !== null) {
    for await (const chunk of body) driver.body(ticket, chunk);
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

function answer(url, status, headers, body) {
  const response = new Response(NULL_BODY.has(status) ? null : body, { status, headers });
  Object.defineProperty(response, 'url', { value: url.href });
  return response;
}
