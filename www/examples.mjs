// The curl examples of etcd.io's "gRPC gateway" page, as fetch() calls.

export const EXAMPLES = `// Keys and values are base64: foo is 'Zm9v', bar is 'YmFy'.
const etcd = 'http://localhost:2379';
async function post(path, body, headers = {}) {
  const res = await fetch(etcd + path, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return \`\${res.status} \${text.trim()}\`;
  }
}

// curl -L http://localhost:2379/v3/kv/put -X POST -d '{"key": "Zm9v", "value": "YmFy"}'
print(await post('/v3/kv/put', { key: 'Zm9v', value: 'YmFy' }));

// curl -L http://localhost:2379/v3/kv/range -X POST -d '{"key": "Zm9v"}'
print(await post('/v3/kv/range', { key: 'Zm9v' }));

// get all keys prefixed with "foo"
print(await post('/v3/kv/range', { key: 'Zm9v', range_end: 'Zm9w' }));

// curl -N http://localhost:2379/v3/watch -X POST -d '{"create_request": {"key":"Zm9v"} }' &
const watch = new AbortController();
const stream = await fetch(etcd + '/v3/watch', {
  method: 'POST',
  body: JSON.stringify({ create_request: { key: 'Zm9v' } }),
  signal: watch.signal,
});
const messages = stream.body.pipeThrough(new TextDecoderStream()).getReader();
print((await messages.read()).value);
await post('/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
print((await messages.read()).value);
watch.abort();

// Transactions: target CREATE
print(await post('/v3/kv/txn', {
  compare: [{ target: 'CREATE', key: 'Zm9v', createRevision: '2' }],
  success: [{ requestPut: { key: 'Zm9v', value: 'YmFy' } }],
}));

// target VERSION
print(await post('/v3/kv/txn', {
  compare: [{ version: '4', result: 'EQUAL', target: 'VERSION', key: 'Zm9v' }],
  success: [{ requestRange: { key: 'Zm9v' } }],
}));

// Authentication: create root user and role, grant, enable auth
print(await post('/v3/auth/user/add', { name: 'root', password: 'pass' }));
print(await post('/v3/auth/role/add', { name: 'root' }));
print(await post('/v3/auth/user/grant', { user: 'root', role: 'root' }));
print(await post('/v3/auth/enable', {}));

// get the auth token for the root user, then use it
const { token } = await post('/v3/auth/authenticate', { name: 'root', password: 'pass' });
print(token);
print(await post('/v3/kv/put', { key: 'Zm9v', value: 'YmFy' }, { Authorization: token }));
`;
