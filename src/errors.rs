//! Errors with etcd's exact user-visible messages and gRPC codes
//! (etcd `api/v3rpc/rpctypes/error.go`; observed statuses in
//! `docs/etcd-behaviour.md` section 3).

use std::fmt;

/// gRPC status codes (google.golang.org/grpc/codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Ok = 0,
    Canceled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

impl Code {
    /// The HTTP status grpc-gateway v1.16 gives this code (`HTTPStatusFromCode`;
    /// FailedPrecondition is 400 in 3.5, see COMPARE_3.4.md).
    pub fn http_status(self) -> u16 {
        match self {
            Code::Ok => 200,
            Code::Canceled => 408,
            Code::Unknown => 500,
            Code::InvalidArgument => 400,
            Code::DeadlineExceeded => 504,
            Code::NotFound => 404,
            Code::AlreadyExists => 409,
            Code::PermissionDenied => 403,
            Code::ResourceExhausted => 429,
            Code::FailedPrecondition => 400,
            Code::Aborted => 409,
            Code::OutOfRange => 400,
            Code::Unimplemented => 501,
            Code::Internal => 500,
            Code::Unavailable => 503,
            Code::DataLoss => 500,
            Code::Unauthenticated => 401,
        }
    }
}

/// An error an etcd member answers with. The `Display` text is etcd's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EtcdError {
    // InvalidArgument
    EmptyKey,
    ValueProvided,
    LeaseProvided,
    KeyNotFound,
    DuplicateKey,
    TooManyOps,
    RequestTooLarge,
    UserEmpty,
    RoleEmpty,
    PermissionNotGiven,
    InvalidAuthMgmt,
    AuthFailed,
    InvalidPeerUrls,
    WrongDowngradeVersionFormat,
    InvalidDowngradeTargetVersion,
    // FailedPrecondition
    LeaseExist,
    RootUserNotExist,
    RootRoleNotExist,
    AuthNotEnabled,
    UserAlreadyExist,
    UserNotFound,
    RoleAlreadyExist,
    RoleNotFound,
    RoleNotGranted,
    PermissionNotGranted,
    NotLeader,
    BadLeaderTransferee,
    MemberNotLearner,
    MemberExist,
    NotEnoughStartedMembers,
    LearnerNotReady,
    TooManyLearners,
    PeerUrlExist,
    NoInflightDowngrade,
    DowngradeInProcess,
    // OutOfRange
    Compacted,
    FutureRev,
    TooLargeLeaseTtl,
    // Unauthenticated / PermissionDenied
    InvalidAuthToken,
    PermissionDenied,
    // NotFound
    LeaseNotFound,
    MemberNotFound,
    // ResourceExhausted
    NoSpace,
    /// The gRPC receive limit: `grpc: received message larger than max (N vs. LIMIT)`.
    MessageTooLarge {
        size: usize,
        limit: usize,
    },
    // Unknown, DataLoss, Unavailable
    Corrupt,
    UnhealthyCluster,
    Timeout,
    TimeoutDueToLeaderFail,
    TimeoutDueToConnectionLost,
    LeaderChanged,
    NoLeader,
    /// etcd's interceptor refuses a learner most RPCs (`ErrGPRCNotSupportedForLearner`).
    NotSupportedForLearner,
    Stopped,
    UnknownMethod,
    /// A proposal that found no leader before etcd's request timeout: Raft's
    /// `Propose` gives up with Go's context error, which gRPC 1.38 sends as
    /// Unknown.
    ProposalDeadline,
    /// An error of etcd's auth package that reaches the client as it is,
    /// with code Unknown: the maintenance server's admin check, and the
    /// errors v3rpc's `togRPCError` has no translation for.
    Auth(AuthError),
    /// A request body that does not decode; carries Go's decoder message.
    /// Unary endpoints answer it as InvalidArgument, streaming ones as Unknown.
    Decode(String),
    /// The concurrency recipes' errors (`client/v3/concurrency`), which the
    /// v3lock and v3election servers return as they are: code Unknown.
    ElectionNoLeader,
    ElectionNotLeader,
    MutexSessionExpired,
    /// v3election's `ErrMissingLeaderKey`.
    MissingLeaderKey,
}

