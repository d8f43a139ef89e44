//! The arguments of a `/_sim/` control: a JSON object (or an empty body)
//! checked whole before the control runs, so that a control refused for
//! its input has changed nothing. Member indexes must name a member of the
//! current cluster, numbers must be in range, and every field must be one
//! the control knows (a misspelt `latency` would otherwise set nothing).

use crate::world::json::Value;

/// The longest a link may delay a message, in ms (latency or jitter): far
/// past etcd's 7 s request timeout, short of anything that stops the world.
pub const MAX_DELAY_MS: u64 = 60_000;
const DELAY: &str = "a whole number of ms from 0 to 60000";

/// The longest `/_sim/step` may move the clock at once, in ms: one day of
/// virtual time (a lease of a few hours expires in one step; a step of
/// years would keep the simulator busy for as long).
pub const MAX_STEP_MS: u64 = 86_400_000;

pub struct Args<'a> {
    fields: &'a [(String, Value)],
    /// Members of the current cluster: indexes run from 0 below this.
    members: usize,
}

/// `"name" must be what`: the refusal of a field given wrong.
fn must(name: &str, what: &str) -> String {
    format!("\"{name}\" must be {what}")
}

impl<'a> Args<'a> {
    /// `body` as the arguments of a control that takes the fields `known`.
    pub fn new(body: &'a Value, known: &[&str], members: usize) -> Result<Self, String> {
        let fields: &[(String, Value)] = match body {
            Value::Null => &[],
            Value::Object(fields) => fields,
            _ => return Err("the body must be a JSON object or empty".into()),
        };
        if let Some((name, _)) = fields.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(format!("unknown field \"{name}\""));
        }
        Ok(Args { fields, members })
    }

    /// The field `name`; `null` is a field not given.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        let given = |(k, v): &&(String, Value)| k == name && !matches!(v, Value::Null);
        self.fields.iter().find(given).map(|(_, v)| v)
    }

    /// The member index `name` gives, which must be given.
    pub fn member(&self, name: &str) -> Result<usize, String> {
        self.opt_member(name)?
            .ok_or_else(|| format!("\"{name}\" is required"))
    }

    /// The member index `name` gives, if it is given.
    pub fn opt_member(&self, name: &str) -> Result<Option<usize>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => self.index(v).map(Some).ok_or_else(|| {
                let last = self.members.saturating_sub(1);
                must(name, &format!("a member index from 0 to {last}"))
            }),
        }
    }

    fn index(&self, v: &Value) -> Option<usize> {
        let i = usize::try_from(v.as_u64()?).ok()?;
        (i < self.members).then_some(i)
    }

    /// Two different members, `from` and `to`: both given, or (unless
    /// `required`) neither.
    pub fn pair(&self, required: bool) -> Result<Option<(usize, usize)>, String> {
        match (self.opt_member("from")?, self.opt_member("to")?) {
            (Some(from), Some(to)) if from == to => {
                Err("\"from\" and \"to\" must be different members".into())
            }
            (Some(from), Some(to)) => Ok(Some((from, to))),
            (None, None) if !required => Ok(None),
            _ if required => Err("\"from\" and \"to\" are required".into()),
            _ => Err("\"from\" and \"to\" go together: give both or neither".into()),
        }
    }

    /// A delay in whole ms up to [`MAX_DELAY_MS`], or `default`.
    pub fn delay_ms(&self, name: &str, default: u64) -> Result<u64, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .filter(|ms| *ms <= MAX_DELAY_MS)
                .ok_or_else(|| must(name, DELAY)),
        }
    }

    /// A probability (0 to 1), or 0.
    pub fn probability(&self, name: &str) -> Result<f64, String> {
        match self.get(name) {
            None => Ok(0.0),
            Some(v) => v
                .as_f64()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| must(name, "a number from 0 to 1")),
        }
    }

    /// `true` or `false`, or `false` when not given.
    pub fn flag(&self, name: &str) -> Result<bool, String> {
        match self.get(name) {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| must(name, "true or false")),
        }
    }

    /// `"groups": [[0], [1, 2]]`: at least one group, none empty, each
    /// member in one group at most (the members not named form one more).
    pub fn groups(&self) -> Result<Vec<Vec<usize>>, String> {
        let last = self.members.saturating_sub(1);
        let bad = || {
            must(
                "groups",
                &format!("a list of lists of member indexes from 0 to {last}"),
            )
        };
        let given = self
            .get("groups")
            .and_then(Value::as_array)
            .ok_or_else(bad)?;
        if given.is_empty() {
            return Err("\"groups\" must name at least one group".into());
        }
        let mut seen = vec![false; self.members];
        let mut groups = Vec::with_capacity(given.len());
        for g in given {
            let g = g.as_array().ok_or_else(bad)?;
            if g.is_empty() {
                return Err("\"groups\" must not hold an empty group".into());
            }
            let mut group = Vec::with_capacity(g.len());
            for m in g {
                let m = self.index(m).ok_or_else(bad)?;
                if seen.get_mut(m).is_some_and(|s| std::mem::replace(s, true)) {
                    return Err(format!("\"groups\" name member {m} twice"));
                }
                group.push(m);
            }
            groups.push(group);
        }
        Ok(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_refusal_names_the_bound() {
        assert!(DELAY.ends_with(&MAX_DELAY_MS.to_string()));
    }
}
