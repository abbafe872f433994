//! Attachments sealed as they stream (never whole in memory): AES-256-GCM over 64 KiB
//! chunks under the thread's data key. Layout: `MSB1` ‖ an 8-byte random nonce prefix ‖
//! chunks, each the ciphertext of up to 64 KiB and its 16-byte tag. A chunk's nonce is the
//! prefix ‖ its number (big-endian), and its associated data the thread id ‖ its number ‖
//! whether it is the last — so chunks cannot be reordered, moved to another thread, dropped
//! from the end or followed by more.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use uuid::Uuid;

use super::{CryptoError, DataKey};
use service_kit::seal::SealError;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
/// Bytes a chunk adds.
pub const TAG: usize = 16;
/// The header's length.
pub const HEADER: usize = 12;
const MAGIC: &[u8; 4] = b"MSB1";

fn refused(what: &'static str) -> CryptoError {
    CryptoError::Refused {
        what,
        source: SealError::Refused,
    }
}

fn aad(thread: Uuid, counter: u32, last: bool) -> [u8; 21] {
    let mut aad = [0u8; 21];
    aad[..16].copy_from_slice(thread.as_bytes());
    aad[16..20].copy_from_slice(&counter.to_be_bytes());
    aad[20] = u8::from(last);
    aad
}

fn nonce(prefix: &[u8; 8], counter: u32) -> Nonce {
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(prefix);
    bytes[8..].copy_from_slice(&counter.to_be_bytes());
    Nonce::assume_unique_for_key(bytes)
}

fn key(data: &DataKey) -> Result<LessSafeKey, CryptoError> {
    let key =
        UnboundKey::new(&AES_256_GCM, data.bytes()).map_err(|_| refused("an attachment key"))?;
    Ok(LessSafeKey::new(key))
}

/// Seals an attachment chunk by chunk.
pub struct Sealer {
    key: LessSafeKey,
    prefix: [u8; 8],
    counter: u32,
    thread: Uuid,
    pending: Vec<u8>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// A sealer for `thread` and the header to write first.
    pub fn new(data: &DataKey, thread: Uuid) -> Result<(Self, Vec<u8>), CryptoError> {
        let mut prefix = [0u8; 8];
        aws_lc_rs::rand::fill(&mut prefix).map_err(|_| refused("the system's randomness"))?;
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&prefix);
        let sealer = Self {
            key: key(data)?,
            prefix,
            counter: 0,
            thread,
            pending: Vec::with_capacity(CHUNK + TAG),
        };
        Ok((sealer, header))
    }

    fn seal(&mut self, mut chunk: Vec<u8>, last: bool) -> Result<Vec<u8>, CryptoError> {
        let aad = aad(self.thread, self.counter, last);
        self.key
            .seal_in_place_append_tag(
                nonce(&self.prefix, self.counter),
                Aad::from(aad),
                &mut chunk,
            )
            .map_err(|_| refused("an attachment chunk"))?;
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| refused("an attachment too long"))?;
        Ok(chunk)
    }

    /// Takes more plaintext; returns the sealed chunks it completed (never the last one,
    /// which [`Sealer::finish`] writes).
    pub fn push(&mut self, mut data: &[u8]) -> Result<Vec<Vec<u8>>, CryptoError> {
        let mut out = Vec::new();
        while !data.is_empty() {
            if self.pending.len() == CHUNK {
                let full = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK + TAG));
                out.push(self.seal(full, false)?);
            }
            let room = CHUNK - self.pending.len();
            let take = room.min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(out)
    }

    /// The last chunk (possibly empty).
    pub fn finish(mut self) -> Result<Vec<u8>, CryptoError> {
        let last = std::mem::take(&mut self.pending);
        self.seal(last, true)
    }
}

/// Opens a sealed attachment chunk by chunk.
pub struct Opener {
    key: LessSafeKey,
    prefix: [u8; 8],
    counter: u32,
    thread: Uuid,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Opener {
    /// An opener for a blob whose header is `header`.
    pub fn new(data: &DataKey, thread: Uuid, header: &[u8]) -> Result<Self, CryptoError> {
        if header.len() != HEADER || &header[..4] != MAGIC {
            return Err(refused("an attachment header"));
        }
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&header[4..]);
        Ok(Self {
            key: key(data)?,
            prefix,
            counter: 0,
            thread,
        })
    }

    /// Opens the next chunk (`last`: nothing follows it in the blob).
    pub fn open(&mut self, mut sealed: Vec<u8>, last: bool) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < TAG
            || sealed.len() > CHUNK + TAG
            || (!last && sealed.len() != CHUNK + TAG)
        {
            return Err(refused("an attachment chunk"));
        }
        let aad = aad(self.thread, self.counter, last);
        let len = self
            .key
            .open_in_place(
                nonce(&self.prefix, self.counter),
                Aad::from(aad),
                &mut sealed,
            )
            .map_err(|_| refused("an attachment chunk"))?
            .len();
        sealed.truncate(len);
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| refused("an attachment too long"))?;
        Ok(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal_all(key: &DataKey, thread: Uuid, data: &[u8], piece: usize) -> Vec<u8> {
        let (mut sealer, mut out) = Sealer::new(key, thread).unwrap();
        for part in data.chunks(piece.max(1)) {
            for chunk in sealer.push(part).unwrap() {
                out.extend_from_slice(&chunk);
            }
        }
        out.extend_from_slice(&sealer.finish().unwrap());
        out
    }

    fn open_all(key: &DataKey, thread: Uuid, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut opener = Opener::new(key, thread, &blob[..HEADER])?;
        let chunks: Vec<&[u8]> = blob[HEADER..].chunks(CHUNK + TAG).collect();
        let mut out = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            out.extend_from_slice(&opener.open(chunk.to_vec(), i + 1 == chunks.len())?);
        }
        Ok(out)
    }

    #[test]
    fn any_size_in_any_pieces_round_trips_and_tampering_is_refused() {
        let key = DataKey::generate().unwrap();
        let thread = Uuid::now_v7();
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            for piece in [1000, CHUNK, 7 * CHUNK] {
                let blob = seal_all(&key, thread, &data, piece);
                assert_eq!(
                    open_all(&key, thread, &blob).unwrap(),
                    data,
                    "{size} in pieces of {piece}"
                );
            }
        }
        let data = vec![7u8; 2 * CHUNK + 5];
        let blob = seal_all(&key, thread, &data, CHUNK);
        assert!(
            open_all(&key, Uuid::now_v7(), &blob).is_err(),
            "another thread"
        );
        let truncated = &blob[..HEADER + CHUNK + TAG];
        assert!(
            open_all(&key, thread, truncated).is_err(),
            "the end dropped"
        );
        let mut flipped = blob.clone();
        flipped[HEADER + 10] ^= 1;
        assert!(open_all(&key, thread, &flipped).is_err(), "a bit flipped");
        assert!(
            open_all(&DataKey::generate().unwrap(), thread, &blob).is_err(),
            "another key"
        );
    }
}
