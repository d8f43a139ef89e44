//! The Watch service: the messages of the bidirectional watch stream.

use super::{Event, ResponseHeader};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchRequest {
    pub request_union: Option<watch_request::RequestUnion>,
}

pub mod watch_request {
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum RequestUnion {
        CreateRequest(super::WatchCreateRequest),
        CancelRequest(super::WatchCancelRequest),
        ProgressRequest(super::WatchProgressRequest),
    }
}

/// `WatchCreateRequest.FilterType`.
pub mod filter_type {
    pub const NOPUT: i32 = 0;
    pub const NODELETE: i32 = 1;
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchCreateRequest {
    pub key: Vec<u8>,
    pub range_end: Vec<u8>,
    pub start_revision: i64,
    pub progress_notify: bool,
    /// `filter_type::*` values; unknown numbers are kept.
    pub filters: Vec<i32>,
    pub prev_kv: bool,
    pub watch_id: i64,
    pub fragment: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchCancelRequest {
    pub watch_id: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchProgressRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchResponse {
    pub header: Option<ResponseHeader>,
    pub watch_id: i64,
    pub created: bool,
    pub canceled: bool,
    pub compact_revision: i64,
    pub cancel_reason: String,
    pub fragment: bool,
    pub events: Vec<Event>,
}
