//! The arguments of a `/_sim/` control: a JSON object (or an empty body)
//! checked whole before the control runs, so that a control refused for
//! its input has changed nothing. Member indexes must name a member of the
//! current cluster, numbers must be in range, and every field must be one
//! the control knows (a misspelt `latency` would otherwise set nothing).

use crate::gateway::json::Value;

/// The longest a link may delay a message, in ms (latency or jitter): far
/// past etcd's 7 s request timeout, short of anything that stops the world.
pub const MAX_DELAY_MS: u64 = 60_000;

/// The longest `/_sim/step` may move the clock at once, in ms: one day of
/// virtual time (a lease of a few hours expires in one step; a step of
/// years would keep the simulator busy for as long).
pub const MAX_STEP_MS: u64 = 86_400_000;

pub struct Args<'a> {
    fields: &'a [(String, Value)],
    /// Members of the current cluster: indexes run from 0 below this.
    members: usize,
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
            let mut e = format!("unknown field \"{name}\" (known: ");
            for (i, k) in known.iter().enumerate() {
                if i > 0 {
                    e.push_str(", ");
                }
                e.push_str(k);
            }
            e.push_str(if known.is_empty() { "none)" } else { ")" });
            return Err(e);
        }
        Ok(Args { fields, members })
    }

    /// The field `name`; `null` is a field not given.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        let (_, v) = self.fields.iter().find(|(k, _)| k == name)?;
        (*v != Value::Null).then_some(v)
    }

    /// The member index `name` gives, which must be given.
    pub fn member(&self, name: &str) -> Result<usize, String> {
        self.opt_member(name)?
            .ok_or_else(|| format!("\"{name}\" is required"))
    }

    /// The member index `name` gives, if it is given.
    pub fn opt_member(&self, name: &str) -> Result<Option<usize>, String> {
        self.get(name)
            .map(|v| self.index(v).ok_or_else(|| self.not_a_member(name)))
            .transpose()
    }

    fn index(&self, v: &Value) -> Option<usize> {
        let i = usize::try_from(v.as_u64()?).ok()?;
        (i < self.members).then_some(i)
    }

    fn not_a_member(&self, name: &str) -> String {
        let last = self.members.saturating_sub(1);
        format!("\"{name}\" must be a member index from 0 to {last}")
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
            Some(v) => v.as_u64().filter(|ms| *ms <= MAX_DELAY_MS).ok_or_else(|| {
                format!("\"{name}\" must be a whole number of ms from 0 to {MAX_DELAY_MS}")
            }),
        }
    }

    /// A probability (0 to 1), or 0.
    pub fn probability(&self, name: &str) -> Result<f64, String> {
        match self.get(name) {
            None => Ok(0.0),
            Some(v) => v
                .as_f64()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| format!("\"{name}\" must be a number from 0 to 1")),
        }
    }

    /// `true` or `false`, or `false` when not given.
    pub fn flag(&self, name: &str) -> Result<bool, String> {
        match self.get(name) {
            None => Ok(false),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| format!("\"{name}\" must be true or false")),
        }
    }

    /// `"groups": [[0], [1, 2]]`: at least one group, none empty, each
    /// member in one group at most (the members not named form one more).
    pub fn groups(&self) -> Result<Vec<Vec<usize>>, String> {
        let group = |g: &Value| -> Option<Vec<usize>> {
            g.as_array()?.iter().map(|m| self.index(m)).collect()
        };
        let groups: Vec<Vec<usize>> = self
            .get("groups")
            .and_then(Value::as_array)
            .and_then(|gs| gs.iter().map(group).collect())
            .ok_or_else(|| {
                let last = self.members.saturating_sub(1);
                format!("\"groups\" must be a list of lists of member indexes from 0 to {last}")
            })?;
        if groups.is_empty() {
            return Err("\"groups\" must name at least one group".into());
        }
        if groups.iter().any(Vec::is_empty) {
            return Err("\"groups\" must not hold an empty group".into());
        }
        let mut seen = vec![false; self.members];
        for &m in groups.iter().flatten() {
            if seen.get_mut(m).is_some_and(|s| std::mem::replace(s, true)) {
                return Err(format!("\"groups\" name member {m} twice"));
            }
        }
        Ok(groups)
    }
}
