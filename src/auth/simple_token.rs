//! etcd's simple tokens (`server/auth/simple_token.go`, `--auth-token
//! simple`): `<16 letters>.<raft index>`, kept in each member's memory
//! only, valid five minutes after their last use. A member forgets them
//! when auth is disabled and when it restarts.

use std::collections::BTreeMap;

/// `simpleTokenTTLDefault`.
pub const SIMPLE_TOKEN_TTL_MS: u64 = 5 * 60 * 1000;

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PREFIX_LEN: usize = 16;

/// A token's random part (etcd `genTokenPrefix`), drawn at the member that
/// proposes the authentication; `next` is the world's seeded RNG.
pub fn token_prefix(mut next: impl FnMut() -> u64) -> String {
    (0..PREFIX_LEN)
        .map(|_| char::from(LETTERS[(next() % LETTERS.len() as u64) as usize]))
        .collect()
}

#[derive(Clone, Debug)]
struct Entry {
    user: String,
    expires_at: u64,
}

/// One member's tokens (etcd `tokenSimple` with its TTL keeper).
#[derive(Clone, Debug, Default)]
pub struct SimpleTokens {
    tokens: BTreeMap<String, Entry>,
}

impl SimpleTokens {
    /// The token of an authentication applied at Raft index `index`.
    pub fn assign(&mut self, prefix: &str, index: u64, user: &str, now: u64) -> String {
        let token = format!("{prefix}.{index}");
        self.tokens.insert(
            token.clone(),
            Entry {
                user: user.to_string(),
                expires_at: now + SIMPLE_TOKEN_TTL_MS,
            },
        );
        token
    }

    /// The user of a live token; using it starts its TTL again.
    pub fn user(&mut self, token: &str, now: u64) -> Option<String> {
        let e = self.tokens.get_mut(token)?;
        if e.expires_at <= now {
            self.tokens.remove(token);
            return None;
        }
        e.expires_at = now + SIMPLE_TOKEN_TTL_MS;
        Some(e.user.clone())
    }

    /// A changed password or a deleted user ends its tokens.
    pub fn invalidate_user(&mut self, user: &str) {
        self.tokens.retain(|_, e| e.user != user);
    }

    pub fn clear(&mut self) {
        self.tokens.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_sixteen_letters_a_dot_and_the_raft_index() {
        let mut n = 0u64;
        let prefix = token_prefix(|| {
            n += 7;
            n
        });
        let mut t = SimpleTokens::default();
        let token = t.assign(&prefix, 9, "root", 0);
        let (letters, index) = token.split_once('.').unwrap();
        assert_eq!(letters.len(), 16);
        assert!(letters.bytes().all(|b| b.is_ascii_alphabetic()));
        assert_eq!(index, "9");
    }

    #[test]
    fn a_token_expires_five_minutes_after_its_last_use_in_virtual_time() {
        let mut t = SimpleTokens::default();
        let token = t.assign("abc", 1, "u", 0);
        assert_eq!(
            t.user(&token, SIMPLE_TOKEN_TTL_MS - 1).as_deref(),
            Some("u")
        );
        // the use above restarted the TTL
        assert!(t.user(&token, 2 * SIMPLE_TOKEN_TTL_MS - 2).is_some());
        assert!(t.user(&token, 4 * SIMPLE_TOKEN_TTL_MS).is_none());
    }

    #[test]
    fn invalidating_a_user_ends_only_its_tokens() {
        let mut t = SimpleTokens::default();
        let a = t.assign("a", 1, "u", 0);
        let b = t.assign("b", 2, "v", 0);
        t.invalidate_user("u");
        assert!(t.user(&a, 1).is_none());
        assert!(t.user(&b, 1).is_some());
    }
}

/// The tokens as part of a checkpoint (see `crate::checkpoint`).
mod checkpoint {
    use super::{Entry, SimpleTokens};
    use crate::checkpoint::{Checkpoint, Decoder, Encoder};

    impl Checkpoint for Entry {
        fn encode(&self, e: &mut Encoder) {
            let Entry { user, expires_at } = self;
            e.str(user);
            e.u64(*expires_at);
        }

        fn decode(d: &mut Decoder) -> Self {
            Entry {
                user: d.string(),
                expires_at: d.u64(),
            }
        }
    }

    impl Checkpoint for SimpleTokens {
        fn encode(&self, e: &mut Encoder) {
            let SimpleTokens { tokens } = self;
            tokens.encode(e);
        }

        fn decode(d: &mut Decoder) -> Self {
            SimpleTokens {
                tokens: Checkpoint::decode(d),
            }
        }
    }
}
