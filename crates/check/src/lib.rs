//! Checks a client-visible history of an etcd cluster (etcd-sim's swarm
//! test records one), in the manner of etcd's tests/robustness: a
//! deterministic model of the KV ([`model`]) checks every history for
//! linearizability ([`check_linearizable`]); serializable reads get a
//! weaker check ([`check_serializable`]); watch guarantees are checked one
//! by one, each with its name ([`watch`]). It knows nothing of the
//! simulator: histories are plain data, so it can check any etcd's.
//!
//! ```
//! use etcd_sim_check::{check_linearizable, History, Request, Response};
//!
//! let mut h = History::new();
//! let put = h.call(1, 0, Request::put("k", "v"));
//! let get = h.call(2, 1, Request::get("k"));
//! h.ret(put, 5, Response::Put { revision: 2 });
//! h.ret(get, 6, Response::Range { revision: 1, kvs: vec![], count: 0 });
//! // The get overlapped the put, so it may come first.
//! assert!(check_linearizable(&h).is_ok());
//! ```

pub mod history;
pub mod linearizable;
pub mod model;
pub mod serializable;
pub mod watch;

#[cfg(test)]
mod generate;

pub use history::*;
pub use linearizable::{
    check_linearizable, check_linearizable_with, Linearization, Options, Step, Violation,
};
pub use serializable::{check_serializable, SerializableViolation};
pub use watch::{check_watches, Watch, WatchRequest, WatchResponse, WatchViolation};
