//! Numbers as serde_json 1.0 reads them (its default build, without
//! `float_roundtrip`): a whole number is kept as `u64` (or `i64` when
//! negative) while it fits; anything else becomes the `f64` of its first
//! 19 or so significant digits scaled by a power of ten, which is not
//! always the nearest `f64`, so this keeps serde_json's arithmetic.

use super::read::{Error, Reader};
use super::Value;

const INVALID_NUMBER: &str = "invalid number";
const OUT_OF_RANGE: &str = "number out of range";
const EOF: &str = "EOF while parsing a value";

/// Whether `a * 10 + b` exceeds `max`.
fn overflows(a: u64, b: u64, max: u64) -> bool {
    a >= max / 10 && (a > max / 10 || b > max % 10)
}

impl Reader<'_> {
    /// A number after its sign (`-` already read when not `positive`).
    pub(super) fn integer(&mut self, positive: bool) -> Result<Value, Error> {
        let digit = |c: u8| u64::from(c - b'0');
        match self.next() {
            None => Err(self.error(EOF)),
            Some(b'0') => match self.peek_or_null() {
                // only one leading zero
                b'0'..=b'9' => Err(self.peek_error(INVALID_NUMBER)),
                _ => self.number(positive, 0),
            },
            Some(c @ b'1'..=b'9') => {
                let mut significand = digit(c);
                while let c @ b'0'..=b'9' = self.peek_or_null() {
                    if overflows(significand, digit(c), u64::MAX) {
                        return self.long_integer(positive, significand).map(Value::F64);
                    }
                    self.eat();
                    significand = significand * 10 + digit(c);
                }
                self.number(positive, significand)
            }
            Some(_) => Err(self.error(INVALID_NUMBER)),
        }
    }

    fn number(&mut self, positive: bool, significand: u64) -> Result<Value, Error> {
        Ok(match self.peek_or_null() {
            b'.' => Value::F64(self.decimal(positive, significand, 0)?),
            b'e' | b'E' => Value::F64(self.exponent(positive, significand, 0)?),
            _ if positive => Value::U64(significand),
            _ => match (significand as i64).wrapping_neg() {
                // `-0`, and below i64::MIN, are floats
                neg if neg >= 0 => Value::F64(-(significand as f64)),
                neg => Value::I64(neg),
            },
        })
    }

    fn decimal(&mut self, positive: bool, mut significand: u64, exp: i32) -> Result<f64, Error> {
        self.eat();
        let mut fraction_digits = 0;
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            let digit = u64::from(c - b'0');
            if overflows(significand, digit, u64::MAX) {
                // further digits are ignored
                while let b'0'..=b'9' = self.peek_or_null() {
                    self.eat();
                }
                return self.exponent_or_end(positive, significand, exp - fraction_digits);
            }
            self.eat();
            significand = significand * 10 + digit;
            fraction_digits += 1;
        }
        if fraction_digits == 0 {
            return Err(match self.peek() {
                Some(_) => self.peek_error(INVALID_NUMBER),
                None => self.peek_error(EOF),
            });
        }
        self.exponent_or_end(positive, significand, exp - fraction_digits)
    }

    fn exponent_or_end(
        &mut self,
        positive: bool,
        significand: u64,
        exp: i32,
    ) -> Result<f64, Error> {
        match self.peek_or_null() {
            b'e' | b'E' => self.exponent(positive, significand, exp),
            _ => self.f64_from_parts(positive, significand, exp),
        }
    }

    fn exponent(&mut self, positive: bool, significand: u64, start: i32) -> Result<f64, Error> {
        self.eat();
        let positive_exp = match self.peek_or_null() {
            b'-' => {
                self.eat();
                false
            }
            b'+' => {
                self.eat();
                true
            }
            _ => true,
        };
        let mut exp = match self.next() {
            None => return Err(self.error(EOF)),
            Some(c @ b'0'..=b'9') => i32::from(c - b'0'),
            Some(_) => return Err(self.error(INVALID_NUMBER)),
        };
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            self.eat();
            let digit = i32::from(c - b'0');
            if overflows(exp as u64, digit as u64, i32::MAX as u64) {
                // infinity is an error, zero is zero
                if significand != 0 && positive_exp {
                    return Err(self.error(OUT_OF_RANGE));
                }
                while let b'0'..=b'9' = self.peek_or_null() {
                    self.eat();
                }
                return Ok(if positive { 0.0 } else { -0.0 });
            }
            exp = exp * 10 + digit;
        }
        let exp = if positive_exp {
            start.saturating_add(exp)
        } else {
            start.saturating_sub(exp)
        };
        self.f64_from_parts(positive, significand, exp)
    }

    /// The digits past the 19 or 20 that fit a `u64` only scale it.
    fn long_integer(&mut self, positive: bool, significand: u64) -> Result<f64, Error> {
        let mut exp = 0;
        loop {
            match self.peek_or_null() {
                b'0'..=b'9' => {
                    self.eat();
                    exp += 1;
                }
                b'.' => return self.decimal(positive, significand, exp),
                _ => return self.exponent_or_end(positive, significand, exp),
            }
        }
    }

    fn f64_from_parts(&self, positive: bool, significand: u64, mut exp: i32) -> Result<f64, Error> {
        let mut f = significand as f64;
        loop {
            match pow10(exp.unsigned_abs()) {
                Some(pow) if exp >= 0 => {
                    f *= pow;
                    if f.is_infinite() {
                        return Err(self.error(OUT_OF_RANGE));
                    }
                    break;
                }
                Some(pow) => {
                    f /= pow;
                    break;
                }
                None if f == 0.0 => break,
                None if exp >= 0 => return Err(self.error(OUT_OF_RANGE)),
                None => {
                    f /= 1e308;
                    exp += 308;
                }
            }
        }
        Ok(if positive { f } else { -f })
    }
}

/// 10^k as the literal `1e<k>` reads (the nearest `f64`), for k up to 308:
/// serde_json's table of them, computed instead of stored (2.4 KB less
/// wasm). 5^k is built in 128 bits, dropping low bits as it grows (far
/// below the 53 that are kept: a test compares every k with the literal),
/// then rounded once; 10^k is that times 2^k.
fn pow10(k: u32) -> Option<f64> {
    if k > 308 {
        return None;
    }
    let (mut m, mut e) = (1u128, k as u64);
    for _ in 0..k {
        if m >> 124 != 0 {
            m >>= 4;
            e += 4;
        }
        m *= 5;
    }
    Some(m as f64 * f64::from_bits((e + 1023) << 52))
}

#[cfg(test)]
mod tests {
    use super::pow10;

    #[test]
    fn powers_of_ten_are_the_nearest_floats() {
        for k in 0..=308 {
            let want: f64 = format!("1e{k}").parse().unwrap();
            assert_eq!(pow10(k), Some(want), "10^{k}");
        }
        assert_eq!(pow10(309), None);
    }
}
