//! The Auth service: enable/disable/status, authenticate, users, roles.
//!
//! `hashedPassword` and `authRevision` become `hashed_password` and
//! `auth_revision` here; the JSON mapping keeps the proto spelling.

use super::UserAddOptions;
use super::{message, Bool, Bytes, Msg, Opt, Permission, Rep, ResponseHeader, Str, Uint64};

message! { AuthEnableRequest {} }
message! { AuthDisableRequest {} }
message! { AuthStatusRequest {} }

message! {
    AuthenticateRequest {
        name: Str = 1,
        password: Str = 2,
    }
}

message! {
    AuthUserAddRequest {
        name: Str = 1,
        password: Str = 2,
        options: Opt<UserAddOptions> = 3,
        hashed_password: Str = 4 "hashedPassword",
    }
}

message! {
    AuthUserGetRequest {
        name: Str = 1,
    }
}

message! {
    AuthUserDeleteRequest {
        name: Str = 1,
    }
}

message! {
    AuthUserChangePasswordRequest {
        name: Str = 1,
        password: Str = 2,
        hashed_password: Str = 3 "hashedPassword",
    }
}

message! {
    AuthUserGrantRoleRequest {
        user: Str = 1,
        role: Str = 2,
    }
}

message! {
    AuthUserRevokeRoleRequest {
        name: Str = 1,
        role: Str = 2,
    }
}

message! {
    AuthRoleAddRequest {
        name: Str = 1,
    }
}

message! {
    AuthRoleGetRequest {
        role: Str = 1,
    }
}

message! { AuthUserListRequest {} }
message! { AuthRoleListRequest {} }

message! {
    AuthRoleDeleteRequest {
        role: Str = 1,
    }
}

message! {
    AuthRoleGrantPermissionRequest {
        name: Str = 1,
        perm: Opt<Permission> = 2,
    }
}

message! {
    AuthRoleRevokePermissionRequest {
        role: Str = 1,
        key: Bytes = 2,
        range_end: Bytes = 3,
    }
}

message! {
    AuthEnableResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthDisableResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthStatusResponse {
        header: Opt<ResponseHeader> = 1,
        enabled: Bool = 2,
        auth_revision: Uint64 = 3 "authRevision",
    }
}

message! {
    AuthenticateResponse {
        header: Opt<ResponseHeader> = 1,
        token: Str = 2,
    }
}

message! {
    AuthUserAddResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthUserGetResponse {
        header: Opt<ResponseHeader> = 1,
        roles: Rep<Str> = 2,
    }
}

message! {
    AuthUserDeleteResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthUserChangePasswordResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthUserGrantRoleResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthUserRevokeRoleResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthRoleAddResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthRoleGetResponse {
        header: Opt<ResponseHeader> = 1,
        perm: Rep<Msg<Permission>> = 2,
    }
}

message! {
    AuthRoleListResponse {
        header: Opt<ResponseHeader> = 1,
        roles: Rep<Str> = 2,
    }
}

message! {
    AuthUserListResponse {
        header: Opt<ResponseHeader> = 1,
        users: Rep<Str> = 2,
    }
}

message! {
    AuthRoleDeleteResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthRoleGrantPermissionResponse {
        header: Opt<ResponseHeader> = 1,
    }
}

message! {
    AuthRoleRevokePermissionResponse {
        header: Opt<ResponseHeader> = 1,
    }
}
