//! How to build the simulated world, declared once (see `config!`): each
//! setting's name, which is also its JSON name (`new Sim(json)`,
//! `/_sim/reset`, saved worlds), its type, and its default. Where etcd has
//! the setting, the default is etcd's; the README, `pkg/index.d.ts` and
//! the CLI say the same.
//!
//! The world reads and writes the JSON form through [`Config::SETTINGS`]
//! (`world/json/config.rs`).

/// What a setting holds, as JSON reading and writing see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingType {
    /// A whole number up to `max`; `rust` names the type in messages
    /// (`u64`, `usize`).
    Uint {
        rust: &'static str,
        max: u64,
    },
    Text,
}

/// A setting's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingValue<'a> {
    Uint(u64),
    Text(&'a str),
}

/// One setting of [`Config`].
pub struct Setting {
    pub name: &'static str,
    pub ty: SettingType,
    pub get: fn(&Config) -> SettingValue<'_>,
    /// Sets a value of the setting's type (one of another type is ignored;
    /// a number is at most the type's `max`).
    pub set: fn(&mut Config, SettingValue),
}

/// A Rust type a setting can have.
trait Kind {
    const TYPE: SettingType;
    fn value(&self) -> SettingValue<'_>;
    fn set(&mut self, v: SettingValue);
}

impl Kind for u64 {
    const TYPE: SettingType = SettingType::Uint {
        rust: "u64",
        max: u64::MAX,
    };
    fn value(&self) -> SettingValue<'_> {
        SettingValue::Uint(*self)
    }
    fn set(&mut self, v: SettingValue) {
        if let SettingValue::Uint(n) = v {
            *self = n;
        }
    }
}

impl Kind for usize {
    const TYPE: SettingType = SettingType::Uint {
        rust: "usize",
        max: usize::MAX as u64,
    };
    fn value(&self) -> SettingValue<'_> {
        SettingValue::Uint(*self as u64)
    }
    fn set(&mut self, v: SettingValue) {
        if let SettingValue::Uint(n) = v {
            *self = usize::try_from(n).unwrap_or(usize::MAX);
        }
    }
}

impl Kind for String {
    const TYPE: SettingType = SettingType::Text;
    fn value(&self) -> SettingValue<'_> {
        SettingValue::Text(self)
    }
    fn set(&mut self, v: SettingValue) {
        if let SettingValue::Text(t) = v {
            *self = t.to_string();
        }
    }
}

/// Declares [`Config`]: its fields (docs, name, type, default) in order,
/// which is also the order of the JSON array form and of error messages.
macro_rules! config {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $default:expr,)*) => {
        /// How to build the simulated world.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Config {
            $($(#[$doc])* pub $name: $ty,)*
        }

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $($name: $default,)*
                }
            }
        }

        impl Config {
            /// Every setting, in declaration order.
            pub const SETTINGS: &'static [Setting] = &[$(Setting {
                name: stringify!($name),
                ty: <$ty as Kind>::TYPE,
                get: |c| Kind::value(&c.$name),
                set: |c, v| Kind::set(&mut c.$name, v),
            }),*];
        }
    };
}

config! {
    /// Number of members (1 to 7); the playground, `createCluster()` and
    /// `etcd-sim` start with 3, etcd's local-cluster convention.
    members: usize = 3,
    /// Seed of every random choice the world makes.
    seed: u64 = 1,
    /// etcd's `--experimental-watch-progress-notify-interval` (10 minutes),
    /// in ms; 0 disables progress notifications.
    watch_progress_notify_interval_ms: u64 = 600_000,
    /// etcd's `--initial-cluster-token`: member and cluster ids derive
    /// from it and the peer URLs.
    initial_cluster_token: String = "etcd-cluster".to_string(),
    /// etcd's `--snapshot-count` (100,000 in etcd 3.5): applied entries
    /// between snapshots, after which the Raft log is compacted (lagging
    /// or new members then catch up from a snapshot). 0 = never.
    snapshot_count: u64 = 100_000,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_etcds_and_what_the_docs_promise() {
        let c = Config::default();
        // README, pkg/index.d.ts, `etcd-sim --members` (default 3)
        assert_eq!(c.members, 3);
        assert_eq!(c.seed, 1);
        // etcd 3.5: progress notifications every 10 minutes, a snapshot
        // every 100,000 entries, cluster token "etcd-cluster"
        assert_eq!(c.watch_progress_notify_interval_ms, 10 * 60 * 1000);
        assert_eq!(c.snapshot_count, 100_000);
        assert_eq!(c.initial_cluster_token, "etcd-cluster");
    }

    #[test]
    fn every_setting_reads_and_writes_its_field() {
        let mut c = Config::default();
        for s in Config::SETTINGS {
            let v = match s.ty {
                SettingType::Uint { .. } => SettingValue::Uint(5),
                SettingType::Text => SettingValue::Text("t"),
            };
            (s.set)(&mut c, v);
            assert_eq!((s.get)(&c), v, "{}", s.name);
        }
        let names: Vec<&str> = Config::SETTINGS.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "members",
                "seed",
                "watch_progress_notify_interval_ms",
                "initial_cluster_token",
                "snapshot_count"
            ]
        );
    }
}
