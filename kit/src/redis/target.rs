//! Which Redis a service talks to, read from one URL so that one setting (and one environment
//! variable) names any of the three deployments:
//!
//! - `redis://[user:password@]host:port[/db]` (or `rediss://`, `unix://`): one server, as the
//!   redis crate reads it;
//! - `redis+sentinel://[user:password@]host:port,host:port/master-name[?db=N]`: ask these
//!   Sentinels which server is the master of `master-name` (the credentials are the data
//!   nodes', the Sentinels are reached without);
//! - `redis+cluster://[user:password@]host:port,host:port`: these seed nodes of a Redis
//!   Cluster (the crate discovers the others and follows the slots).
//!
//! The two `redis+…` forms are the ones other clients use (Lettuce, go-redis, Sidekiq) with
//! comma-separated hosts; the url crate cannot read several hosts, hence this small parser.

use std::fmt;

/// A parsed Redis target.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// One server: the URL as given.
    Single(String),
    /// A Sentinel set watching `master`.
    Sentinel {
        /// `redis://host:port` of each Sentinel.
        sentinels: Vec<String>,
        /// The name the Sentinels know the master by.
        master: String,
        /// Credentials of the data nodes.
        credentials: Credentials,
        /// Database number on the master.
        db: i64,
    },
    /// A Redis Cluster.
    Cluster {
        /// `redis://[user:password@]host:port` of each seed node.
        nodes: Vec<String>,
    },
}

/// A user name and password, either possibly empty.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// ACL user name (empty: the default user).
    pub username: String,
    /// Password (empty: none).
    pub password: String,
}

// Never print a password (logs, errors, test failures).
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single(_) => f.write_str("Target::Single(…)"),
            Self::Sentinel {
                sentinels, master, ..
            } => f
                .debug_struct("Target::Sentinel")
                .field("sentinels", sentinels)
                .field("master", master)
                .finish_non_exhaustive(),
            Self::Cluster { nodes } => f
                .debug_struct("Target::Cluster")
                .field("nodes", &nodes.len())
                .finish_non_exhaustive(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why a Redis URL cannot be read; the message names the part at fault, never the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redis url: {0}")]
pub struct TargetError(&'static str);

const SENTINEL: &str = "redis+sentinel://";
const CLUSTER: &str = "redis+cluster://";

impl Target {
    /// Reads `url` (see the module's documentation).
    pub fn parse(url: &str) -> Result<Self, TargetError> {
        if let Some(rest) = url.strip_prefix(SENTINEL) {
            let (credentials, rest) = split_credentials(rest)?;
            let (hosts, path) = rest
                .split_once('/')
                .ok_or(TargetError("a Sentinel URL ends with /master-name"))?;
            let (master, query) = match path.split_once('?') {
                Some((master, query)) => (master, Some(query)),
                None => (path, None),
            };
            if master.is_empty() || !master.chars().all(is_name_char) {
                return Err(TargetError(
                    "the master name is letters, digits, '-', '_' or '.'",
                ));
            }
            let db = match query {
                None => 0,
                Some(query) => query
                    .strip_prefix("db=")
                    .and_then(|n| n.parse::<i64>().ok())
                    .filter(|n| (0..=15).contains(n))
                    .ok_or(TargetError("the only query is db=0..15"))?,
            };
            Ok(Self::Sentinel {
                sentinels: hosts_of(hosts)?
                    .map(|host| format!("redis://{host}"))
                    .collect(),
                master: master.to_owned(),
                credentials,
                db,
            })
        } else if let Some(rest) = url.strip_prefix(CLUSTER) {
            let (credentials, rest) = split_credentials(rest)?;
            let hosts = rest.strip_suffix('/').unwrap_or(rest);
            if hosts.contains(['/', '?', '#']) {
                return Err(TargetError("a Cluster URL has no path or query"));
            }
            let userinfo = match (&*credentials.username, &*credentials.password) {
                ("", "") => String::new(),
                (user, password) => format!("{user}:{password}@"),
            };
            Ok(Self::Cluster {
                nodes: hosts_of(hosts)?
                    .map(|host| format!("redis://{userinfo}{host}"))
                    .collect(),
            })
        } else if ["redis://", "rediss://", "unix://", "redis+unix://"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            Ok(Self::Single(url.to_owned()))
        } else {
            Err(TargetError(
                "the scheme is redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://",
            ))
        }
    }
}

/// `[user[:password]@]rest`: the credentials (percent-encoding is not read: keep them plain).
fn split_credentials(rest: &str) -> Result<(Credentials, &str), TargetError> {
    let Some((userinfo, rest)) = rest.rsplit_once('@') else {
        return Ok((Credentials::default(), rest));
    };
    let (username, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    if userinfo.contains(['/', ',']) {
        return Err(TargetError("the credentials come before the first host"));
    }
    Ok((
        Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
        },
        rest,
    ))
}

/// `host:port,host:port`: each non-empty, with a port.
fn hosts_of(hosts: &str) -> Result<impl Iterator<Item = &str>, TargetError> {
    let list: Vec<&str> = hosts.split(',').collect();
    for host in &list {
        let (name, port) = host
            .rsplit_once(':')
            .ok_or(TargetError("each host is host:port"))?;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| is_name_char(c) || c == ':' || c == '[' || c == ']')
        {
            return Err(TargetError(
                "a host name is letters, digits, '-', '.' or an IP address",
            ));
        }
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(TargetError("a port is 1..65535"));
        }
    }
    Ok(list.into_iter())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_urls_pass_through() {
        for url in [
            "redis://127.0.0.1:6379",
            "rediss://h:6380/2",
            "unix:///run/r.sock",
        ] {
            assert_eq!(Target::parse(url), Ok(Target::Single(url.into())));
        }
    }

    #[test]
    fn sentinel_urls_name_hosts_master_credentials_and_db() {
        let target =
            Target::parse("redis+sentinel://app:s3cret@10.0.0.1:26379,sentinel-b:26380/main?db=3");
        assert_eq!(
            target,
            Ok(Target::Sentinel {
                sentinels: vec![
                    "redis://10.0.0.1:26379".into(),
                    "redis://sentinel-b:26380".into()
                ],
                master: "main".into(),
                credentials: Credentials {
                    username: "app".into(),
                    password: "s3cret".into()
                },
                db: 3,
            })
        );
        assert!(!format!("{target:?}").contains("s3cret"));
    }

    #[test]
    fn cluster_urls_give_each_seed_the_credentials() {
        assert_eq!(
            Target::parse("redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001/"),
            Ok(Target::Cluster {
                nodes: vec![
                    "redis://:pw@127.0.0.1:7000".into(),
                    "redis://:pw@127.0.0.1:7001".into()
                ]
            })
        );
    }

    #[test]
    fn malformed_urls_say_what_is_wrong() {
        for url in [
            "",
            "http://h:1",
            "redis+sentinel://h:26379",
            "redis+sentinel://h:26379/",
            "redis+sentinel://h:26379/m?db=99",
            "redis+sentinel://h:26379/m x",
            "redis+sentinel://h/m",
            "redis+sentinel://h:0/m",
            "redis+sentinel://h:1,,h:2/m",
            "redis+cluster://",
            "redis+cluster://h:7000/0",
            "redis+cluster://h:70000",
            "redis+cluster://h:7000,:7001",
        ] {
            assert!(Target::parse(url).is_err(), "{url:?} was accepted");
        }
    }
}

