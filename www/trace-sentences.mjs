// Trace events (/_sim/trace, docs/trace.md) as sentences a student reads:
// "m1 votes for m0 in term 2". Built from the events' typed fields only.

/** @param {number} i a member index */
const m = (i) => `m${i}`;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

const DROP_REASONS = {
  loss: 'the link lost it',
  blocked: 'the link is cut',
  down: 'the receiver is down',
  crash: 'cut by a crash',
  removed: 'cut by a removal',
};

/**
 * @param {import('../index.d.ts').TraceEvent} e
 * @returns {string}
 */
export function sentence(e) {
  switch (e.kind) {
    case 'send': {
      const entries = e.entries > 0 ? `, ${plural(e.entries, 'entry', 'entries')}` : '';
      const reject = e.reject ? ', rejecting' : '';
      return `${m(e.from)} sends ${e.type} to ${m(e.to)} (term ${e.term}${entries}${reject})`;
    }
    case 'deliver':
      return `${m(e.to)} receives ${e.type} from ${m(e.from)}`;
    case 'drop':
      return `${e.type} from ${m(e.from)} to ${m(e.to)} is lost: ${DROP_REASONS[e.reason] ?? e.reason}`;

    case 'became_follower':
      return `${m(e.member)} becomes follower in term ${e.term}${e.leader === undefined ? '' : ` (leader ${m(e.leader)})`}`;
    case 'became_pre_candidate':
      return `${m(e.member)} becomes pre-candidate and asks for pre-votes for term ${e.term + 1}`;
    case 'became_candidate':
      return `${m(e.member)} becomes candidate in term ${e.term}`;
    case 'became_leader':
      return `${m(e.member)} becomes leader in term ${e.term}`;
    case 'vote':
      if (e.pre_vote) {
        return `${m(e.member)} ${e.granted ? 'grants' : 'refuses'} ${m(e.candidate)} a pre-vote for term ${e.term}`;
      }
      return e.granted
        ? `${m(e.member)} votes for ${m(e.candidate)} in term ${e.term}`
        : `${m(e.member)} refuses to vote for ${m(e.candidate)} in term ${e.term}`;
    case 'vote_ignored':
      return `${m(e.member)} ignores ${m(e.candidate)}'s vote request for term ${e.term}: its leader is alive`;
    case 'commit':
      return `${m(e.member)} commits up to index ${e.index}`;
    case 'conf_change_refused':
      return `${m(e.member)} refuses the conf change at index ${e.index}: another one is pending`;
    case 'snapshot_restored':
      return `${m(e.member)} replaces its log with a snapshot at index ${e.index} (term ${e.term})`;
    case 'transfer_started':
      return `${m(e.member)} starts handing leadership to ${e.to === undefined ? 'a new member' : m(e.to)}`;
    case 'transfer_aborted':
      return `${m(e.member)} stops handing leadership to ${e.to === undefined ? 'a new member' : m(e.to)}`;
    case 'check_quorum_failed':
      return `${m(e.member)} steps down in term ${e.term}: no quorum answers it`;

    case 'apply': {
      const at = `at index ${e.index}`;
      if (e.entry === 'empty') return `${m(e.member)} applied the new leader's empty entry ${at}`;
      if (e.entry === 'conf_change') {
        const node = e.node === undefined ? e.node_id : m(e.node);
        return `${m(e.member)} applied ${e.change} ${node} ${at}`;
      }
      return `${m(e.member)} applied ${e.entry} ${at}${e.revision === undefined ? '' : ` (revision ${e.revision})`}`;
    }
    case 'apply_snapshot':
      return `${m(e.member)} loads a snapshot of the state at index ${e.index}`;
    case 'snapshot':
      return `${m(e.member)} snapshots its state at index ${e.index} and compacts its log`;

    case 'request':
      return `a client sends ${e.request} to ${m(e.member)}`;

    case 'cluster_started':
      return `a cluster of ${plural(e.members, 'member', 'members')} started`;
    case 'crash':
      return `${m(e.member)} crashed`;
    case 'restart':
      return `${m(e.member)} restarted`;
    case 'partition':
      return `the network is partitioned: ${e.groups.map((g) => g.map(m).join(' ')).join(' | ')}`;
    case 'block':
      return `${m(e.from)} can no longer send to ${m(e.to)}`;
    case 'heal':
      return 'the network is healed';
    case 'link': {
      const which = e.from === undefined ? 'every link' : `link ${m(e.from)} → ${m(e.to)}`;
      return `${which}: ${e.latency_ms} ms latency, up to ${e.jitter_ms} ms more, ${Math.round(e.loss * 1000) / 10}% loss`;
    }
    case 'transfer':
      return `leadership transfer to ${m(e.to)} requested`;
    case 'add_member':
      return `${m(e.member)} added${e.learner ? ' as a learner' : ''}`;
    case 'start_member':
      return `${m(e.member)} started, empty`;
    case 'remove_member':
      return `removal of ${m(e.member)} proposed`;
    case 'pause':
      return 'time paused';
    case 'resume':
      return 'time resumed';
    default:
      // a kind newer than this module
      return /** @type {{kind: string}} */ (e).kind;
  }
}
