//! API keys and rate limits. Keys look like `nflp_<id>_<secret>`; only an HMAC-SHA256 of the
//! whole key (keyed by API_SECRET, or by a per-install secret in development) is stored, and
//! verification compares in constant time. Scopes: `read` < `write` < `admin`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use store::{KeyRecord, KeyStore};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Invalid,
    Insufficient,
    /// The key store did not answer: the key could be valid, so this is a 503, not a 403.
    Unavailable,
}

/// The HMAC of a presented key.
type KeyDigest = [u8; 32];

/// How long a verified key is still accepted when the key store stops answering.
const STALE_KEY_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

pub struct Keys {
    store: Arc<dyn KeyStore>,
    /// The HMAC keyed once by the secret (its inner and outer pads already hashed): each
    /// verification clones it instead of re-keying.
    keyed: Hmac<Sha256>,
    /// Recently verified keys (by the key's own HMAC) so that a request does not pay a
    /// database round trip; entries live `cache_ttl`, so a revocation takes effect within it.
    verified: Mutex<HashMap<KeyDigest, (Arc<KeyRecord>, Instant)>>,
    cache_ttl: std::time::Duration,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Writes `body` to `path` readable by the owner only.
fn write_private(path: &Path, body: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("Failed to create {}", path.display()))?;
    f.write_all(body.as_bytes())
        .with_context(|| format!("Failed to write {}", path.display()))
}

/// The HMAC key: API_SECRET when set, else a secret generated once under the data directory.
pub fn load_secret(api_secret: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = api_secret {
        return Ok(s.as_bytes().to_vec());
    }
    let path = data_dir.join("secret");
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(s.trim().as_bytes().to_vec()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("Failed to create {}", data_dir.display()))?;
            let s = random_hex(32);
            write_private(&path, &s)?;
            Ok(s.into_bytes())
        }
        Err(e) => Err(e).with_context(|| format!("Failed to read {}", path.display())),
    }
}

impl Keys {
    pub fn new(store: Arc<dyn KeyStore>, secret: Vec<u8>, cache_ttl: std::time::Duration) -> Self {
        Self {
            store,
            keyed: Hmac::<Sha256>::new_from_slice(&secret)
                .expect("HMAC accepts keys of any length"),
            verified: Mutex::new(HashMap::new()),
            cache_ttl,
        }
    }

    fn scope_ok(record: &KeyRecord, required: Scope) -> Result<(), AuthFailure> {
        let scope = Scope::parse(&record.scope).ok_or(AuthFailure::Invalid)?;
        if scope < required {
            return Err(AuthFailure::Insufficient);
        }
        Ok(())
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.keyed.clone()
    }

    /// Creates a key; returns its record and the key itself (shown once, never stored).
    pub async fn create(&self, name: &str, scope: Scope) -> anyhow::Result<(KeyRecord, String)> {
        let id = random_hex(6);
        let key = format!("nflp_{id}_{}", random_hex(24));
        let mut mac = self.mac();
        mac.update(key.as_bytes());
        let record = KeyRecord {
            id,
            name: name.to_string(),
            scope: scope.as_str().to_string(),
            hash: hex::encode(mac.finalize().into_bytes()),
            created_at: Utc::now(),
            revoked_at: None,
        };
        self.store
            .insert_key(&record)
            .await
            .context("Failed to store the API key")?;
        Ok((record, key))
    }

    /// Checks a presented key for `required` scope.
    pub async fn verify(
        &self,
        presented: Option<&str>,
        required: Scope,
    ) -> Result<Arc<KeyRecord>, AuthFailure> {
        let key = presented
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(AuthFailure::Missing)?;
        let id = key
            .strip_prefix("nflp_")
            .and_then(|r| r.split_once('_'))
            .map(|(id, _)| id)
            .filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(AuthFailure::Invalid)?;
        let mut mac = self.mac();
        mac.update(key.as_bytes());
        let digest: KeyDigest = mac.finalize().into_bytes().into();
        if !self.cache_ttl.is_zero() {
            let cached = self
                .verified
                .lock()
                .expect("key cache lock poisoned")
                .get(&digest)
                .cloned();
            if let Some((record, at)) = cached {
                if at.elapsed() < self.cache_ttl {
                    Self::scope_ok(&record, required)?;
                    return Ok(record);
                }
            }
        }
        let record = match self.store.find_key(id).await {
            Ok(Some(r)) => Arc::new(r),
            Ok(None) => return Err(AuthFailure::Invalid),
            Err(e) => {
                tracing::error!(error = ?e, "key store unavailable");
                // A key verified within the last hour keeps working while the store is
                // down (nothing can be revoked meanwhile either); unknown keys get a 503.
                let stale = self
                    .verified
                    .lock()
                    .expect("key cache lock poisoned")
                    .get(&digest)
                    .cloned();
                return match stale {
                    Some((record, at)) if at.elapsed() < STALE_KEY_GRACE => {
                        Self::scope_ok(&record, required)?;
                        Ok(record)
                    }
                    _ => Err(AuthFailure::Unavailable),
                };
            }
        };
        let stored = hex::decode(&record.hash).map_err(|_| AuthFailure::Invalid)?;
        let mut mac = self.mac();
        mac.update(key.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&stored)
            .map_err(|_| AuthFailure::Invalid)?;
        if record.revoked_at.is_some() {
            return Err(AuthFailure::Invalid);
        }
        let scope = Scope::parse(&record.scope).ok_or(AuthFailure::Invalid)?;
        // Remembered even with no cache TTL: the entry is what keeps a verified key working
        // through a key-store outage (see STALE_KEY_GRACE). Only valid keys are kept, so the
        // map is bounded by the number of keys.
        self.verified
            .lock()
            .expect("key cache lock poisoned")
            .insert(digest, (record.clone(), Instant::now()));
        if scope < required {
            return Err(AuthFailure::Insufficient);
        }
        Ok(record)
    }

    /// On first start (no active key) creates an admin key, writes it to `$DATA_DIR/admin.key`
    /// (mode 0600) and returns it so it can be printed once.
    pub async fn ensure_admin_key(&self, data_dir: &Path) -> anyhow::Result<Option<String>> {
        if self
            .store
            .count_active_keys()
            .await
            .context("Failed to count API keys")?
            > 0
        {
            return Ok(None);
        }
        let (_, key) = self.create("initial admin", Scope::Admin).await?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("Failed to create {}", data_dir.display()))?;
        write_private(&data_dir.join("admin.key"), &key)?;
        Ok(Some(key))
    }

    pub async fn list(&self) -> anyhow::Result<Vec<KeyRecord>> {
        self.store
            .list_keys()
            .await
            .context("Failed to list API keys")
    }

    pub async fn revoke(&self, id: &str) -> anyhow::Result<bool> {
        self.store
            .revoke_key(id)
            .await
            .context("Failed to revoke the API key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_ordered() {
        assert!(Scope::Admin > Scope::Write && Scope::Write > Scope::Read);
        assert_eq!(Scope::parse("write"), Some(Scope::Write));
        assert_eq!(Scope::parse("root"), None);
    }
}
