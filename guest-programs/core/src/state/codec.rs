//! Fixed-width big-endian fields: the byte layout of state keys and records (PROTOCOL.md
//! section 7). Every record decodes only from exactly the bytes its encoder writes (no trailing
//! bytes, enum bytes in range), so a record's bytes are a function of the record.

use alloc::vec::Vec;

use crate::Address;

/// Appends fields to a record's bytes.
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn with_capacity(capacity: usize) -> Writer {
        Writer(Vec::with_capacity(capacity))
    }

    pub fn u8(&mut self, value: u8) -> &mut Writer {
        self.0.push(value);
        self
    }

    pub fn u16(&mut self, value: u16) -> &mut Writer {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn u32(&mut self, value: u32) -> &mut Writer {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn u64(&mut self, value: u64) -> &mut Writer {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn u128(&mut self, value: u128) -> &mut Writer {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    pub fn bytes(&mut self, value: &[u8]) -> &mut Writer {
        self.0.extend_from_slice(value);
        self
    }
}

/// Reads fields off a record's bytes; every read is `None` past the end.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take::<1>()?[0])
    }

    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take()?))
    }

    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take()?))
    }

    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take()?))
    }

    pub fn u128(&mut self) -> Option<u128> {
        Some(u128::from_be_bytes(self.take()?))
    }

    pub fn address(&mut self) -> Option<Address> {
        self.take()
    }

    /// `value` if nothing is left to read.
    pub fn end<T>(&self, value: T) -> Option<T> {
        self.0.is_empty().then_some(value)
    }
}
