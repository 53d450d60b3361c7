//! The Redis store: one multiplexed connection (or a cluster connection) that reconnects by
//! itself, and one Lua script per operation, so every operation is atomic and one round
//! trip (`EVALSHA`; the script is loaded once per server on first use).
//!
//! Key layout (`{tag}` is the user's hash tag, so all keys of a user share a cluster slot):
//!
//! ```text
//! <prefix>rt:{tag}:f:<family id>   hash: the session
//! <prefix>rt:{tag}:s:<family id>   set:  hashes of its spent tokens (reuse detection)
//! <prefix>rt:{tag}:u:<user id>     set:  the user's family ids
//! ```

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{FromRedisValue, RedisError, Script, ScriptInvocation};
use tokio::sync::OnceCell;

use super::{FamilyKey, NewFamily, RevokeOutcome, RotateOutcome, Rotation, SessionRecord};
use crate::error::{Error, Result};

static CREATE_FAMILY: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/create_family.lua")));
static ROTATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/rotate.lua")));
static REVOKE_TOKEN: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/revoke_token.lua")));
static REVOKE_FAMILY: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/revoke_family.lua")));
static REVOKE_USER: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/revoke_user.lua")));
static LIST_SESSIONS: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/list_sessions.lua")));

/// How to reach Redis.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://` or `rediss://` URL of one server (ignored when `cluster` is set).
    pub url: String,
    /// Seed node URLs of a Redis Cluster.
    pub cluster: Vec<String>,
    pub key_prefix: String,
    /// Bound on establishing a connection.
    pub connect_timeout: Duration,
    /// Bound on each operation, reconnection included: past it the call fails with
    /// `ERR_STORE_UNAVAILABLE`.
    pub command_timeout: Duration,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            url: "redis://127.0.0.1:6379".into(),
            cluster: Vec::new(),
            key_prefix: "ferroauth:".into(),
            connect_timeout: Duration::from_secs(1),
            command_timeout: Duration::from_secs(2),
        }
    }
}

enum Client {
    Single(redis::Client),
    Cluster(Box<ClusterClient>),
}

#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

pub struct RedisStore {
    client: Client,
    config: RedisConfig,
    connection: OnceCell<Connection>,
}

/// A URL's shape is checked here, when the store is made; reaching the server waits for
/// the first operation, so an app can start while Redis is still coming up.
fn parse_url(url: &str) -> Result<redis::ConnectionInfo> {
    redis::IntoConnectionInfo::into_connection_info(url)
        .map_err(|e| Error::invalid_option(format!("RedisStore: {url:?} is not a Redis URL ({e})")))
}

impl RedisStore {
    pub fn new(config: RedisConfig) -> Result<Self> {
        if config.command_timeout.is_zero() || config.connect_timeout.is_zero() {
            return Err(Error::invalid_option(
                "RedisStore: timeouts must be greater than zero",
            ));
        }
        let client = if config.cluster.is_empty() {
            let info = parse_url(&config.url)?;
            Client::Single(
                redis::Client::open(info)
                    .map_err(|e| Error::invalid_option(format!("RedisStore: {e}")))?,
            )
        } else {
            let nodes = config
                .cluster
                .iter()
                .map(|url| parse_url(url))
                .collect::<Result<Vec<_>>>()?;
            let client = ClusterClient::builder(nodes)
                .connection_timeout(config.connect_timeout)
                .response_timeout(config.command_timeout)
                .build()
                .map_err(|e| Error::invalid_option(format!("RedisStore: {e}")))?;
            Client::Cluster(Box::new(client))
        };
        Ok(RedisStore {
            client,
            config,
            connection: OnceCell::new(),
        })
    }

    async fn connection(&self) -> Result<Connection> {
        self.connection
            .get_or_try_init(|| async {
                match &self.client {
                    Client::Single(client) => {
                        let config = ConnectionManagerConfig::new()
                            .set_connection_timeout(Some(self.config.connect_timeout))
                            .set_response_timeout(Some(self.config.command_timeout))
                            .set_number_of_retries(2)
                            .set_max_delay(Duration::from_millis(500));
                        ConnectionManager::new_lazy_with_config(client.clone(), config)
                            .map(Connection::Single)
                            .map_err(unavailable)
                    }
                    Client::Cluster(client) => client
                        .get_async_connection()
                        .await
                        .map(Connection::Cluster)
                        .map_err(unavailable),
                }
            })
            .await
            .cloned()
    }

