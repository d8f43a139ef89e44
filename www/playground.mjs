// The playground page: a cluster behind fetch(), an editor, a Run button,
// and the cluster panel to watch and break it.

import { createCluster } from '../index.mjs';
import { clusterPanel } from './cluster-panel.mjs';
import { EXAMPLES } from './examples.mjs';

const code = document.getElementById('code');
const run = document.getElementById('run');
const output = document.getElementById('output');

const cluster = createCluster();
cluster.install();
clusterPanel(document.getElementById('cluster'), cluster);

function print(value) {
  output.textContent += `${typeof value === 'string' ? value : JSON.stringify(value)}\n`;
}

const AsyncFunction = (async () => {}).constructor;

code.value = EXAMPLES;
run.disabled = false;
run.addEventListener('click', async () => {
  output.textContent = '';
  run.disabled = true;
  try {
    await new AsyncFunction('print', code.value)(print);
  } catch (err) {
    print(`${err.name}: ${err.message}`);
  } finally {
    run.disabled = false;
  }
});
