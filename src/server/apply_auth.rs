//! Permission checks when an entry is applied or a read is served, and the
//! Auth service's requests applied to the store (etcd
//! `server/etcdserver/apply_auth.go` and `applierV3backend`'s auth part).

use super::Request;
use crate::auth::{AuthInfo, AuthRequest, AuthResponse, AuthStore, SimpleTokens};
use crate::errors::EtcdError;
use crate::lease::Lessor;
use crate::pb;
use crate::pb::request_op::Request as Op;

/// etcd `authApplierV3`: may the sender of `req` do it?
pub(super) fn check(
    auth: &AuthStore,
    lessor: &Lessor,
    ai: &AuthInfo,
    req: &Request,
) -> Result<(), EtcdError> {
    match req {
        Request::Range(r) => auth.is_range_permitted(ai, &r.key, &r.range_end),
        Request::Put(p) => {
            auth.is_put_permitted(ai, &p.key)?;
            check_lease_puts(auth, lessor, ai, p.lease)?;
            if p.prev_kv {
                auth.is_range_permitted(ai, &p.key, &[])?;
            }
            Ok(())
        }
        Request::DeleteRange(d) => {
            auth.is_delete_range_permitted(ai, &d.key, &d.range_end)?;
            if d.prev_kv {
                auth.is_range_permitted(ai, &d.key, &d.range_end)?;
            }
            Ok(())
        }
        Request::Txn(t) => check_txn(auth, ai, t),
        // revoking deletes the attached keys: it needs write on each
        Request::LeaseRevoke(r) => check_lease_puts(auth, lessor, ai, r.id),
        Request::Auth(AuthRequest::UserGet(r)) => match auth.is_admin_permitted(ai) {
            Err(e) if r.name != ai.username => Err(e),
            _ => Ok(()),
        },
        Request::Auth(AuthRequest::RoleGet(r)) => match auth.is_admin_permitted(ai) {
            Err(e) if !auth.has_role(&ai.username, &r.role) => Err(e),
            _ => Ok(()),
        },
        Request::Auth(a) if a.needs_admin() => auth.is_admin_permitted(ai),
        _ => Ok(()),
    }
}

fn check_lease_puts(
    auth: &AuthStore,
    lessor: &Lessor,
    ai: &AuthInfo,
    lease: i64,
) -> Result<(), EtcdError> {
    let Some(l) = lessor.lookup(lease) else {
        return Ok(());
    };
    l.keys.iter().try_for_each(|k| auth.is_put_permitted(ai, k))
}

/// etcd `checkTxnAuth`: the compares are reads; nested txns are not looked
/// into (as in 3.5.1).
fn check_txn(auth: &AuthStore, ai: &AuthInfo, t: &pb::TxnRequest) -> Result<(), EtcdError> {
    for c in &t.compare {
        auth.is_range_permitted(ai, &c.key, &c.range_end)?;
    }
    for op in t.success.iter().chain(&t.failure) {
        match &op.request {
            Some(Op::RequestRange(r)) => auth.is_range_permitted(ai, &r.key, &r.range_end)?,
            Some(Op::RequestPut(p)) => auth.is_put_permitted(ai, &p.key)?,
            Some(Op::RequestDeleteRange(d)) => {
                if d.prev_kv {
                    auth.is_range_permitted(ai, &d.key, &d.range_end)?;
                }
                auth.is_delete_range_permitted(ai, &d.key, &d.range_end)?;
            }
            Some(Op::RequestTxn(_)) | None => {}
        }
    }
    Ok(())
}