impl EtcdError {
    pub fn code(&self) -> Code {
        use EtcdError::*;
        match self {
            EmptyKey
            | ValueProvided
            | LeaseProvided
            | KeyNotFound
            | DuplicateKey
            | TooManyOps
            | RequestTooLarge
            | UserEmpty
            | RoleEmpty
            | PermissionNotGiven
            | InvalidAuthMgmt
            | AuthFailed
            | InvalidPeerUrls
            | WrongDowngradeVersionFormat
            | InvalidDowngradeTargetVersion
            | Decode(_) => Code::InvalidArgument,
            LeaseExist
            | RootUserNotExist
            | RootRoleNotExist
            | AuthNotEnabled
            | UserAlreadyExist
            | UserNotFound
            | RoleAlreadyExist
            | RoleNotFound
            | RoleNotGranted
            | PermissionNotGranted
            | NotLeader
            | BadLeaderTransferee
            | MemberNotLearner
            | MemberExist
            | NotEnoughStartedMembers
            | LearnerNotReady
            | TooManyLearners
            | PeerUrlExist
            | NoInflightDowngrade
            | DowngradeInProcess => Code::FailedPrecondition,
            Compacted | FutureRev | TooLargeLeaseTtl => Code::OutOfRange,
            InvalidAuthToken => Code::Unauthenticated,
            PermissionDenied => Code::PermissionDenied,
            LeaseNotFound | MemberNotFound => Code::NotFound,
            NoSpace | MessageTooLarge { .. } => Code::ResourceExhausted,
            Corrupt => Code::DataLoss,
            UnknownMethod | ProposalDeadline | Auth(_) | ElectionNoLeader | ElectionNotLeader
            | MutexSessionExpired | MissingLeaderKey => Code::Unknown,
            UnhealthyCluster
            | Timeout
            | TimeoutDueToLeaderFail
            | TimeoutDueToConnectionLost
            | LeaderChanged
            | NoLeader
            | NotSupportedForLearner
            | Stopped => Code::Unavailable,
        }
    }
}

impl fmt::Display for EtcdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EtcdError::*;
        let s = match self {
            EmptyKey => "etcdserver: key is not provided",
            ValueProvided => "etcdserver: value is provided",
            LeaseProvided => "etcdserver: lease is provided",
            KeyNotFound => "etcdserver: key not found",
            DuplicateKey => "etcdserver: duplicate key given in txn request",
            TooManyOps => "etcdserver: too many operations in txn request",
            RequestTooLarge => "etcdserver: request is too large",
            UserEmpty => "etcdserver: user name is empty",
            RoleEmpty => "etcdserver: role name is empty",
            PermissionNotGiven => "etcdserver: permission not given",
            InvalidAuthMgmt => "etcdserver: invalid auth management",
            AuthFailed => "etcdserver: authentication failed, invalid user ID or password",
            InvalidPeerUrls => "etcdserver: given member URLs are invalid",
            WrongDowngradeVersionFormat => "etcdserver: wrong downgrade target version format",
            InvalidDowngradeTargetVersion => "etcdserver: invalid downgrade target version",
            LeaseExist => "etcdserver: lease already exists",
            RootUserNotExist => "etcdserver: root user does not exist",
            RootRoleNotExist => "etcdserver: root user does not have root role",
            AuthNotEnabled => "etcdserver: authentication is not enabled",
            UserAlreadyExist => "etcdserver: user name already exists",
            UserNotFound => "etcdserver: user name not found",
            RoleAlreadyExist => "etcdserver: role name already exists",
            RoleNotFound => "etcdserver: role name not found",
            RoleNotGranted => "etcdserver: role is not granted to the user",
            PermissionNotGranted => "etcdserver: permission is not granted to the role",
            NotLeader => "etcdserver: not leader",
            BadLeaderTransferee => "etcdserver: bad leader transferee",
            MemberNotLearner => "etcdserver: can only promote a learner member",
            MemberExist => "etcdserver: member ID already exist",
            NotEnoughStartedMembers => {
                "etcdserver: re-configuration failed due to not enough started members"
            }
            LearnerNotReady => {
                "etcdserver: can only promote a learner member which is in sync with leader"
            }
            TooManyLearners => "etcdserver: too many learner members in cluster",
            PeerUrlExist => "etcdserver: Peer URLs already exists",
            NoInflightDowngrade => "etcdserver: no inflight downgrade job",
            DowngradeInProcess => "etcdserver: cluster has a downgrade job in progress",
            Compacted => "etcdserver: mvcc: required revision has been compacted",
            FutureRev => "etcdserver: mvcc: required revision is a future revision",
            TooLargeLeaseTtl => "etcdserver: too large lease TTL",
            InvalidAuthToken => "etcdserver: invalid auth token",
            PermissionDenied => "etcdserver: permission denied",
            LeaseNotFound => "etcdserver: requested lease not found",
            MemberNotFound => "etcdserver: member not found",
            NoSpace => "etcdserver: mvcc: database space exceeded",
            MessageTooLarge { size, limit } => {
                return write!(
                    f,
                    "grpc: received message larger than max ({size} vs. {limit})"
                )
            }
            Corrupt => "etcdserver: corrupt cluster",
            UnhealthyCluster => "etcdserver: unhealthy cluster",
            Timeout => "etcdserver: request timed out",
            TimeoutDueToLeaderFail => {
                "etcdserver: request timed out, possibly due to previous leader failure"
            }
            TimeoutDueToConnectionLost => {
                "etcdserver: request timed out, possibly due to connection lost"
            }
            LeaderChanged => "etcdserver: leader changed",
            NoLeader => "etcdserver: no leader",
            NotSupportedForLearner => "etcdserver: rpc not supported for learner",
            Stopped => "etcdserver: server stopped",
            UnknownMethod => "etcdserver: unknown method",
            ProposalDeadline => "context deadline exceeded",
            Auth(e) => e.message(),
            Decode(msg) => msg,
            ElectionNoLeader => "election: no leader",
            ElectionNotLeader => "election: not leader",
            MutexSessionExpired => "mutex: session is expired",
            MissingLeaderKey => r#""leader" field must be provided"#,
        };
        f.write_str(s)
    }
}

