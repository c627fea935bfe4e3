//! Ids are opaque to clients; inside they are UUID v7 strings: 74 random bits behind a millisecond
//! timestamp, so that new rows land at the end of a primary key's B-tree (one page written per
//! insert, not a random page of a large index) in SQLite and InnoDB alike.

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A random URL-safe token of `bytes` random bytes (hex encoded).
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
