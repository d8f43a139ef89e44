//! The replicated auth state (etcd `server/auth/store.go`): whether auth is
//! on, its revision, users and roles. Every member applies the same auth
//! requests in Raft order; what each answers is here.

use super::range_perm::RangePermissions;
use super::AuthInfo;
use crate::errors::{AuthError, EtcdError};
use crate::pb;
use std::collections::BTreeMap;

pub const ROOT_USER: &str = "root";
pub const ROOT_ROLE: &str = "root";

#[derive(Clone, Debug, PartialEq, Eq)]
struct User {
    /// A hash of the password (etcd keeps a bcrypt hash); `None` for a
    /// user added with `no_password`.
    password: Option<String>,
    /// Sorted, as etcd keeps them.
    roles: Vec<String>,
}

impl User {
    fn has_root_role(&self) -> bool {
        self.roles.iter().any(|r| r == ROOT_ROLE)
    }
}

/// What a proposal carries instead of a password: its hash (etcd hashes
/// before proposing, so the log never holds the password).
pub fn hash_password(password: &str) -> String {
    crate::hash::sha256_hex(password.as_bytes())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthStore {
    enabled: bool,
    revision: u64,
    users: BTreeMap<String, User>,
    /// Each role's permissions, sorted by key.
    roles: BTreeMap<String, Vec<pb::Permission>>,
}

impl Default for AuthStore {
    /// A fresh store is at revision 1 (etcd `NewAuthStore` commits one).
    fn default() -> Self {
        AuthStore {
            enabled: false,
            revision: 1,
            users: BTreeMap::new(),
            roles: BTreeMap::new(),
        }
    }
}

impl AuthStore {
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The auth info of a request carrying a token of `user`.
    pub fn info_of(&self, user: String) -> AuthInfo {
        AuthInfo {
            username: user,
            revision: self.revision,
        }
    }

    pub fn status(&self) -> pb::AuthStatusResponse {
        pb::AuthStatusResponse {
            header: None,
            enabled: self.enabled,
            auth_revision: self.revision,
        }
    }

    /// Enabling needs root with the root role; enabling twice is fine and
    /// does not bump the revision.
    pub fn enable(&mut self) -> Result<(), EtcdError> {
        if self.enabled {
            return Ok(());
        }
        let root = self
            .users
            .get(ROOT_USER)
            .ok_or(EtcdError::RootUserNotExist)?;
        if !root.has_root_role() {
            return Err(EtcdError::RootRoleNotExist);
        }
        self.enabled = true;
        Ok(())
    }

    /// Whether the call disabled auth (the caller then drops the tokens).
    pub fn disable(&mut self) -> bool {
        if !self.enabled {
            return false;
        }
        self.enabled = false;
        self.revision += 1;
        true
    }

    /// etcd `CheckPassword`, done by the member the client asked before it
    /// proposes the authentication.
    pub fn check_password(&self, name: &str, password: &str) -> Result<(), EtcdError> {
        if !self.enabled {
            return Err(EtcdError::AuthNotEnabled);
        }
        let user = self.users.get(name).ok_or(EtcdError::AuthFailed)?;
        let Some(hash) = &user.password else {
            return Err(EtcdError::Auth(AuthError::NoPasswordUser));
        };
        if *hash != hash_password(password) {
            return Err(EtcdError::AuthFailed);
        }
        Ok(())
    }

    /// etcd `Authenticate` when applied: the user may be gone since the
    /// password was checked.
    pub fn check_authenticate(&self, name: &str) -> Result<(), EtcdError> {
        if !self.enabled {
            return Err(EtcdError::AuthNotEnabled);
        }
        match self.users.get(name) {
            Some(u) if u.password.is_some() => Ok(()),
            _ => Err(EtcdError::AuthFailed),
        }
    }

    /// `hashed_password` as the proposal carries it (see [`hash_password`]).
    pub fn user_add(&mut self, r: &pb::AuthUserAddRequest) -> Result<(), EtcdError> {
        if r.name.is_empty() {
            return Err(EtcdError::UserEmpty);
        }
        if self.users.contains_key(&r.name) {
            return Err(EtcdError::UserAlreadyExist);
        }
        let no_password = r.options.as_ref().is_some_and(|o| o.no_password);
        let user = User {
            password: (!no_password).then(|| r.hashed_password.clone()),
            roles: Vec::new(),
        };
        self.users.insert(r.name.clone(), user);
        self.revision += 1;
        Ok(())
    }

    /// The caller drops the user's tokens.
    pub fn user_delete(&mut self, name: &str) -> Result<(), EtcdError> {
        if self.enabled && name == ROOT_USER {
            return Err(EtcdError::InvalidAuthMgmt);
        }
        self.users.remove(name).ok_or(EtcdError::UserNotFound)?;
        self.revision += 1;
        Ok(())
    }

    /// The caller drops the user's tokens.
    pub fn user_change_password(
        &mut self,
        r: &pb::AuthUserChangePasswordRequest,
    ) -> Result<(), EtcdError> {
        let user = self.users.get_mut(&r.name).ok_or(EtcdError::UserNotFound)?;
        if user.password.is_some() {
            user.password = Some(r.hashed_password.clone());
        }
        self.revision += 1;
        Ok(())
    }

    /// Granting a role twice changes nothing; the role `root` need not exist.
    pub fn user_grant_role(&mut self, user: &str, role: &str) -> Result<(), EtcdError> {
        if !self.users.contains_key(user) {
            return Err(EtcdError::UserNotFound);
        }
        if role != ROOT_ROLE && !self.roles.contains_key(role) {
            return Err(EtcdError::RoleNotFound);
        }
        let Some(u) = self.users.get_mut(user) else {
            return Err(EtcdError::UserNotFound);
        };
        if let Err(at) = u.roles.binary_search_by(|r| r.as_str().cmp(role)) {
            u.roles.insert(at, role.to_string());
            self.revision += 1;
        }
        Ok(())
    }

    pub fn user_revoke_role(&mut self, user: &str, role: &str) -> Result<(), EtcdError> {
        if self.enabled && user == ROOT_USER && role == ROOT_ROLE {
            return Err(EtcdError::InvalidAuthMgmt);
        }
        let u = self.users.get_mut(user).ok_or(EtcdError::UserNotFound)?;
        let before = u.roles.len();
        u.roles.retain(|r| r != role);
        if u.roles.len() == before {
            return Err(EtcdError::RoleNotGranted);
        }
        self.revision += 1;
        Ok(())
    }

    pub fn user_get(&self, name: &str) -> Result<pb::AuthUserGetResponse, EtcdError> {
        let u = self.users.get(name).ok_or(EtcdError::UserNotFound)?;
        Ok(pb::AuthUserGetResponse {
            header: None,
            roles: u.roles.clone(),
        })
    }

    pub fn user_list(&self) -> pb::AuthUserListResponse {
        pb::AuthUserListResponse {
            header: None,
            users: self.users.keys().cloned().collect(),
        }
    }

    pub fn role_add(&mut self, name: &str) -> Result<(), EtcdError> {
        if name.is_empty() {
            return Err(EtcdError::RoleEmpty);
        }
        if self.roles.contains_key(name) {
            return Err(EtcdError::RoleAlreadyExist);
        }
        self.roles.insert(name.to_string(), Vec::new());
        self.revision += 1;
        Ok(())
    }

    /// Deleting a role takes it from every user too.
    pub fn role_delete(&mut self, name: &str) -> Result<(), EtcdError> {
        if self.enabled && name == ROOT_ROLE {
            return Err(EtcdError::InvalidAuthMgmt);
        }
        self.roles.remove(name).ok_or(EtcdError::RoleNotFound)?;
        for u in self.users.values_mut() {
            u.roles.retain(|r| r != name);
        }
        self.revision += 1;
        Ok(())
    }

    pub fn role_get(&self, name: &str) -> Result<pb::AuthRoleGetResponse, EtcdError> {
        let perm = self.roles.get(name).ok_or(EtcdError::RoleNotFound)?;
        Ok(pb::AuthRoleGetResponse {
            header: None,
            perm: perm.clone(),
        })
    }

    pub fn role_list(&self) -> pb::AuthRoleListResponse {
        pb::AuthRoleListResponse {
            header: None,
            roles: self.roles.keys().cloned().collect(),
        }
    }

    /// etcd looks only at the first permission with a key not below the
    /// new one: same key and range end changes its type, anything else adds
    /// a permission, kept sorted by key.
    pub fn role_grant_permission(
        &mut self,
        name: &str,
        perm: Option<&pb::Permission>,
    ) -> Result<(), EtcdError> {
        let perm = perm.ok_or(EtcdError::PermissionNotGiven)?;
        let perms = self.roles.get_mut(name).ok_or(EtcdError::RoleNotFound)?;
        let at = perms.partition_point(|p| p.key < perm.key);
        match perms.get_mut(at) {
            Some(p) if p.key == perm.key && p.range_end == perm.range_end => {
                p.perm_type = perm.perm_type;
            }
            _ => {
                perms.push(perm.clone());
                crate::sort::sort_by(perms, |a, b| a.key < b.key);
            }
        }
        self.revision += 1;
        Ok(())
    }

    pub fn role_revoke_permission(
        &mut self,
        r: &pb::AuthRoleRevokePermissionRequest,
    ) -> Result<(), EtcdError> {
        let perms = self.roles.get_mut(&r.role).ok_or(EtcdError::RoleNotFound)?;
        let before = perms.len();
        perms.retain(|p| p.key != r.key || p.range_end != r.range_end);
        if perms.len() == before {
            return Err(EtcdError::PermissionNotGranted);
        }
        self.revision += 1;
        Ok(())
    }

    /// Whether the user has the role (etcd `HasRole`).
    pub fn has_role(&self, user: &str, role: &str) -> bool {
        self.users
            .get(user)
            .is_some_and(|u| u.roles.iter().any(|r| r == role))
    }

    /// etcd `IsAdminPermitted`: a user with the root role.
    pub fn is_admin_permitted(&self, ai: &AuthInfo) -> Result<(), EtcdError> {
        if !self.enabled {
            return Ok(());
        }
        if ai.username.is_empty() {
            return Err(EtcdError::UserEmpty);
        }
        let u = self
            .users
            .get(&ai.username)
            .ok_or(EtcdError::UserNotFound)?;
        if !u.has_root_role() {
            return Err(EtcdError::PermissionDenied);
        }
        Ok(())
    }

    pub fn is_range_permitted(
        &self,
        ai: &AuthInfo,
        key: &[u8],
        range_end: &[u8],
    ) -> Result<(), EtcdError> {
        self.is_op_permitted(ai, |p| p.can_read(key, range_end))
    }

    pub fn is_put_permitted(&self, ai: &AuthInfo, key: &[u8]) -> Result<(), EtcdError> {
        self.is_op_permitted(ai, |p| p.can_write(key, &[]))
    }

    pub fn is_delete_range_permitted(
        &self,
        ai: &AuthInfo,
        key: &[u8],
        range_end: &[u8],
    ) -> Result<(), EtcdError> {
        self.is_op_permitted(ai, |p| p.can_write(key, range_end))
    }

    /// etcd `isOpPermitted`: no user (revision 0), a request authorised
    /// against an older auth revision, an unknown user and a missing
    /// permission are refused; the root role may do anything.
    fn is_op_permitted(
        &self,
        ai: &AuthInfo,
        allowed: impl FnOnce(&RangePermissions) -> bool,
    ) -> Result<(), EtcdError> {
        if !self.enabled {
            return Ok(());
        }
        if ai.revision == 0 {
            return Err(EtcdError::UserEmpty);
        }
        if ai.revision < self.revision {
            return Err(EtcdError::Auth(AuthError::OldRevision));
        }
        let u = self
            .users
            .get(&ai.username)
            .ok_or(EtcdError::PermissionDenied)?;
        if u.has_root_role() {
            return Ok(());
        }
        let perms =
            RangePermissions::merge(u.roles.iter().filter_map(|r| self.roles.get(r)).flatten());
        if allowed(&perms) {
            Ok(())
        } else {
            Err(EtcdError::PermissionDenied)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::permission_type::READ;

    fn add_user(s: &mut AuthStore, name: &str, password: &str) {
        let r = pb::AuthUserAddRequest {
            name: name.into(),
            hashed_password: hash_password(password),
            ..Default::default()
        };
        s.user_add(&r).unwrap();
    }

    /// root with the root role, auth enabled.
    fn enabled() -> AuthStore {
        let mut s = AuthStore::default();
        add_user(&mut s, ROOT_USER, "pass");
        s.user_grant_role(ROOT_USER, ROOT_ROLE).unwrap();
        s.enable().unwrap();
        s
    }

    #[test]
    fn enabling_needs_root_with_the_root_role_which_need_not_exist_as_a_role() {
        let mut s = AuthStore::default();
        assert_eq!(s.enable(), Err(EtcdError::RootUserNotExist));
        add_user(&mut s, ROOT_USER, "p");
        assert_eq!(s.enable(), Err(EtcdError::RootRoleNotExist));
        s.user_grant_role(ROOT_USER, ROOT_ROLE).unwrap();
        let rev = s.revision();
        assert_eq!(s.enable(), Ok(()));
        // enabling bumps nothing; enabling again is fine
        assert_eq!(s.revision(), rev);
        assert_eq!(s.enable(), Ok(()));
    }

    #[test]
    fn root_cannot_lose_root_while_auth_is_enabled() {
        let mut s = enabled();
        assert_eq!(s.user_delete(ROOT_USER), Err(EtcdError::InvalidAuthMgmt));
        assert_eq!(s.role_delete(ROOT_ROLE), Err(EtcdError::InvalidAuthMgmt));
        assert_eq!(
            s.user_revoke_role(ROOT_USER, ROOT_ROLE),
            Err(EtcdError::InvalidAuthMgmt)
        );
        assert!(s.disable());
        assert_eq!(s.user_revoke_role(ROOT_USER, ROOT_ROLE), Ok(()));
    }

    #[test]
    fn every_change_bumps_the_revision_and_a_refused_one_does_not() {
        let mut s = AuthStore::default();
        assert_eq!(s.revision(), 1);
        add_user(&mut s, "u", "p");
        s.role_add("r").unwrap();
        s.user_grant_role("u", "r").unwrap();
        assert_eq!(s.revision(), 4);
        // granting again changes nothing
        s.user_grant_role("u", "r").unwrap();
        assert_eq!(s.role_add("r"), Err(EtcdError::RoleAlreadyExist));
        assert_eq!(s.revision(), 4);
    }

    #[test]
    fn a_password_is_checked_against_its_hash_and_no_password_users_cannot_log_in() {
        let mut s = enabled();
        assert_eq!(s.check_password(ROOT_USER, "pass"), Ok(()));
        assert_eq!(
            s.check_password(ROOT_USER, "nope"),
            Err(EtcdError::AuthFailed)
        );
        assert_eq!(
            s.check_password("ghost", "pass"),
            Err(EtcdError::AuthFailed)
        );
        let np = pb::AuthUserAddRequest {
            name: "np".into(),
            options: Some(pb::UserAddOptions { no_password: true }),
            ..Default::default()
        };
        s.user_add(&np).unwrap();
        assert_eq!(
            s.check_password("np", ""),
            Err(EtcdError::Auth(AuthError::NoPasswordUser))
        );
        s.disable();
        assert_eq!(
            s.check_password(ROOT_USER, "pass"),
            Err(EtcdError::AuthNotEnabled)
        );
    }

    #[test]
    fn permissions_are_checked_against_the_current_roles_and_revision() {
        let mut s = enabled();
        add_user(&mut s, "u", "p");
        s.role_add("r").unwrap();
        let perm = pb::Permission {
            perm_type: READ,
            key: b"k".to_vec(),
            range_end: Vec::new(),
        };
        s.role_grant_permission("r", Some(&perm)).unwrap();
        s.user_grant_role("u", "r").unwrap();
        let ai = s.info_of("u".into());
        assert_eq!(s.is_range_permitted(&ai, b"k", b""), Ok(()));
        assert_eq!(
            s.is_put_permitted(&ai, b"k"),
            Err(EtcdError::PermissionDenied)
        );
        // no token: no user
        let nobody = AuthInfo::default();
        assert_eq!(
            s.is_range_permitted(&nobody, b"k", b""),
            Err(EtcdError::UserEmpty)
        );
        // a request authorised before a change is refused after it
        s.role_add("other").unwrap();
        assert_eq!(
            s.is_range_permitted(&ai, b"k", b""),
            Err(EtcdError::Auth(AuthError::OldRevision))
        );
        let root = s.info_of(ROOT_USER.into());
        assert_eq!(s.is_put_permitted(&root, b"anything"), Ok(()));
        assert_eq!(
            s.is_admin_permitted(&s.info_of("u".into())),
            Err(EtcdError::PermissionDenied)
        );
    }

    #[test]
    fn role_permissions_stay_sorted_by_key_and_a_regrant_changes_the_type() {
        let mut s = AuthStore::default();
        s.role_add("r").unwrap();
        let p = |t, k: &[u8]| pb::Permission {
            perm_type: t,
            key: k.to_vec(),
            range_end: Vec::new(),
        };
        s.role_grant_permission("r", Some(&p(READ, b"x"))).unwrap();
        s.role_grant_permission("r", Some(&p(READ, b"a"))).unwrap();
        s.role_grant_permission("r", Some(&p(2, b"x"))).unwrap();
        let got = s.role_get("r").unwrap().perm;
        assert_eq!(got, vec![p(READ, b"a"), p(2, b"x")]);
        assert_eq!(
            s.role_grant_permission("r", None),
            Err(EtcdError::PermissionNotGiven)
        );
    }
}

/// The auth store as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{AuthStore, User};
    use crate::checkpoint::{Checkpoint, Decoder, Encoder};

    impl Checkpoint for User {
        fn encode(&self, e: &mut Encoder) {
            let User { password, roles } = self;
            password.encode(e);
            roles.encode(e);
        }

        fn decode(d: &mut Decoder) -> Self {
            User {
                password: Checkpoint::decode(d),
                roles: Checkpoint::decode(d),
            }
        }
    }

    impl Checkpoint for AuthStore {
        fn encode(&self, e: &mut Encoder) {
            let AuthStore {
                enabled,
                revision,
                users,
                roles,
            } = self;
            e.bool(*enabled);
            e.u64(*revision);
            users.encode(e);
            roles.encode(e);
        }

        fn decode(d: &mut Decoder) -> Self {
            AuthStore {
                enabled: d.bool(),
                revision: d.u64(),
                users: Checkpoint::decode(d),
                roles: Checkpoint::decode(d),
            }
        }
    }
}
