//! Ids are opaque to clients; inside they are UUID v4 strings.

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A random URL-safe token of `bytes` random bytes (hex encoded).
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
