//! `authpb`: users, roles and permissions (`api/authpb/auth.proto`).

use super::{enumeration, message, Bool, Bytes, Enum, Msg, Opt, Rep, Str};

message! {
    UserAddOptions {
        no_password: Bool = 1,
    }
}

message! {
    User {
        name: Bytes = 1,
        password: Bytes = 2,
        roles: Rep<Str> = 3,
        options: Opt<UserAddOptions> = 4,
    }
}

enumeration! {
    /// `authpb.Permission.Type`.
    PermissionType in permission_type = "authpb.Permission.Type" {
        READ = 0, WRITE = 1, READWRITE = 2,
    }
}

message! {
    Permission {
        /// `permission_type::*`.
        perm_type: Enum<PermissionType> = 1 "permType",
        key: Bytes = 2,
        range_end: Bytes = 3,
    }
}

message! {
    Role {
        name: Bytes = 1,
        key_permission: Rep<Msg<Permission>> = 2 "keyPermission",
    }
}
