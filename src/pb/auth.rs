//! The Auth service: enable/disable/status, authenticate, users, roles.
//!
//! `hashedPassword` and `authRevision` become `hashed_password` and
//! `auth_revision` here; the JSON mapping keeps the proto spelling.

use super::{Permission, ResponseHeader, UserAddOptions};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthEnableRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthDisableRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthStatusRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthenticateRequest {
    pub name: String,
    pub password: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserAddRequest {
    pub name: String,
    pub password: String,
    pub options: Option<UserAddOptions>,
    pub hashed_password: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserGetRequest {
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserDeleteRequest {
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserChangePasswordRequest {
    pub name: String,
    pub password: String,
    pub hashed_password: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserGrantRoleRequest {
    pub user: String,
    pub role: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserRevokeRoleRequest {
    pub name: String,
    pub role: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleAddRequest {
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleGetRequest {
    pub role: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserListRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleListRequest {}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleDeleteRequest {
    pub role: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleGrantPermissionRequest {
    pub name: String,
    pub perm: Option<Permission>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleRevokePermissionRequest {
    pub role: String,
    pub key: Vec<u8>,
    pub range_end: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthEnableResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthDisableResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthStatusResponse {
    pub header: Option<ResponseHeader>,
    pub enabled: bool,
    pub auth_revision: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthenticateResponse {
    pub header: Option<ResponseHeader>,
    pub token: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserAddResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserGetResponse {
    pub header: Option<ResponseHeader>,
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserDeleteResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserChangePasswordResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserGrantRoleResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserRevokeRoleResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleAddResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleGetResponse {
    pub header: Option<ResponseHeader>,
    pub perm: Vec<Permission>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleListResponse {
    pub header: Option<ResponseHeader>,
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthUserListResponse {
    pub header: Option<ResponseHeader>,
    pub users: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleDeleteResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleGrantPermissionResponse {
    pub header: Option<ResponseHeader>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRoleRevokePermissionResponse {
    pub header: Option<ResponseHeader>,
}
