//! etcd v3 authentication and authorization with `--auth-token simple`:
//! the replicated [`AuthStore`] (users, roles, permissions), the key range
//! checks ([`range_perm`]) and each member's in-memory [`SimpleTokens`].
//!
//! A client's token names a user; the member that receives the request
//! turns it into an [`AuthInfo`] (user and auth revision), which travels
//! with the proposal so every member checks permissions when it applies
//! the entry, as etcd's `authApplierV3` does.

pub mod range_perm;
pub mod simple_token;
pub mod store;

use crate::pb;
pub use simple_token::SimpleTokens;
pub use store::AuthStore;

/// Who sent a request (etcd `AuthInfo`, carried in the proposal's
/// `RequestHeader{Username, AuthRevision}`). Revision 0: no token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthInfo {
    pub username: String,
    pub revision: u64,
}

macro_rules! auth_rpcs {
    ($($variant:ident($req:ident, $resp:ident, $name:literal, admin: $admin:literal),)*) => {
        /// A call of etcd's Auth service.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum AuthRequest {
            $($variant(pb::$req),)*
            /// What `Authenticate` proposes once the member checked the
            /// password (etcd `InternalAuthenticateRequest`): the user and the
            /// token's random part, no password.
            InternalAuthenticate { name: String, simple_token: String },
        }

        /// An answer of etcd's Auth service.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum AuthResponse {
            $($variant(pb::$resp),)*
        }

        impl AuthRequest {
            /// Its name in the trace, as etcd's `InternalRaftRequest` fields.
            pub fn name(&self) -> &'static str {
                match self {
                    $(AuthRequest::$variant(_) => $name,)*
                    AuthRequest::InternalAuthenticate { .. } => "authenticate",
                }
            }

            /// etcd `needAdminPermission`: only a root user may.
            pub fn needs_admin(&self) -> bool {
                match self {
                    $(AuthRequest::$variant(_) => $admin,)*
                    AuthRequest::InternalAuthenticate { .. } => false,
                }
            }
        }

        impl AuthResponse {
            pub fn header_mut(&mut self) -> &mut Option<pb::ResponseHeader> {
                match self {
                    $(AuthResponse::$variant(r) => &mut r.header,)*
                }
            }
        }
    };
}

auth_rpcs! {
    Enable(AuthEnableRequest, AuthEnableResponse, "auth_enable", admin: true),
    Disable(AuthDisableRequest, AuthDisableResponse, "auth_disable", admin: true),
    Status(AuthStatusRequest, AuthStatusResponse, "auth_status", admin: true),
    Authenticate(AuthenticateRequest, AuthenticateResponse, "authenticate", admin: false),
    UserAdd(AuthUserAddRequest, AuthUserAddResponse, "auth_user_add", admin: true),
    UserGet(AuthUserGetRequest, AuthUserGetResponse, "auth_user_get", admin: false),
    UserList(AuthUserListRequest, AuthUserListResponse, "auth_user_list", admin: true),
    UserDelete(AuthUserDeleteRequest, AuthUserDeleteResponse, "auth_user_delete", admin: true),
    UserChangePassword(
        AuthUserChangePasswordRequest,
        AuthUserChangePasswordResponse,
        "auth_user_change_password",
        admin: true
    ),
    UserGrantRole(AuthUserGrantRoleRequest, AuthUserGrantRoleResponse, "auth_user_grant_role", admin: true),
    UserRevokeRole(AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse, "auth_user_revoke_role", admin: true),
    RoleAdd(AuthRoleAddRequest, AuthRoleAddResponse, "auth_role_add", admin: true),
    RoleGet(AuthRoleGetRequest, AuthRoleGetResponse, "auth_role_get", admin: false),
    RoleList(AuthRoleListRequest, AuthRoleListResponse, "auth_role_list", admin: true),
    RoleDelete(AuthRoleDeleteRequest, AuthRoleDeleteResponse, "auth_role_delete", admin: true),
    RoleGrantPermission(
        AuthRoleGrantPermissionRequest,
        AuthRoleGrantPermissionResponse,
        "auth_role_grant_permission",
        admin: true
    ),
    RoleRevokePermission(
        AuthRoleRevokePermissionRequest,
        AuthRoleRevokePermissionResponse,
        "auth_role_revoke_permission",
        admin: true
    ),
}