/// Any text is read or refused, never a panic; the URLs this module documents come back as
/// written; a password never shows in `Debug`.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn host() -> impl Strategy<Value = String> {
        ("[a-z][a-z0-9.-]{0,20}", 1u16..).prop_map(|(name, port)| format!("{name}:{port}"))
    }

    proptest! {
        #[test]
        fn any_text_is_read_or_refused(url in "\\PC*") {
            let _ = Target::parse(&url);
        }

        #[test]
        fn any_text_after_a_known_scheme_is_read_or_refused(
            scheme in prop::sample::select(vec!["redis+sentinel://", "redis+cluster://", "redis://"]),
            rest in "\\PC*",
        ) {
            let _ = Target::parse(&format!("{scheme}{rest}"));
        }

        #[test]
        fn cluster_seeds_come_back_in_order(
            hosts in prop::collection::vec(host(), 1..6),
            password in "[A-Za-z0-9]{0,12}",
        ) {
            let userinfo = if password.is_empty() { String::new() } else { format!(":{password}@") };
            let parsed = Target::parse(&format!("redis+cluster://{userinfo}{}", hosts.join(",")));
            let nodes = hosts.iter().map(|h| format!("redis://{userinfo}{h}")).collect();
            prop_assert_eq!(parsed, Ok(Target::Cluster { nodes }));
        }

        #[test]
        fn sentinel_urls_come_back_and_never_print_the_password(
            hosts in prop::collection::vec(host(), 1..4),
            master in "[a-z0-9_.-]{1,20}",
            password in "PW[A-Z0-9]{8}",
            db in 0i64..16,
        ) {
            let url = format!("redis+sentinel://app:{password}@{}/{master}?db={db}", hosts.join(","));
            let parsed = Target::parse(&url);
            let printed = format!("{parsed:?}");
            prop_assert!(!printed.contains(&password));
            prop_assert_eq!(parsed, Ok(Target::Sentinel {
                sentinels: hosts.iter().map(|h| format!("redis://{h}")).collect(),
                master,
                credentials: Credentials { username: "app".into(), password },
                db,
            }));
        }
    }
}
