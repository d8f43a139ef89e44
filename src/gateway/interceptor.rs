//! etcd's gRPC interceptors (`server/etcdserver/api/v3rpc/interceptor.go`
//! in 3.5.1): what every call meets once gRPC has received its request and
//! before its handler runs. A learner serves only `Status`, serializable
//! `Range` and the `Snapshot` stream; a call carrying the metadata
//! `hasleader: true` is refused while the member knows no leader.

use crate::cluster::Cluster;
use crate::errors::EtcdError;
use crate::pb::{Learner, Rpc};
use crate::server::Request;

/// Whether the client asked for a leader. grpc-gateway v1.16's default
/// header matcher passes `Grpc-Metadata-<Key>` (name canonicalized, so
/// case-insensitive) as metadata `<key>`; etcd looks at the first value of
/// `hasleader` and wants exactly `true` (`rpctypes.MetadataRequireLeaderKey`,
/// `MetadataHasLeader`). Go trims the spaces and tabs around a header value.
pub fn requires_leader(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("grpc-metadata-hasleader"))
        .is_some_and(|(_, v)| v.trim_matches([' ', '\t']) == "true")
}

/// The client's auth token: grpc-gateway passes the `Authorization` header
/// as metadata `authorization` (and `Grpc-Metadata-Token` as `token`);
/// etcd reads `token` first, then `authorization`, the first value of each,
/// as it is: `Bearer <token>` is no token it knows (FINDINGS #57).
pub fn token(headers: &[(String, String)]) -> Option<String> {
    let first = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim_matches([' ', '\t']).to_string())
    };
    first("grpc-metadata-token").or_else(|| first("authorization"))
}

/// `newUnaryInterceptor` / `newStreamInterceptor` for a call of `rpc`
/// (with its request, for a unary call the member serves): the learner
/// check, then the leader check. `Ok(true)` when the call asked for a
/// leader (etcd's leader monitor then watches such a stream).
pub fn check(
    cluster: &Cluster,
    member: usize,
    rpc: Rpc,
    request: Option<&Request>,
    headers: &[(String, String)],
) -> Result<bool, EtcdError> {
    if cluster.is_learner(member) && !served_by_learner(rpc, request) {
        return Err(EtcdError::NotSupportedForLearner);
    }
    let require_leader = requires_leader(headers);
    if require_leader && !cluster.has_leader(member) {
        return Err(EtcdError::NoLeader);
    }
    Ok(require_leader)
}

/// `isRPCSupportedForLearner`, and the stream interceptor's exception for
/// `Snapshot`, as the RPC table has them.
fn served_by_learner(rpc: Rpc, request: Option<&Request>) -> bool {
    match rpc.learner() {
        Learner::Served => true,
        Learner::Refused => false,
        // only a range has the flag
        Learner::Serializable => matches!(request, Some(Request::Range(r)) if r.serializable),
    }
}

#[cfg(test)]
mod tests {
    use super::{requires_leader, token};

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn hasleader_is_the_first_grpc_metadata_hasleader_header_and_must_be_true() {
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[], false),
            (&[("Grpc-Metadata-Hasleader", "true")], true),
            (&[("grpc-metadata-hasleader", " true ")], true),
            (&[("GRPC-METADATA-HASLEADER", "true")], true),
            (&[("Grpc-Metadata-Hasleader", "True")], false),
            (&[("Grpc-Metadata-Hasleader", "1")], false),
            (&[("Hasleader", "true")], false),
            (&[("Grpc-Metadata-Hasleader-Bin", "true")], false),
            (
                &[
                    ("Grpc-Metadata-Hasleader", "false"),
                    ("grpc-metadata-hasleader", "true"),
                ],
                false,
            ),
        ];
        for (h, want) in cases {
            assert_eq!(requires_leader(&headers(h)), *want, "{h:?}");
        }
    }

    #[test]
    fn the_token_is_the_first_token_or_authorization_header_as_sent() {
        let t = |h: &[(&str, &str)]| token(&headers(h));
        assert_eq!(t(&[]), None);
        assert_eq!(t(&[("authorization", "abc.1")]).as_deref(), Some("abc.1"));
        assert_eq!(t(&[("AUTHORIZATION", " abc.1 ")]).as_deref(), Some("abc.1"));
        // FINDINGS #57: no `Bearer` scheme is stripped
        assert_eq!(
            t(&[("Authorization", "Bearer x")]).as_deref(),
            Some("Bearer x")
        );
        let both = [("Authorization", "a.1"), ("Grpc-Metadata-Token", "t.2")];
        assert_eq!(t(&both).as_deref(), Some("t.2"));
    }
}
