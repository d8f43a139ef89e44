//! The gRPC metadata grpc-gateway makes of a request's HTTP headers, as
//! etcd reads it: whether the client asked for a leader, and its auth
//! token.

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
/// as it is: `Bearer <token>` is no token it knows (docs/etcd-behaviour.md #57).
pub fn token(headers: &[(String, String)]) -> Option<String> {
    let first = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim_matches([' ', '\t']).to_string())
    };
    first("grpc-metadata-token").or_else(|| first("authorization"))
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
        // docs/etcd-behaviour.md #57: no `Bearer` scheme is stripped
        assert_eq!(
            t(&[("Authorization", "Bearer x")]).as_deref(),
            Some("Bearer x")
        );
        let both = [("Authorization", "a.1"), ("Grpc-Metadata-Token", "t.2")];
        assert_eq!(t(&both).as_deref(), Some("t.2"));
    }
}
