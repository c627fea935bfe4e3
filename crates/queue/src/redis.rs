//! The queue in Redis, shared by every queue (and gateway) process: per event, under one hash tag
//! so a cluster keeps them on one shard:
//!
//! - `queue:{E}:meta` (hash): `opened`, `paused`, `rate_override`, `next_pos` (the last position
//!   handed out), `admitted_upto`, `admitted_total`, `allowance`, `last_tick`, `pre_seq`;
//! - `queue:{E}:pre` (sorted set): the pre-queue, scored by arrival;
//! - `queue:{E}:line` (sorted set): fans in line after the opening, scored by position;
//! - `queue:{E}:places` (hash): user -> `position:joined_at:admitted_at`;
//! - `queue:{E}:admitted` (sorted set): admitted fans scored by admission time (the gate's lookup).
//!
//! Every change is one Lua script, so it is atomic: joining twice cannot make two places, the
//! opening happens once, and admission pops the front of the line and spends the rate budget in one
//! step. Any number of processes may run the admission tick for the same event: each run spends
//! only the time elapsed since the last one, whoever ran it, so together they admit at the set
//! rate, each fan once and in order. Production Redis runs with AOF so a restart keeps the queue.

use crate::backend::Backend;
use crate::model::{Place, RoomHead, RoomState, Snapshot};
use async_trait::async_trait;
use common::clients::Admissions;
use common::ApiError;
use redis::Script;
use store::redis_conn::RedisConn;

const ROOMS: &str = "queue:rooms";

fn key(event: &str, part: &str) -> String {
    format!("queue:{{{event}}}:{part}")
}

fn unavailable(e: redis::RedisError) -> ApiError {
    tracing::warn!(error = %e, "queue redis unavailable");
    ApiError::unavailable("the queue store (Redis) is unavailable")
}

const JOIN: &str = r#"
local user, now, window = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local cur = redis.call('HGET', KEYS[4], user)
local fresh = 1
if cur then
  local adm = tonumber(string.match(cur, ':(%-?%d+)$') or '0')
  if adm == 0 or now < adm + window then
    fresh = 0
  else
    redis.call('ZREM', KEYS[5], user)
  end
end
if fresh == 1 then
  if redis.call('HGET', KEYS[1], 'opened') == '1' then
    local pos = redis.call('HINCRBY', KEYS[1], 'next_pos', 1)
    redis.call('ZADD', KEYS[3], pos, user)
    cur = tostring(pos) .. ':' .. ARGV[2] .. ':0'
  else
    local seq = redis.call('HINCRBY', KEYS[1], 'pre_seq', 1)
    redis.call('ZADD', KEYS[2], seq, user)
    cur = '0:' .. ARGV[2] .. ':0'
  end
  redis.call('HSET', KEYS[4], user, cur)
end
local m = redis.call('HMGET', KEYS[1], 'opened', 'paused', 'rate_override', 'admitted_upto')
return {cur, fresh, m[1] or '0', m[2] or '0', m[3] or '', m[4] or '0'}
"#;

/// ARGV: now, then a permutation of 0..n-1 for the n fans of the pre-queue (in arrival order).
/// Returns -1 when the room was open already, -2 when the pre-queue no longer has n fans.
const OPEN: &str = r#"
if redis.call('HGET', KEYS[1], 'opened') == '1' then return -1 end
local n = #ARGV - 1
local pre = redis.call('ZRANGE', KEYS[2], 0, -1)
if #pre ~= n then return -2 end
for i = 1, n do
  local user = pre[i]
  local pos = tonumber(ARGV[i + 1]) + 1
  local cur = redis.call('HGET', KEYS[4], user) or ''
  local joined = string.match(cur, '^%d+:(%-?%d+):') or ARGV[1]
  redis.call('HSET', KEYS[4], user, tostring(pos) .. ':' .. joined .. ':0')
  redis.call('ZADD', KEYS[3], pos, user)
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'opened', '1', 'next_pos', n, 'allowance', '1', 'last_tick', ARGV[1])
return n
"#;

/// ARGV: now, the event's rate. Returns the join times of the fans it admitted.
const ADMIT: &str = r#"
local m = redis.call('HMGET', KEYS[1], 'opened', 'paused', 'rate_override', 'allowance', 'last_tick')
if m[1] ~= '1' then return {} end
local now = tonumber(ARGV[1])
local rate = tonumber(m[3] or '') or tonumber(ARGV[2])
if rate < 1 then rate = 1 end
local allowance = tonumber(m[4] or '0') or 0
local last = tonumber(m[5] or ARGV[1]) or now
local elapsed = now - last
if elapsed < 0 then elapsed = 0 end
if now > last then redis.call('HSET', KEYS[1], 'last_tick', ARGV[1]) end
if m[2] == '1' then
  if allowance > 1 then allowance = 1 end
  redis.call('HSET', KEYS[1], 'allowance', tostring(allowance))
  return {}