impl std::error::Error for EtcdError {}

/// The untranslated errors of etcd's `server/auth` package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    PermissionDenied,
    UserEmpty,
    UserNotFound,
    NoPasswordUser,
    OldRevision,
    InvalidAuthToken,
}

impl AuthError {
    fn message(self) -> &'static str {
        match self {
            AuthError::PermissionDenied => "auth: permission denied",
            AuthError::UserEmpty => "auth: user name is empty",
            AuthError::UserNotFound => "auth: user not found",
            AuthError::NoPasswordUser => {
                "auth: authentication failed, password was given for no password user"
            }
            AuthError::OldRevision => "auth: revision in header is old",
            AuthError::InvalidAuthToken => "auth: invalid auth token",
        }
    }
}

/// Errors as part of a checkpoint (answers waiting to go out, recipes
/// releasing a lock on an error): see `crate::checkpoint`.
mod checkpoint {
    use super::{AuthError, EtcdError};
    use crate::checkpoint::{unit_enum, variants};

    variants!(EtcdError {
        EmptyKey,
        ValueProvided,
        LeaseProvided,
        KeyNotFound,
        DuplicateKey,
        TooManyOps,
        RequestTooLarge,
        UserEmpty,
        RoleEmpty,
        PermissionNotGiven,
        InvalidAuthMgmt,
        AuthFailed,
        InvalidPeerUrls,
        WrongDowngradeVersionFormat,
        InvalidDowngradeTargetVersion,
        LeaseExist,
        RootUserNotExist,
        RootRoleNotExist,
        AuthNotEnabled,
        UserAlreadyExist,
        UserNotFound,
        RoleAlreadyExist,
        RoleNotFound,
        RoleNotGranted,
        PermissionNotGranted,
        NotLeader,
        BadLeaderTransferee,
        MemberNotLearner,
        MemberExist,
        NotEnoughStartedMembers,
        LearnerNotReady,
        TooManyLearners,
        PeerUrlExist,
        NoInflightDowngrade,
        DowngradeInProcess,
        Compacted,
        FutureRev,
        TooLargeLeaseTtl,
        InvalidAuthToken,
        PermissionDenied,
        LeaseNotFound,
        MemberNotFound,
        NoSpace,
        MessageTooLarge { size, limit },
        Corrupt,
        UnhealthyCluster,
        Timeout,
        TimeoutDueToLeaderFail,
        TimeoutDueToConnectionLost,
        LeaderChanged,
        NoLeader,
        NotSupportedForLearner,
        Stopped,
        UnknownMethod,
        ProposalDeadline,
        Auth(error),
        Decode(message),
        ElectionNoLeader,
        ElectionNotLeader,
        MutexSessionExpired,
        MissingLeaderKey,
    });

    unit_enum!(AuthError {
        PermissionDenied,
        UserEmpty,
        UserNotFound,
        NoPasswordUser,
        OldRevision,
        InvalidAuthToken,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_precondition_is_400_in_3_5() {
        assert_eq!(EtcdError::LeaseExist.code().http_status(), 400);
    }

    #[test]
    fn message_too_large_names_both_sizes() {
        let e = EtcdError::MessageTooLarge {
            size: 2640010,
            limit: 2097152,
        };
        assert_eq!(
            e.to_string(),
            "grpc: received message larger than max (2640010 vs. 2097152)"
        );
        assert_eq!(e.code().http_status(), 429);
    }
}