    /// Runs one script under the operation's time bound.
    ///
    /// A connection that drops after the script was sent may have lost only the answer: the
    /// server ran it. A rotation whose answer is lost would leave the client with a spent
    /// token and nothing else, so the same invocation is sent once more on a new connection.
    /// Every script gives the same outcome when run twice with the same arguments (a repeated
    /// rotation answers with the same successor), so the retry changes nothing stored.
    /// Refused connections and timeouts are not retried: Redis is down, say so now.
    pub(super) async fn run<T: FromRedisValue>(
        &self,
        invocation: ScriptInvocation<'_>,
    ) -> Result<T> {
        self.bounded(async {
            let mut retried = false;
            loop {
                let reply = match self.connection().await? {
                    Connection::Single(mut c) => invocation.invoke_async(&mut c).await,
                    Connection::Cluster(mut c) => invocation.invoke_async(&mut c).await,
                };
                match reply {
                    Err(error) if !retried && answer_lost(&error) => retried = true,
                    reply => return reply.map_err(classify),
                }
            }
        })
        .await
    }

    async fn bounded<T>(&self, operation: impl Future<Output = Result<T>>) -> Result<T> {
        let limit = self.config.command_timeout;
        tokio::time::timeout(limit, operation)
            .await
            .unwrap_or_else(|_| {
                Err(Error::StoreUnavailable(format!(
                    "no answer from Redis within {} ms",
                    limit.as_millis()
                )))
            })
    }

    /// Answers when the server does: for health checks and for waiting on start-up.
    pub async fn ping(&self) -> Result<()> {
        self.bounded(async {
            let reply: String = match self.connection().await? {
                Connection::Single(mut c) => redis::cmd("PING").query_async(&mut c).await,
                Connection::Cluster(mut c) => redis::cmd("PING").query_async(&mut c).await,
            }
            .map_err(classify)?;
            if reply == "PONG" {
                Ok(())
            } else {
                Err(Error::StoreFailed(format!(
                    "unexpected PING reply {reply:?}"
                )))
            }
        })
        .await
    }

    pub(super) fn key_prefix(&self) -> &str {
        &self.config.key_prefix
    }

    fn family_key(&self, key: FamilyKey<'_>) -> String {
        format!(
            "{}rt:{{{}}}:f:{}",
            self.config.key_prefix, key.tag, key.family_id
        )
    }

    fn spent_key(&self, key: FamilyKey<'_>) -> String {
        format!(
            "{}rt:{{{}}}:s:{}",
            self.config.key_prefix, key.tag, key.family_id
        )
    }

    fn user_key(&self, tag: &str, user_id: &str) -> String {
        format!("{}rt:{{{tag}}}:u:{user_id}", self.config.key_prefix)
    }

    fn family_prefix(&self, tag: &str) -> String {
        format!("{}rt:{{{tag}}}:f:", self.config.key_prefix)
    }

    pub async fn create_family(&self, new: &NewFamily<'_>) -> Result<()> {
        let mut call = CREATE_FAMILY.prepare_invoke();
        call.key(self.family_key(new.key))
            .key(self.user_key(new.key.tag, new.user_id))
            .arg(new.user_id)
            .arg(new.token_hash)
            .arg(new.now)
            .arg(new.expires_at)
            .arg(new.token_expires_at)
            .arg(new.user_agent.unwrap_or(""))
            .arg(new.ip.unwrap_or(""))
            .arg(new.key.family_id);
        let _: i64 = self.run(call).await?;
        Ok(())
    }

