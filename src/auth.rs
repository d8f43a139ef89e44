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

use crate::pb::{self, Reflect, Rpc};
pub use simple_token::SimpleTokens;
pub use store::AuthStore;

/// Who sent a request (etcd `AuthInfo`, carried in the proposal's
/// `RequestHeader{Username, AuthRevision}`). Revision 0: no token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthInfo {
    pub username: String,
    pub revision: u64,
}

/// The Auth service's side of the RPC table (`pb::rpcs!`): a call of the
/// Auth service per row of its section.
macro_rules! auth_calls {
    (server { $($server:tt)* } auth {
        $([$rpc:ident $method:literal $paths:tt $req:ident $resp:ident $kind:ident $token:ident
            $learner:ident $header:ident [$name:ident $($field:literal)?] [$admin:literal]])*
    } $($others:tt)*) => {
        /// A call of etcd's Auth service.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum AuthRequest {
            $($rpc(pb::$req),)*
            /// What `Authenticate` proposes once the member checked the
            /// password (etcd `InternalAuthenticateRequest`): the user and the
            /// token's random part, no password.
            InternalAuthenticate { name: String, simple_token: String },
        }

        /// An answer of etcd's Auth service.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum AuthResponse {
            $($rpc(pb::$resp),)*
        }

        $crate::checkpoint::messages!($(pb::$req, pb::$resp),*);
        $crate::checkpoint::variants!(AuthRequest {
            $($rpc(message),)*
            InternalAuthenticate { name, simple_token },
        });
        $crate::checkpoint::variants!(AuthResponse { $($rpc(message),)* });

        impl AuthRequest {
            /// The RPC it came in by (`None`: the member's own).
            pub fn rpc(&self) -> Option<Rpc> {
                match self {
                    $(AuthRequest::$rpc(_) => Some(Rpc::$rpc),)*
                    AuthRequest::InternalAuthenticate { .. } => None,
                }
            }

            /// etcd `needAdminPermission`: only a root user may.
            pub fn needs_admin(&self) -> bool {
                match self {
                    $(AuthRequest::$rpc(_) => $admin,)*
                    AuthRequest::InternalAuthenticate { .. } => false,
                }
            }
        }

        impl AuthResponse {
            pub fn rpc(&self) -> Rpc {
                match self {
                    $(AuthResponse::$rpc(_) => Rpc::$rpc,)*
                }
            }

            pub fn message(&self) -> &dyn Reflect {
                match self {
                    $(AuthResponse::$rpc(r) => r,)*
                }
            }

            pub fn header_mut(&mut self) -> &mut Option<pb::ResponseHeader> {
                match self {
                    $(AuthResponse::$rpc(r) => &mut r.header,)*
                }
            }
        }
    };
}

pb::rpcs!(auth_calls);

/// As part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::AuthInfo;
    use crate::checkpoint::record;

    record!(AuthInfo { username, revision });
}
