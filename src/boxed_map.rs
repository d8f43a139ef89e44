//! Why many of the simulator's maps box their values.

/// An ordered map whose values are boxed. `BTreeMap`'s code is generic
/// over its key and value types: each pair used adds 2 to 6 KB to the
/// wasm. With boxed values a value is one pointer, so all the maps of one
/// key type share a single copy of that code. These maps are small, or
/// their values large, so the allocation per entry costs little.
pub type BoxedMap<K, V> = std::collections::BTreeMap<K, Box<V>>;
