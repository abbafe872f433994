//! The help-desk search scenario: an agent (an account with the `helpdesk-agent` role, given
//! by `--username`/`--password`) signs in once through the pages, setting up its second factor
//! as a person would (the secret read from `/mfa/enrol`, a TOTP code, « Continuer »); then
//! every worker sends `GET /helpdesk?q=…` on that session, cycling through searches by the start
//! of a family or given name, a username, a professional number and an address.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context as _, ensure};
use reqwest::StatusCode;
use reqwest::header;

use crate::flows::{Target, hidden_input};

/// What the agents type, as the seeded register (scripts/bench-helpdesk) answers it.
const SEARCHES: &[&str] = &[
    "trem",
    "gagnon",
    "roy",
    "côté",
    "bouch",
    "IP5001",
    "500123",
    "p4242@bench.example",
    "mar",
    "lavoie",
    "IP52",
    "fortin",
    "jean",
    "pell",
    "55555",
    "sim",
];

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Signs the agent in (setting up its second factor): a client holding the session cookie,
/// with room for one connection per worker.
pub async fn sign_in(target: &Target, workers: usize) -> anyhow::Result<reqwest::Client> {
    let http = target.cookie_client(workers)?;
    let origin = target.origin.clone();
    let post = |path: &str, form: Vec<(&'static str, String)>| {
        let url = target.url(path);
        let (http, origin) = (http.clone(), origin.clone());
        async move {
            let request = http.post(url?).header(header::ORIGIN, origin).form(&form);
            Ok::<_, anyhow::Error>(request.send().await?)
        }
    };
    let page = http.get(target.url("/login")?).send().await?.text().await?;
    let csrf = hidden_input(&page, "csrf").context("login page: no csrf")?;
    let answer = post(
        "/login",
        vec![
            ("csrf", csrf),
            ("username", target.username.clone()),
            ("password", target.password.clone()),
        ],
    )
    .await?;
    let to = answer
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    ensure!(
        to == "/mfa/enrol",
        "agent login: sent to `{to}`, not the second-factor set-up (a fresh agent is expected)"
    );
    let page = http
        .get(target.url("/mfa/enrol")?)
        .send()
        .await?
        .text()
        .await?;
    let csrf = hidden_input(&page, "csrf").context("set-up page: no csrf")?;
    let typed: String = page
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .context("set-up page: no secret")?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let secret = base32_decode(&typed).context("set-up page: the secret is not base32")?;
    let code = idp::second_factor::totp::current_code(&secret)?;
    let shown = post("/mfa/enrol", vec![("csrf", csrf), ("code", code)]).await?;
    ensure!(
        shown.status() == StatusCode::OK,
        "set-up: {}",
        shown.status()
    );
    let page = shown.text().await?;
    let csrf = hidden_input(&page, "csrf").context("codes page: no csrf")?;
    let done = post("/mfa/enrol/done", vec![("csrf", csrf)]).await?;
    ensure!(
        done.status() == StatusCode::SEE_OTHER,
        "set-up done: {}",
        done.status()
    );
    Ok(http)
}

/// One search; 200 with at least one account found.
pub async fn search(target: &Target, http: &reqwest::Client) -> anyhow::Result<()> {
    let q = SEARCHES[NEXT.fetch_add(1, Ordering::Relaxed) % SEARCHES.len()];
    let mut url = target.url("/helpdesk")?;
    url.query_pairs_mut().append_pair("q", q);
    let response = http.get(url).send().await?;
    let status = response.status();
    let body = response.text().await?;
    ensure!(status == StatusCode::OK, "search `{q}`: {status}");
    ensure!(
        body.contains("/helpdesk/accounts/"),
        "search `{q}`: no account found"
    );
    Ok(())
}

/// RFC 4648 base32 (no padding), as the set-up page prints the secret.
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u32;
    let mut count = 0u32;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())?;
        bits = (bits << 5) | u32::try_from(value).ok()?;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_decodes_the_rfc_4648_examples() {
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW6===").unwrap(), b"foo");
        assert_eq!(base32_decode("mzxw6ytboi").unwrap(), b"foobar");
        assert!(base32_decode("1").is_none());
    }
}
