// Node front door: one `http` request handler per member, streaming the
// request body into the core and the core's outputs back out unchanged.

/**
 * @param {import('./driver.mjs').Driver} driver
 * @param {number} member
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void}
 */
export function gatewayHandler(driver, member) {
  return (req, res) => {
    let answered = false;
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    const ticket = driver.submit(member, { method: req.method, path: req.url, headers }, (output) => {
      switch (output.kind) {
        case 'response': {
          answered = true;
          const head = output.headers;
          if (!head.some(([name]) => name.toLowerCase() === 'content-length')) {
            head.push(['Content-Length', String(output.body.length)]);
          }
          res.writeHead(output.status, head.flat());
          res.end(output.body);
          break;
        }
        case 'head':
          res.writeHead(output.status, output.headers.flat());
          res.flushHeaders();
          break;
        case 'chunk':
          res.write(output.data);
          break;
        case 'end':
          answered = true;
          res.end();
          break;
        case 'refused':
          // A member that is down: close the connection without an answer.
          answered = true;
          req.socket.destroy();
          break;
      }
    });
    // The client went away before its answer was complete: no stream left behind.
    res.on('close', () => {
      if (!answered) driver.cancel(ticket);
    });
    // Once the core reads no more of the body (answered from what came, or
    // past a cap), the rest is drained, not handed over: the answer comes at
    // its end, the end of the request, as before.
    let reading = true;
    req.on('data', (chunk) => {
      if (reading) reading = driver.body(ticket, chunk);
    });
    req.on('end', () => driver.finish(ticket));
  };
}