end
allowance = allowance + elapsed * rate / 60000
local cap = rate / 12 + 1
if allowance > cap then allowance = cap end
local n = math.floor(allowance)
local out = {}
if n > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], n)
  for i = 1, #popped, 2 do
    local user, pos = popped[i], popped[i + 1]
    local cur = redis.call('HGET', KEYS[3], user) or ''
    local joined = string.match(cur, '^%d+:(%-?%d+):') or ARGV[1]
    redis.call('HSET', KEYS[3], user, pos .. ':' .. joined .. ':' .. ARGV[1])
    redis.call('ZADD', KEYS[4], ARGV[1], user)
    redis.call('HSET', KEYS[1], 'admitted_upto', pos)
    out[#out + 1] = joined
  end
  allowance = allowance - #out
  redis.call('HINCRBY', KEYS[1], 'admitted_total', #out)
end
if redis.call('ZCARD', KEYS[2]) == 0 and allowance > 1 then allowance = 1 end
redis.call('HSET', KEYS[1], 'allowance', tostring(allowance))
return out
"#;

pub struct RedisBackend {
    conn: RedisConn,
    join: Script,
    open: Script,
    admit: Script,
}

impl RedisBackend {
    pub fn new(conn: RedisConn) -> Self {
        Self { conn, join: Script::new(JOIN), open: Script::new(OPEN), admit: Script::new(ADMIT) }
    }
}

fn parse_place(s: &str) -> Place {
    let mut it = s.split(':').map(|x| x.parse::<i64>().unwrap_or(0));
    let position = it.next().unwrap_or(0).max(0) as u64;
    let joined_at = it.next().unwrap_or(0);
    let admitted_at = it.next().unwrap_or(0);
    Place { position, joined_at, admitted_at }
}

fn head(opened: Option<String>, paused: Option<String>, rate: Option<String>, upto: Option<String>) -> RoomHead {
    RoomHead {
        opened: opened.as_deref() == Some("1"),
        paused: paused.as_deref() == Some("1"),
        rate_override: rate.and_then(|r| r.parse().ok()),
        admitted_upto: upto.and_then(|u| u.parse().ok()).unwrap_or(0),
    }
}

#[async_trait]
impl Backend for RedisBackend {
    async fn join(&self, event: &str, user: &str, now: i64, window_ms: i64) -> Result<(Snapshot, bool), ApiError> {
        let mut c = self.conn.clone();
        let (cur, fresh, opened, paused, rate, upto): (String, i64, String, String, String, String) = self
            .join
            .key(key(event, "meta"))
            .key(key(event, "pre"))
            .key(key(event, "line"))
            .key(key(event, "places"))
            .key(key(event, "admitted"))
            .arg(user)
            .arg(now)
            .arg(window_ms)
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        if fresh == 1 {
            let _: () = redis::cmd("SADD").arg(ROOMS).arg(event).query_async(&mut c).await.map_err(unavailable)?;
        }
        let room = head(Some(opened), Some(paused), Some(rate), Some(upto));
        Ok((Snapshot { place: parse_place(&cur), room }, fresh == 1))
    }

    async fn place(&self, event: &str, user: &str) -> Result<Option<Snapshot>, ApiError> {
        let mut c = self.conn.clone();
        // One round trip: the place and its room's head together.
        let (cur, (opened, paused, rate, upto)): (Option<String>, (Option<String>, Option<String>, Option<String>, Option<String>)) =
            redis::pipe()
                .cmd("HGET")
                .arg(key(event, "places"))
                .arg(user)
                .cmd("HMGET")
                .arg(key(event, "meta"))
                .arg("opened")
                .arg("paused")
                .arg("rate_override")
                .arg("admitted_upto")
                .query_async(&mut c)
                .await
                .map_err(unavailable)?;
        Ok(cur.map(|s| Snapshot { place: parse_place(&s), room: head(opened, paused, rate, upto) }))
    }

    async fn room(&self, event: &str, now: i64, window_ms: i64) -> Result<RoomState, ApiError> {
        let mut c = self.conn.clone();
        type Meta = (Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
        let (meta, pre, line, admitted): (Meta, u64, u64, u64) = redis::pipe()
            .cmd("HMGET")
            .arg(key(event, "meta"))
            .arg("opened")
            .arg("paused")
            .arg("rate_override")
            .arg("admitted_upto")
            .arg("admitted_total")
            .cmd("ZCARD")
            .arg(key(event, "pre"))
            .cmd("ZCARD")
            .arg(key(event, "line"))
            .cmd("ZCOUNT")
            .arg(key(event, "admitted"))
            .arg(format!("({}", now - window_ms))
            .arg("+inf")
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        let (opened, paused, rate, upto, total) = meta;
        Ok(RoomState {
            head: head(opened, paused, rate, upto),
            pre,
            line,
            admitted,
            admitted_total: total.and_then(|t| t.parse().ok()).unwrap_or(0),
        })
    }

    async fn set_controls(&self, event: &str, rate: Option<i64>, paused: Option<bool>, now: i64) -> Result<(), ApiError> {
        let mut c = self.conn.clone();
        let mut cmd = redis::cmd("HSET");
        cmd.arg(key(event, "meta")).arg("last_tick").arg(now);
        if let Some(r) = rate {
            cmd.arg("rate_override").arg(r);
        }
        if let Some(p) = paused {
            cmd.arg("paused").arg(if p { "1" } else { "0" });
        }
        let _: () = redis::pipe()
            .add_command(cmd)
            .ignore()
            .cmd("SADD")
            .arg(ROOMS)
            .arg(event)
            .ignore()
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn open(&self, event: &str, now: i64) -> Result<Option<u64>, ApiError> {
        let mut c = self.conn.clone();
        for _ in 0..10 {
            let n: u64 = redis::cmd("ZCARD").arg(key(event, "pre")).query_async(&mut c).await.map_err(unavailable)?;
            let perm = crate::fair::permutation(n as usize);
            let mut inv = self.open.prepare_invoke();
            inv.key(key(event, "meta")).key(key(event, "pre")).key(key(event, "line")).key(key(event, "places")).arg(now);
            for p in &perm {
                inv.arg(*p);
            }
            let r: i64 = inv.invoke_async(&mut c).await.map_err(unavailable)?;
            match r {
                -1 => return Ok(None),
                -2 => continue, // someone joined the pre-queue meanwhile: draw again
                n => return Ok(Some(n as u64)),
            }
        }
        Err(ApiError::unavailable("the pre-queue kept changing while the sale opened; trying again"))
    }

    async fn admit(&self, event: &str, now: i64, default_rate: i64) -> Result<Vec<i64>, ApiError> {
        let mut c = self.conn.clone();
        let joined: Vec<i64> = self
            .admit
            .key(key(event, "meta"))
            .key(key(event, "line"))
            .key(key(event, "places"))
            .key(key(event, "admitted"))
            .arg(now)
            .arg(default_rate)
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(joined)
    }

    async fn rooms(&self) -> Result<Vec<String>, ApiError> {
        let mut c = self.conn.clone();
        redis::cmd("SMEMBERS").arg(ROOMS).query_async(&mut c).await.map_err(unavailable)
    }

    async fn admitted_at(&self, event: &str, user: &str) -> Result<Option<i64>, ApiError> {
        admitted_at(&self.conn, event, user).await
    }

    async fn ping(&self) -> Result<(), String> {
        let mut c = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut c).await.map(|_| ()).map_err(|e| format!("queue redis: {e}"))
    }

    fn remote(&self) -> bool {
        true
    }
}

/// The gate's one Redis call.
async fn admitted_at(conn: &RedisConn, event: &str, user: &str) -> Result<Option<i64>, ApiError> {
    let mut c = conn.clone();
    let score: Option<f64> = redis::cmd("ZSCORE").arg(key(event, "admitted")).arg(user).query_async(&mut c).await.map_err(unavailable)?;
    Ok(score.map(|s| s as i64).filter(|t| *t > 0))
}

/// The gate for an inventory process that does not run the queue: one `ZSCORE` per check, and a yes
/// kept until the fan's window ends (it cannot change before then).
pub struct RedisAdmissions {
    conn: RedisConn,
    window_ms: i64,
    yes: moka::future::Cache<(String, String), i64>,
}

impl RedisAdmissions {
    pub fn new(conn: RedisConn, window: std::time::Duration) -> Self {
        Self {
            conn,
            window_ms: window.as_millis() as i64,
            yes: moka::future::Cache::builder().max_capacity(200_000).time_to_live(window).build(),
        }
    }
}

#[async_trait]
impl Admissions for RedisAdmissions {
    async fn is_admitted(&self, event_id: &str, user_id: &str) -> Result<bool, ApiError> {
        let now = common::time::now_ms();
        let k = (event_id.to_string(), user_id.to_string());
        if let Some(until) = self.yes.get(&k).await {
            if until > now {
                return Ok(true);
            }
        }
        match admitted_at(&self.conn, event_id, user_id).await? {
            Some(at) if now < at + self.window_ms => {
                self.yes.insert(k, at + self.window_ms).await;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
