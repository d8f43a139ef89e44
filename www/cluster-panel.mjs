// The playground's cluster panel: each member's Raft state, the latest
// elections, requests and faults, and buttons to break and heal the
// cluster, pause and step the world, change its speed and its links'
// latency, save and load it.
// Everything goes through cluster.sim (the /_sim/ API).

import { sentence } from './trace-sentences.mjs';

// Trace events worth a line: elections and votes, client requests, faults.
// (Messages, commits and applies are many; the table shows their effect.)
const HIDDEN = new Set(['send', 'deliver', 'drop', 'commit', 'apply']);
const MAX_EVENTS = 16;
const REFRESH_MS = 250;

/**
 * @param {HTMLElement} root the panel (see index.html)
 * @param {import('../index.d.ts').Cluster} cluster
 */
export function clusterPanel(root, cluster) {
  const $ = (selector) => root.querySelector(selector);
  const rows = $('#members tbody');
  const events = $('#events');
  const status = $('#status');
  let state = null;
  let nextEvent = 0;
  let refreshing = false;

  async function act(action) {
    status.textContent = '';
    try {
      await action();
    } catch (err) {
      status.textContent = err.message;
    }
    await refresh();
  }

  const actions = {
    crash: (m) => cluster.sim.crash(m),
    restart: (m) => cluster.sim.restart(m),
    transfer: (m) => cluster.sim.transfer(m),
    isolate: () => {
      const leader = state?.leader;
      if (leader == null) throw new Error('no leader to isolate');
      const others = state.members.map((m) => m.index).filter((i) => i !== leader);
      return cluster.sim.partition([[leader], others]);
    },
    heal: () => cluster.sim.heal(),
    pause: () => (state?.paused ? cluster.sim.resume() : cluster.sim.pause()),
    step: () => cluster.sim.step(),
    save: async () => {
      const world = await cluster.sim.save();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([JSON.stringify(world)], { type: 'application/json' }));
      link.download = `etcd-sim-world-${Math.round(world.now)}ms.json`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    },
  };

  root.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-act]');
    if (!button) return;
    const member = button.dataset.member === undefined ? undefined : Number(button.dataset.member);
    act(() => actions[button.dataset.act](member));
  });
  $('#speed').addEventListener('change', (event) => act(() => cluster.sim.speed(Number(event.target.value))));
  // Loopback by default: a write is answered at once. A latency (with
  // slow motion) shows the messages of a write or an election travel.
  $('#links').addEventListener('change', (event) => {
    const [latency_ms, jitter_ms] = event.target.value.split(',').map(Number);
    act(() => cluster.sim.link({ latency_ms, jitter_ms }));
  });
  $('#load').addEventListener('change', (event) => {
    const file = event.target.files?.[0];
    if (!file) return;
    act(async () => {
      await cluster.sim.load(await file.text());
      // the loaded world has its own trace
      nextEvent = 0;
      events.replaceChildren();
    });
    event.target.value = '';
  });

  function render() {
    $('#clock').textContent = `t = ${(state.now / 1000).toFixed(3)} s`;
    $('[data-act=pause]').textContent = state.paused ? 'Resume' : 'Pause';
    $('[data-act=step]').disabled = !state.paused;
    $('#speed').value = String(state.speed);
    rows.replaceChildren(
      ...state.members.map((m) => {
        const tr = document.createElement('tr');
        tr.className = m.role;
        const cells = [m.name, m.role, m.term, m.log.last, m.commit, m.applied, m.revision];
        for (const value of cells) {
          const td = document.createElement('td');
          td.textContent = String(value);
          tr.append(td);
        }
        const td = document.createElement('td');
        td.append(button(m.crashed ? 'restart' : 'crash', m.index));
        if (!m.crashed && !m.removed && m.role !== 'leader') td.append(button('transfer', m.index, 'make leader'));
        tr.append(td);
        return tr;
      }),
    );
  }

  function button(act, member, text = act) {
    const b = document.createElement('button');
    b.dataset.act = act;
    b.dataset.member = String(member);
    b.textContent = text;
    return b;
  }

  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    try {
      state = await cluster.sim.state();
      render();
      const trace = await cluster.sim.trace(nextEvent);
      nextEvent = trace.next;
      for (const e of trace.events) {
        if (HIDDEN.has(e.kind)) continue;
        const li = document.createElement('li');
        li.dataset.kind = e.kind;
        li.textContent = `${(e.at / 1000).toFixed(3)} s  ${sentence(e)}`;
        events.prepend(li);
      }
      while (events.children.length > MAX_EVENTS) events.lastChild.remove();
    } catch (err) {
      status.textContent = err.message;
    } finally {
      refreshing = false;
    }
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
}
