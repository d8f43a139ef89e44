//! `authpb`: users, roles and permissions (`api/authpb/auth.proto`).

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserAddOptions {
    pub no_password: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    pub name: Vec<u8>,
    pub password: Vec<u8>,
    pub roles: Vec<String>,
    pub options: Option<UserAddOptions>,
}

/// `authpb.Permission.Type`.
pub mod permission_type {
    pub const READ: i32 = 0;
    pub const WRITE: i32 = 1;
    pub const READWRITE: i32 = 2;
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permission {
    /// `permission_type::*`; proto name `permType`.
    pub perm_type: i32,
    pub key: Vec<u8>,
    pub range_end: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Role {
    pub name: Vec<u8>,
    /// Proto name `keyPermission`.
    pub key_permission: Vec<Permission>,
}