    pub async fn rotate(&self, r: &Rotation<'_>) -> Result<RotateOutcome> {
        let mut call = ROTATE.prepare_invoke();
        call.key(self.family_key(r.key))
            .key(self.spent_key(r.key))
            .arg(r.presented_hash)
            .arg(r.next_hash)
            .arg(r.now)
            .arg(r.next_expires_at)
            .arg(r.grace)
            .arg(r.sealed_next.unwrap_or(""))
            .arg(r.user_agent.unwrap_or(""))
            .arg(r.ip.unwrap_or(""));
        let reply: Vec<String> = self.run(call).await?;
        let mut parts = reply.into_iter();
        let outcome = match (parts.next().as_deref(), parts.next(), parts.next()) {
            (Some("rotated"), Some(user_id), Some(expires_at)) => RotateOutcome::Rotated {
                user_id,
                expires_at: number(&expires_at)?,
            },
            (Some("replayed"), Some(user_id), Some(sealed_next)) => RotateOutcome::Replayed {
                user_id,
                sealed_next,
            },
            (Some("reused"), None, None) => RotateOutcome::Reused,
            (Some("revoked"), None, None) => RotateOutcome::Revoked,
            (Some("unknown"), None, None) => RotateOutcome::Unknown,
            _ => return Err(unexpected("rotate")),
        };
        Ok(outcome)
    }

    pub async fn revoke_token(
        &self,
        key: FamilyKey<'_>,
        token_hash: &str,
        now: u64,
    ) -> Result<RevokeOutcome> {
        let mut call = REVOKE_TOKEN.prepare_invoke();
        call.key(self.family_key(key))
            .key(self.spent_key(key))
            .arg(token_hash)
            .arg(now);
        match self.run::<i64>(call).await? {
            2 => Ok(RevokeOutcome::Revoked),
            1 => Ok(RevokeOutcome::AlreadyEnded),
            0 => Ok(RevokeOutcome::Unknown),
            _ => Err(unexpected("revoke")),
        }
    }

    pub async fn revoke_family(&self, key: FamilyKey<'_>, now: u64) -> Result<bool> {
        let mut call = REVOKE_FAMILY.prepare_invoke();
        call.key(self.family_key(key)).arg(now);
        Ok(self.run::<i64>(call).await? == 1)
    }

    pub async fn revoke_user(&self, tag: &str, user_id: &str, now: u64) -> Result<u32> {
        let mut call = REVOKE_USER.prepare_invoke();
        call.key(self.user_key(tag, user_id))
            .arg(now)
            .arg(self.family_prefix(tag));
        let revoked: i64 = self.run(call).await?;
        u32::try_from(revoked).map_err(|_| unexpected("revokeAllForUser"))
    }

    pub async fn list_sessions(
        &self,
        tag: &str,
        user_id: &str,
        now: u64,
    ) -> Result<Vec<SessionRecord>> {
        let mut call = LIST_SESSIONS.prepare_invoke();
        call.key(self.user_key(tag, user_id))
            .arg(now)
            .arg(self.family_prefix(tag));
        let reply: Vec<String> = self.run(call).await?;
        if !reply.len().is_multiple_of(8) {
            return Err(unexpected("listSessions"));
        }
        let non_empty = |s: &String| (!s.is_empty()).then(|| s.clone());
        reply
            .chunks_exact(8)
            .map(|f| {
                Ok(SessionRecord {
                    family_id: f[0].clone(),
                    user_id: f[1].clone(),
                    created_at: number(&f[2])?,
                    last_used_at: number(&f[3])?,
                    expires_at: number(&f[4])?,
                    token_expires_at: number(&f[5])?,
                    user_agent: non_empty(&f[6]),
                    ip: non_empty(&f[7]),
                })
            })
            .collect()
    }
}

fn number(text: &str) -> Result<u64> {
    text.parse()
        .map_err(|_| Error::StoreFailed(format!("unexpected number {text:?} in a reply")))
}

pub(super) fn unexpected(operation: &str) -> Error {
    Error::StoreFailed(format!("unexpected reply from Redis to {operation}"))
}

fn unavailable(error: RedisError) -> Error {
    Error::StoreUnavailable(error.to_string())
}

/// The connection broke while a command was in flight (not refused, not timed out).
fn answer_lost(error: &RedisError) -> bool {
    error.is_connection_dropped() && !error.is_connection_refusal()
}

/// Connection trouble is "unavailable" (retry later); anything the server itself refused
/// (a wrong key type under the prefix, out of memory, a script error) is "failed".
fn classify(error: RedisError) -> Error {
    if error.is_io_error()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_unrecoverable_error()
        || error.is_cluster_error()
    {
        unavailable(error)
    } else {
        Error::StoreFailed(error.to_string())
    }
}
