//! Decoding and encoding rules of the gateway's JSON mapping, each test
//! named after the rule it defends; cases from the `bad_*` scenarios.

use super::*;
use crate::pb::*;