/// Applies one Auth request at Raft index `index` and virtual time `now`;
/// tokens are assigned and dropped in this member's keeper.
pub(super) fn apply(
    auth: &mut AuthStore,
    tokens: &mut SimpleTokens,
    req: &AuthRequest,
    index: u64,
    now: u64,
) -> Result<AuthResponse, EtcdError> {
    use AuthRequest as Q;
    use AuthResponse as A;
    Ok(match req {
        Q::AuthEnable(_) => auth.enable().map(|_| A::AuthEnable(Default::default()))?,
        Q::AuthDisable(_) => {
            if auth.disable() {
                tokens.clear();
            }
            A::AuthDisable(Default::default())
        }
        Q::AuthStatus(_) => A::AuthStatus(auth.status()),
        Q::InternalAuthenticate { name, simple_token } => {
            auth.check_authenticate(name)?;
            A::Authenticate(pb::AuthenticateResponse {
                header: None,
                token: tokens.assign(simple_token, index, name, now),
            })
        }
        // the member turns Authenticate into InternalAuthenticate
        Q::Authenticate(_) => return Err(EtcdError::UnknownMethod),
        Q::UserAdd(r) => auth.user_add(r).map(|_| A::UserAdd(Default::default()))?,
        Q::UserGet(r) => A::UserGet(auth.user_get(&r.name)?),
        Q::UserList(_) => A::UserList(auth.user_list()),
        Q::UserDelete(r) => {
            auth.user_delete(&r.name)?;
            tokens.invalidate_user(&r.name);
            A::UserDelete(Default::default())
        }
        Q::UserChangePassword(r) => {
            auth.user_change_password(r)?;
            tokens.invalidate_user(&r.name);
            A::UserChangePassword(Default::default())
        }
        Q::UserGrantRole(r) => {
            auth.user_grant_role(&r.user, &r.role)?;
            A::UserGrantRole(Default::default())
        }
        Q::UserRevokeRole(r) => {
            auth.user_revoke_role(&r.name, &r.role)?;
            A::UserRevokeRole(Default::default())
        }
        Q::RoleAdd(r) => auth
            .role_add(&r.name)
            .map(|_| A::RoleAdd(Default::default()))?,
        Q::RoleGet(r) => A::RoleGet(auth.role_get(&r.role)?),
        Q::RoleList(_) => A::RoleList(auth.role_list()),
        Q::RoleDelete(r) => {
            auth.role_delete(&r.role)?;
            A::RoleDelete(Default::default())
        }
        Q::RoleGrantPermission(r) => {
            auth.role_grant_permission(&r.name, r.perm.as_ref())?;
            A::RoleGrantPermission(Default::default())
        }
        Q::RoleRevokePermission(r) => {
            auth.role_revoke_permission(r)?;
            A::RoleRevokePermission(Default::default())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::{EtcdServer, InternalRaftRequest, Request};
    use crate::auth::{AuthInfo, AuthRequest};
    use crate::errors::EtcdError;
    use crate::pb;
    use crate::server::watch::HeaderInfo;

    const HDR: HeaderInfo = HeaderInfo {
        cluster_id: 1,
        member_id: 1,
        raft_term: 2,
    };

    /// A member applying entries one index after another.
    struct Member {
        s: EtcdServer,
        index: u64,
    }

    impl Member {
        fn new() -> Self {
            Member {
                s: EtcdServer::new(1, 0),
                index: 0,
            }
        }

        fn apply_as(&mut self, req: Request, auth: AuthInfo) -> super::super::Reply {
            let p: InternalRaftRequest = self.s.new_proposal(req, auth).unwrap();
            self.index += 1;
            self.s.apply(self.index, &p, 0, HDR)
        }

        fn apply(&mut self, req: Request) -> super::super::Reply {
            self.apply_as(req, AuthInfo::default())
        }

        fn as_user(&mut self, token: &str, req: Request) -> super::super::Reply {
            let ai = self.s.auth_info(Some(token), 0)?;
            self.apply_as(req, ai)
        }

        /// root with the root role, auth enabled; user `u` (password `p`)
        /// with role `rw` (read-write on key `k`). Returns root's and u's tokens.
        fn with_users(&mut self) -> (String, String) {
            let add = |name: &str, password: &str| {
                Request::Auth(AuthRequest::UserAdd(pb::AuthUserAddRequest {
                    name: name.into(),
                    password: password.into(),
                    ..Default::default()
                }))
            };
            self.apply(add("root", "pass")).unwrap();
            self.apply(add("u", "p")).unwrap();
            self.apply(Request::Auth(AuthRequest::RoleAdd(
                pb::AuthRoleAddRequest { name: "rw".into() },
            )))
            .unwrap();
            let perm = pb::Permission {
                perm_type: pb::permission_type::READWRITE,
                key: b"k".to_vec(),
                range_end: Vec::new(),
            };
            self.apply(Request::Auth(AuthRequest::RoleGrantPermission(
                pb::AuthRoleGrantPermissionRequest {
                    name: "rw".into(),
                    perm: Some(perm),
                },
            )))
            .unwrap();
            for (user, role) in [("root", "root"), ("u", "rw")] {
                self.apply(Request::Auth(AuthRequest::UserGrantRole(
                    pb::AuthUserGrantRoleRequest {
                        user: user.into(),
                        role: role.into(),
                    },
                )))
                .unwrap();
            }
            self.apply(Request::Auth(AuthRequest::AuthEnable(Default::default())))
                .unwrap();
            (self.login("root", "pass"), self.login("u", "p"))
        }

        fn login(&mut self, name: &str, password: &str) -> String {
            self.s.check_password(name, password).unwrap();
            let req = Request::Auth(AuthRequest::InternalAuthenticate {
                name: name.into(),
                simple_token: format!("tok{name}"),
            });
            match self.apply(req) {
                Ok(super::super::Response::Auth(crate::auth::AuthResponse::Authenticate(r))) => {
                    r.token
                }
                other => panic!("no token: {other:?}"),
            }
        }
    }

    fn put(key: &[u8]) -> Request {
        Request::Put(pb::PutRequest {
            key: key.to_vec(),
            value: b"v".to_vec(),
            ..Default::default()
        })
    }

    #[test]
    fn a_put_is_checked_against_the_senders_permissions_when_applied() {
        let mut m = Member::new();
        let (root, u) = m.with_users();
        assert!(m.as_user(&u, put(b"k")).is_ok());
        assert_eq!(
            m.as_user(&u, put(b"other")),
            Err(EtcdError::PermissionDenied)
        );
        assert!(m.as_user(&root, put(b"other")).is_ok());
        assert_eq!(m.apply(put(b"k")), Err(EtcdError::UserEmpty));
    }

    #[test]
    fn a_token_is_the_prefix_and_the_raft_index_of_its_authentication() {
        let mut m = Member::new();
        let (root, _) = m.with_users();
        assert_eq!(root, format!("tokroot.{}", m.index - 1));
    }

    #[test]
    fn revoking_a_role_applies_to_tokens_already_issued() {
        let mut m = Member::new();
        let (root, u) = m.with_users();
        let revoke = Request::Auth(AuthRequest::UserRevokeRole(pb::AuthUserRevokeRoleRequest {
            name: "u".into(),
            role: "rw".into(),
        }));
        m.as_user(&root, revoke).unwrap();
        assert_eq!(m.as_user(&u, put(b"k")), Err(EtcdError::PermissionDenied));
    }

    #[test]
    fn changing_a_password_ends_the_users_tokens() {
        let mut m = Member::new();
        let (root, u) = m.with_users();
        let change = Request::Auth(AuthRequest::UserChangePassword(
            pb::AuthUserChangePasswordRequest {
                name: "u".into(),
                password: "q".into(),
                ..Default::default()
            },
        ));
        m.as_user(&root, change).unwrap();
        assert_eq!(m.as_user(&u, put(b"k")), Err(EtcdError::InvalidAuthToken));
        assert!(m.as_user(&root, put(b"k")).is_ok());
        assert_eq!(m.s.check_password("u", "p"), Err(EtcdError::AuthFailed));
        assert_eq!(m.s.check_password("u", "q"), Ok(()));
    }

    #[test]
    fn the_password_never_reaches_the_log() {
        let mut m = Member::new();
        let req = Request::Auth(AuthRequest::UserAdd(pb::AuthUserAddRequest {
            name: "u".into(),
            password: "secret".into(),
            ..Default::default()
        }));
        let p = m.s.new_proposal(req, AuthInfo::default()).unwrap();
        assert!(!format!("{p:?}").contains("secret"));
    }

    #[test]
    fn revoking_a_lease_needs_write_on_its_keys() {
        let mut m = Member::new();
        let (root, u) = m.with_users();
        let grant = |id| Request::LeaseGrant(pb::LeaseGrantRequest { ttl: 60, id });
        m.as_user(&root, grant(8)).unwrap();
        let mut p = pb::PutRequest {
            key: b"other".to_vec(),
            lease: 8,
            ..Default::default()
        };
        m.as_user(&root, Request::Put(p.clone())).unwrap();
        let revoke = Request::LeaseRevoke(pb::LeaseRevokeRequest { id: 8 });
        assert_eq!(m.as_user(&u, revoke), Err(EtcdError::PermissionDenied));
        m.as_user(&u, grant(7)).unwrap();
        p.key = b"k".to_vec();
        p.lease = 7;
        m.as_user(&u, Request::Put(p)).unwrap();
        let revoke = Request::LeaseRevoke(pb::LeaseRevokeRequest { id: 7 });
        assert!(m.as_user(&u, revoke).is_ok());
    }

    #[test]
    fn a_snapshot_carries_the_auth_store_but_not_the_tokens() {
        let mut m = Member::new();
        let (root, _) = m.with_users();
        let snap = m.s.state_snapshot();
        let mut other = EtcdServer::new(2, 0);
        other.restore(&snap, HDR);
        assert_eq!(other.auth(), m.s.auth());
        assert_eq!(other.check_password("u", "p"), Ok(()));
        assert_eq!(
            other.auth_info(Some(&root), 0),
            Err(EtcdError::InvalidAuthToken)
        );
    }

    #[test]
    fn a_crash_loses_the_tokens_but_not_the_users() {
        let mut m = Member::new();
        let (root, _) = m.with_users();
        m.s.crash();
        assert_eq!(
            m.s.auth_info(Some(&root), 0),
            Err(EtcdError::InvalidAuthToken)
        );
        assert!(m.s.auth().is_enabled());
        assert_eq!(m.s.check_password("root", "pass"), Ok(()));
    }

    #[test]
    fn a_watch_the_sender_may_not_read_is_created_and_canceled() {
        let mut m = Member::new();
        let (_, u) = m.with_users();
        m.s.open_watch_stream(1, 0, Some(u));
        let create = |key: &[u8]| pb::WatchRequest {
            request_union: Some(pb::watch_request::RequestUnion::CreateRequest(
                pb::WatchCreateRequest {
                    key: key.to_vec(),
                    ..Default::default()
                },
            )),
        };
        m.s.watch(1, create(b"other"), HDR, 0);
        m.s.watch(1, create(b"k"), HDR, 0);
        let out = m.s.take_watch_messages();
        assert_eq!(out.len(), 2);
        assert!(out[0].1.canceled && out[0].1.created);
        assert_eq!(
            out[0].1.cancel_reason,
            "rpc error: code = PermissionDenied desc = etcdserver: permission denied"
        );
        assert!(out[1].1.created && !out[1].1.canceled);
    }
}
