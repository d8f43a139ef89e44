//! The alarm store (etcd `server/etcdserver/api/v3alarm`): which member
//! raised which alarm. Part of the replicated state: alarms are changed by
//! Raft entries, and an active alarm changes how entries apply (NOSPACE
//! refuses writes that grow the database, CORRUPT refuses every write).

use crate::pb::{alarm_type, AlarmMember};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlarmStore {
    /// (alarm type, member id), sorted so that listing is by type then
    /// member, each once. (A sorted Vec: a BTreeSet of this type would
    /// add 3 KB to the wasm for the few alarms there can be.)
    active: Vec<(i32, u64)>,
}

impl AlarmStore {
    /// Raises an alarm; answers the alarm as stored (also when it was
    /// already active).
    pub fn activate(&mut self, member_id: u64, alarm: i32) -> AlarmMember {
        if let Err(i) = self.active.binary_search(&(alarm, member_id)) {
            self.active.insert(i, (alarm, member_id));
        }
        AlarmMember { member_id, alarm }
    }

    /// Clears an alarm; answers it if it was active.
    pub fn deactivate(&mut self, member_id: u64, alarm: i32) -> Option<AlarmMember> {
        let i = self.active.binary_search(&(alarm, member_id)).ok()?;
        self.active.remove(i);
        Some(AlarmMember { member_id, alarm })
    }

    /// Active alarms of one type; `NONE` lists them all.
    pub fn get(&self, alarm: i32) -> Vec<AlarmMember> {
        self.active
            .iter()
            .filter(|(t, _)| alarm == alarm_type::NONE || *t == alarm)
            .map(|&(alarm, member_id)| AlarmMember { member_id, alarm })
            .collect()
    }

    pub fn is_active(&self, alarm: i32) -> bool {
        self.active.iter().any(|(t, _)| *t == alarm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_none_lists_every_alarm_by_type_then_member() {
        let mut a = AlarmStore::default();
        a.activate(9, alarm_type::CORRUPT);
        a.activate(5, alarm_type::NOSPACE);
        a.activate(3, alarm_type::NOSPACE);
        let all: Vec<_> = a
            .get(alarm_type::NONE)
            .iter()
            .map(|m| (m.alarm, m.member_id))
            .collect();
        assert_eq!(all, vec![(1, 3), (1, 5), (2, 9)]);
        assert_eq!(a.get(alarm_type::CORRUPT).len(), 1);
    }

    #[test]
    fn deactivating_an_inactive_alarm_answers_nothing() {
        let mut a = AlarmStore::default();
        assert_eq!(a.deactivate(1, alarm_type::NOSPACE), None);
        a.activate(1, alarm_type::NOSPACE);
        assert!(a.deactivate(1, alarm_type::NOSPACE).is_some());
        assert!(!a.is_active(alarm_type::NOSPACE));
    }
}

/// The alarms as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::AlarmStore;
    use crate::checkpoint::{Checkpoint, Decoder, Encoder};

    impl Checkpoint for AlarmStore {
        fn encode(&self, e: &mut Encoder) {
            let AlarmStore { active } = self;
            active.encode(e);
        }

        fn decode(d: &mut Decoder) -> Self {
            AlarmStore {
                active: Checkpoint::decode(d),
            }
        }
    }
}
