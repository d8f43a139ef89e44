//! The world's [`Config`] as JSON, read and written through its settings
//! table (`Config::SETTINGS`), as serde read and wrote it before.

use super::{read_struct, Object, Reader};
use crate::config::{Config, SettingType, SettingValue};

impl Config {
    /// `base` with the settings `json` gives (an empty body gives none):
    /// an object, or an array of the settings in order, read as serde's
    /// derived `Deserialize` read the struct it had (`#[serde(default,
    /// deny_unknown_fields)]`), messages included; `null` is a setting not
    /// given.
    pub fn overlay(base: &Config, json: &[u8]) -> Result<Config, String> {
        let mut c = base.clone();
        if !json.iter().all(u8::is_ascii_whitespace) {
            let names: Vec<&str> = Config::SETTINGS.iter().map(|s| s.name).collect();
            read_struct(json, "ConfigJson", &names, |i, r: &mut Reader| {
                let Some(setting) = Config::SETTINGS.get(i) else {
                    return Ok(());
                };
                match setting.ty {
                    SettingType::Uint { rust, max } => {
                        if let Some(n) = r.opt_uint(rust, max)? {
                            (setting.set)(&mut c, SettingValue::Uint(n));
                        }
                    }
                    SettingType::Text => {
                        if let Some(t) = r.opt_string()? {
                            (setting.set)(&mut c, SettingValue::Text(&t));
                        }
                    }
                }
                Ok(())
            })?;
        }
        if !(1..=7).contains(&c.members) {
            return Err("members must be between 1 and 7".into());
        }
        Ok(c)
    }

    /// Every setting, as an object with its members in key order (as
    /// serde_json wrote it).
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        let mut o = Object::new(&mut s);
        let mut last = "";
        // the settings by name: each time the first after the last written
        while let Some(setting) = Config::SETTINGS
            .iter()
            .filter(|s| s.name > last)
            .min_by_key(|s| s.name)
        {
            match (setting.get)(self) {
                SettingValue::Uint(n) => o.u64(setting.name, n),
                SettingValue::Text(t) => o.str(setting.name, t),
            };
            last = setting.name;
        }
        o.end();
        s
    }
}
