//! The Auth service and `authpb`.

use super::super::{Bool, Bytes, Enum, Msg, Opt, Rep, Str, Uint64};
use super::{field, message, proto_enum};
use crate::pb::*;

proto_enum!(PermissionType = "authpb.Permission.Type" { READ = 0, WRITE = 1, READWRITE = 2 });

message!(UserAddOptions {
    field!(no_password: Bool = "no_password"),
});

message!(User {
    field!(name: Bytes = "name"),
    field!(password: Bytes = "password"),
    field!(roles: Rep<Str> = "roles"),
    field!(options: Opt<UserAddOptions> = "options"),
});

message!(Permission {
    field!(perm_type: Enum<PermissionType> = "permType"),
    field!(key: Bytes = "key"),
    field!(range_end: Bytes = "range_end"),
});

message!(Role {
    field!(name: Bytes = "name"),
    field!(key_permission: Rep<Msg<Permission>> = "keyPermission"),
});

message!(AuthEnableRequest {});

message!(AuthDisableRequest {});

message!(AuthStatusRequest {});

message!(AuthenticateRequest {
    field!(name: Str = "name"),
    field!(password: Str = "password"),
});

message!(AuthUserAddRequest {
    field!(name: Str = "name"),
    field!(password: Str = "password"),
    field!(options: Opt<UserAddOptions> = "options"),
    field!(hashed_password: Str = "hashedPassword"),
});

message!(AuthUserGetRequest {
    field!(name: Str = "name"),
});

message!(AuthUserDeleteRequest {
    field!(name: Str = "name"),
});

message!(AuthUserChangePasswordRequest {
    field!(name: Str = "name"),
    field!(password: Str = "password"),
    field!(hashed_password: Str = "hashedPassword"),
});

message!(AuthUserGrantRoleRequest {
    field!(user: Str = "user"),
    field!(role: Str = "role"),
});

message!(AuthUserRevokeRoleRequest {
    field!(name: Str = "name"),
    field!(role: Str = "role"),
});

message!(AuthRoleAddRequest {
    field!(name: Str = "name"),
});

message!(AuthRoleGetRequest {
    field!(role: Str = "role"),
});

message!(AuthUserListRequest {});

message!(AuthRoleListRequest {});

message!(AuthRoleDeleteRequest {
    field!(role: Str = "role"),
});

message!(AuthRoleGrantPermissionRequest {
    field!(name: Str = "name"),
    field!(perm: Opt<Permission> = "perm"),
});

message!(AuthRoleRevokePermissionRequest {
    field!(role: Str = "role"),
    field!(key: Bytes = "key"),
    field!(range_end: Bytes = "range_end"),
});

message!(AuthEnableResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthDisableResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthStatusResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(enabled: Bool = "enabled"),
    field!(auth_revision: Uint64 = "authRevision"),
});

message!(AuthenticateResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(token: Str = "token"),
});

message!(AuthUserAddResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthUserGetResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(roles: Rep<Str> = "roles"),
});

message!(AuthUserDeleteResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthUserChangePasswordResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthUserGrantRoleResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthUserRevokeRoleResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthRoleAddResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthRoleGetResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(perm: Rep<Msg<Permission>> = "perm"),
});

message!(AuthRoleListResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(roles: Rep<Str> = "roles"),
});

message!(AuthUserListResponse {
    field!(header: Opt<ResponseHeader> = "header"),
    field!(users: Rep<Str> = "users"),
});

message!(AuthRoleDeleteResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthRoleGrantPermissionResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});

message!(AuthRoleRevokePermissionResponse {
    field!(header: Opt<ResponseHeader> = "header"),
});
